package io.ferrite.pmlog;

import java.lang.foreign.MemorySegment;

/**
 * Receives records as framed in the ring ({@link LogReader#pollFrames}), for shipping them to a
 * mirror ({@link PmLog#appendMirrored}): {@code segment[offset, offset+length)} is the record's
 * header ({@link LogRecordDescriptor#HEADER_LENGTH} bytes) followed by its payload; for a padding
 * record, the header alone. A read-only flyweight view, valid only during the call.
 */
@FunctionalInterface
public interface FrameHandler {
    /** @return true to go on, false to stop after this frame */
    boolean onFrame(long lsn, MemorySegment segment, long offset, int length);
}
