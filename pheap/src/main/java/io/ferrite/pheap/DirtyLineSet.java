package io.ferrite.pheap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The 64-byte lines of the pool written by applies since the last checkpoint: one bit per line,
 * set with a CAS only when not set yet. {@link #drain} clears bits word by word with an atomic
 * swap, so a line marked during a checkpoint is either flushed by it or kept for the next one.
 */
final class DirtyLineSet implements RedoApplier.DirtyLines {
    static final int LINE_SHIFT = 6;
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    private final long[] words;
    private final long poolSize;

    DirtyLineSet(long poolSize) {
        this.poolSize = poolSize;
        long lines = (poolSize + 63) >>> LINE_SHIFT;
        this.words = new long[(int) ((lines + 63) >>> 6)];
    }

    @Override
    public void markDirty(long offset, long length) {
        if (length <= 0) {
            return;
        }
        long first = offset >>> LINE_SHIFT;
        long last = (offset + length - 1) >>> LINE_SHIFT;
        for (long line = first; line <= last; ) {
            int w = (int) (line >>> 6);
            int from = (int) (line & 63);
            int to = (int) Math.min(63, last - (line - from));
            long mask = (to == 63 ? -1L : (1L << (to + 1)) - 1) & (-1L << from);
            long cur = (long) WORDS.getVolatile(words, w);
            if ((cur & mask) != mask) {
                WORDS.getAndBitwiseOr(words, w, mask);
            }
            line = ((long) w + 1) << 6;
        }
    }

    /** Lines flushed by a range callback: clears the marks, calls back per run of dirty lines. */
    interface RangeSink {
        void range(long offset, long length);
    }

    /** Clears every mark and reports the dirty runs; returns the number of lines. */
    long drain(RangeSink sink) {
        long lines = 0;
        long runStart = -1;
        long runEnd = -1;
        for (int w = 0; w < words.length; w++) {
            if ((long) WORDS.getVolatile(words, w) == 0) {
                continue;
            }
            long bits = (long) WORDS.getAndSet(words, w, 0L);
            lines += Long.bitCount(bits);
            while (bits != 0) {
                int b = Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                long off = (((long) w << 6) + b) << LINE_SHIFT;
                if (off == runEnd) {
                    runEnd += 64;
                } else {
                    if (runStart >= 0) {
                        sink.range(runStart, Math.min(runEnd, poolSize) - runStart);
                    }
                    runStart = off;
                    runEnd = off + 64;
                }
            }
        }
        if (runStart >= 0) {
            sink.range(runStart, Math.min(runEnd, poolSize) - runStart);
        }
        return lines;
    }

    boolean isDirty(long offset) {
        long line = offset >>> LINE_SHIFT;
        return ((long) WORDS.getVolatile(words, (int) (line >>> 6)) & (1L << (line & 63))) != 0;
    }
}
