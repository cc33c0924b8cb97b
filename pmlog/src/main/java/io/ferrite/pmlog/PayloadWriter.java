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
}
