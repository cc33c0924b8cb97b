package io.ferrite.pmlog;

import java.lang.foreign.MemorySegment;

/**
 * Receives records from {@link PmLog#read}. The payload is {@code segment[offset, offset+length)},
 * valid only during the call (a flyweight view into the mapping: copy what you keep).
 */
@FunctionalInterface
public interface RecordHandler {
    /** @return true to go on, false to stop after this record */
    boolean onRecord(long lsn, short type, MemorySegment segment, long offset, int length);
}
