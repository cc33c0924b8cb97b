package io.ferrite.pheap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The 64-byte lines of the pool written by applies since the last checkpoint: one bit per line,
 * set with an atomic OR only when not set yet (after a full fence, see {@link #markDirty}). The
 * bits live in chunks of 512 words (2 MiB of pool each) created on first use, so a large pool
 * costs memory only where it is written.
 * {@link #drain} clears bits word by word with an atomic swap, so a line marked during a
 * checkpoint is either written back by it or kept for the next one.
 */
final class DirtyLineSet implements RedoApplier.DirtyLines {
    static final int LINE_SHIFT = 6;
    private static final int CHUNK_WORDS = 512;
    private static final int CHUNK_SHIFT = 9;
    private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle CHUNKS = MethodHandles.arrayElementVarHandle(long[][].class);
    private final long[][] chunks;
    private final long poolSize;

    DirtyLineSet(long poolSize) {
        this.poolSize = poolSize;
        long words = (((poolSize + 63) >>> LINE_SHIFT) + 63) >>> 6;
        this.chunks = new long[(int) ((words + CHUNK_WORDS - 1) >>> CHUNK_SHIFT)][];
    }

    private long[] chunk(int c) {
        long[] ch = (long[]) CHUNKS.getAcquire(chunks, c);
        if (ch == null) {
            long[] n = new long[CHUNK_WORDS];
            ch = (long[]) CHUNKS.compareAndExchangeRelease(chunks, c, (long[]) null, n);
            if (ch == null) {
                ch = n;
            }
        }
        return ch;
    }

    /**
     * Marks the lines of {@code [offset, offset+length)}, which the caller has just written with
     * plain stores. The full fence orders those stores before the load that finds a bit already
     * set: without it that load may pass them (store-load reordering, allowed on x86 and by the
     * Java memory model), so a checkpoint could clear the bit and write the line back while the
     * data store still sits in the store buffer; the mark would be gone and the next checkpoint
     * would pass this record's LSN with the line never written back. With the fence, either the
     * load sees the checkpoint's clear (and the OR marks the line again), or the store was
     * visible before the clear, so the checkpoint's write-back, which follows its clear, holds it.
     * One fence per call rather than an atomic OR per line, which would contend on shared words.
     */
    @Override
    public void markDirty(long offset, long length) {
        if (length <= 0) {
            return;
        }
        VarHandle.fullFence();
        long first = offset >>> LINE_SHIFT;
        long last = (offset + length - 1) >>> LINE_SHIFT;
        for (long line = first; line <= last; ) {
            long w = line >>> 6;
            int from = (int) (line & 63);
            int to = (int) Math.min(63, last - (w << 6));
            long mask = (to == 63 ? -1L : (1L << (to + 1)) - 1) & (-1L << from);
            long[] ch = chunk((int) (w >>> CHUNK_SHIFT));
            int i = (int) (w & (CHUNK_WORDS - 1));
            long cur = (long) WORDS.getVolatile(ch, i);
            if ((cur & mask) != mask) {
                WORDS.getAndBitwiseOr(ch, i, mask);
            }
            line = (w + 1) << 6;
        }
    }

    /** Receives the runs of dirty lines (offset and length in the pool). */
    interface RangeSink {
        void range(long offset, long length);
    }

    /** Clears every mark and reports the dirty runs; returns the number of lines. */
    long drain(RangeSink sink) {
        long lines = 0;
        long runStart = -1;
        long runEnd = -1;
        for (int c = 0; c < chunks.length; c++) {
            long[] ch = (long[]) CHUNKS.getAcquire(chunks, c);
            if (ch == null) {
                continue;
            }
            for (int i = 0; i < CHUNK_WORDS; i++) {
                if ((long) WORDS.getVolatile(ch, i) == 0) {
                    continue;
                }
                long bits = (long) WORDS.getAndSet(ch, i, 0L);
                lines += Long.bitCount(bits);
                long w = ((long) c << CHUNK_SHIFT) + i;
                while (bits != 0) {
                    int b = Long.numberOfTrailingZeros(bits);
                    bits &= bits - 1;
                    long off = ((w << 6) + b) << LINE_SHIFT;
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
        }
        if (runStart >= 0) {
            sink.range(runStart, Math.min(runEnd, poolSize) - runStart);
        }
        return lines;
    }

    boolean isDirty(long offset) {
        long line = offset >>> LINE_SHIFT;
        long w = line >>> 6;
        long[] ch = (long[]) CHUNKS.getAcquire(chunks, (int) (w >>> CHUNK_SHIFT));
        return ch != null && ((long) WORDS.getVolatile(ch, (int) (w & (CHUNK_WORDS - 1))) & (1L << (line & 63))) != 0;
    }
}
