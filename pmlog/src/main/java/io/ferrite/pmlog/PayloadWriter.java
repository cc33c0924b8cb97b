package io.ferrite.pmlog;

import java.lang.foreign.MemorySegment;

/**
 * Writes a record's payload in place, straight into the ring ({@link PmLog#append(int, short,
 * PayloadWriter)}): no intermediate buffer, no copy. The writer must fill exactly
 * {@code segment[offset, offset+length)} and nothing else, and must not keep the segment. If it
 * throws, the reserved space becomes padding and the exception propagates.
 */
@FunctionalInterface
public interface PayloadWriter {
    void write(MemorySegment segment, long offset, int length);

    /**
     * Told the record's LSN once its space is reserved, just before {@link #write}: the record is
     * not complete, so not durable, before {@code write} returns. A caller that must publish
     * "I hold a record at this LSN" before anyone can see it durable does it here.
     */
    default void reserved(long lsn) {
    }
}
