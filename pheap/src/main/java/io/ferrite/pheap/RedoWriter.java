package io.ferrite.pheap;

import static io.ferrite.pheap.format.RedoRecordDescriptor.*;

import io.ferrite.pheap.format.Le;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Encodes one redo record ({@link io.ferrite.pheap.format.RedoRecordDescriptor}) into a reusable
 * buffer. Not thread-safe: one per thread; {@link #begin} starts over without allocating.
 * Package-private: only the commit path writes redo records; everything else applies them.
 */
final class RedoWriter {
    private static final long MAX_OP_LENGTH = 0x7fff_fff8L;
    private MemorySegment buf;
    private int pos;
    private int ops;

    RedoWriter(int initialCapacity) {
        buf = Arena.ofAuto().allocate(Math.max(256, initialCapacity), 8);
    }

    public RedoWriter begin(long txId) {
        pos = HEADER_LENGTH;
        ops = 0;
        buf.set(Le.U64, TX_ID_OFFSET, txId);
        return this;
    }

    public boolean isEmpty() {
        return ops == 0;
    }

    public int opCount() {
        return ops;
    }

    /** Bytes of the record so far (header included). */
    public int length() {
        return pos;
    }

    /** The buffer; the record is {@code [0, length())} after {@link #finish()}. */
    public MemorySegment segment() {
        return buf;
    }

    private void ensure(long more) {
        long need = pos + more;
        if (need > Integer.MAX_VALUE - 64) {
            throw new IllegalStateException("redo record too large: " + need + " bytes");
        }
        if (need > buf.byteSize()) {
            long cap = Math.max(need, Math.min(buf.byteSize() * 2, Integer.MAX_VALUE - 64));
            MemorySegment n = Arena.ofAuto().allocate(cap, 8);
            MemorySegment.copy(buf, 0, n, 0, pos);
            buf = n;
        }
    }

    private void op(byte kind, long length, long poolOffset) {
        buf.set(Le.U64, pos, 0L);
        buf.set(ValueLayout.JAVA_BYTE, pos + OP_KIND_OFFSET, kind);
        buf.set(Le.U32, pos + OP_LENGTH_OFFSET, (int) length);
        buf.set(Le.U64, pos + OP_POOL_OFFSET_OFFSET, poolOffset);
        pos += OP_HEADER_LENGTH;
        ops++;
    }

    /** WRITE of {@code length} bytes from {@code src[srcOffset..]}. */
    public void write(long poolOffset, MemorySegment src, long srcOffset, int length) {
        int padded = (length + 7) & ~7;
        ensure(OP_HEADER_LENGTH + padded);
        op(OP_WRITE, length, poolOffset);
        MemorySegment.copy(src, srcOffset, buf, pos, length);
        if (padded > length) {
            buf.asSlice(pos + length, padded - length).fill((byte) 0);
        }
        pos += padded;
    }

    public void write(long poolOffset, byte[] src, int srcOffset, int length) {
        write(poolOffset, MemorySegment.ofArray(src), srcOffset, length);
    }

    /** WRITE of the low {@code width} (1, 2, 4 or 8) bytes of {@code value}, little-endian. */
    public void writeValue(long poolOffset, long value, int width) {
        ensure(OP_HEADER_LENGTH + 8);
        op(OP_WRITE, width, poolOffset);
        buf.set(Le.U64, pos, width == 8 ? value : value & ((1L << (8 * width)) - 1));
        pos += 8;
    }

    /** WRITE_PTR: at apply, the target's absolute address (pointer base + target), or 0 for null. */
    public void writePointer(long poolOffset, long targetPoolOffset) {
        ensure(OP_HEADER_LENGTH + 8);
        op(OP_WRITE_PTR, 8, poolOffset);
        buf.set(Le.U64, pos, targetPoolOffset);
        pos += 8;
    }

    public void setBits(long poolOffset, long mask) {
        bits(OP_SET_BITS, poolOffset, mask);
    }

    public void clearBits(long poolOffset, long mask) {
        bits(OP_CLEAR_BITS, poolOffset, mask);
    }

    private void bits(byte kind, long poolOffset, long mask) {
        ensure(OP_HEADER_LENGTH + 8);
        op(kind, 8, poolOffset);
        buf.set(Le.U64, pos, mask);
        pos += 8;
    }

    /** ZERO of {@code length} bytes (split into several operations when over 2 GiB). */
    public void zero(long poolOffset, long length) {
        while (length > 0) {
            long n = Math.min(length, MAX_OP_LENGTH);
            ensure(OP_HEADER_LENGTH);
            op(OP_ZERO, n, poolOffset);
            poolOffset += n;
            length -= n;
        }
    }

    /** WRITE_BASE: at apply, the pointer base itself (a slab's recorded base). */
    public void writeBase(long poolOffset) {
        ensure(OP_HEADER_LENGTH);
        op(OP_WRITE_BASE, 8, poolOffset);
    }

    /** Completes the header; returns the record length. */
    public int finish() {
        buf.set(Le.U16, VERSION_OFFSET, VERSION);
        buf.set(Le.U16, FLAGS_OFFSET, (short) 0);
        buf.set(Le.U32, OP_COUNT_OFFSET, ops);
        return pos;
    }
}
