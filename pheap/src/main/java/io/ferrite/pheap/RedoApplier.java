package io.ferrite.pheap;

import static io.ferrite.pheap.format.RedoRecordDescriptor.*;

import io.ferrite.pheap.format.Le;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * Applies one redo record to a pool: the interpreter behind {@link Replay}, the single replay
 * path shared by commit (apply in place after the record is durable), crash recovery, the CLI and
 * replicas. Only {@link Replay} constructs it, with the pointer form fixed for its life.
 *
 * <p>Every operation is idempotent; applying a record twice, or applying records again over a
 * pool that already holds some of their effects, ends in the same bytes. A record is validated
 * whole before its first byte is applied (kinds, lengths, every range inside the writable part of
 * the pool): a malformed record changes nothing and raises {@link RedoRecordException}.
 *
 * <p>Thread-safe: concurrent applies of different records are fine when they touch different
 * bytes, which transaction isolation (the caller's) ensures, except for allocation bitmap words,
 * which the bit operations update atomically. Durability is not this class's business: the
 * dirtied ranges are reported to the {@link Replay.DirtyLines} listener, which the checkpoint
 * flushes.
 */
final class RedoApplier {
    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle();

    private final MemorySegment pool;
    private final long pointerBase;
    private final long writableStart;
    private final long logStart;
    private final long logEnd;
    private final Replay.DirtyLines dirty;
    private final long baseWord;
    /** Replay before a swizzle: WRITE_PTR stores the form of the slab's recorded-base word. */
    private final boolean atRecordedBases;
    private final long slabTableOffset;
    private final long slabAreaOffset;
    private final long slabSize;
    private final int slabCount;
    /** End of the pool records may touch: the pool's size, raised when it grows (the segment may reach further, unmapped). */
    private volatile long limit;

    /**
     * @param pool the mapped pool
     * @param pointerBase the base the pool's pointers assume (the superblock's); WRITE_PTR stores
     *        {@code pointerBase + target}
     * @param writableStart first pool offset a record may touch (the end of the superblocks)
     * @param logStart start of the log region, which no record may touch
     * @param logEnd end of the log region
     * @param dirty told about every written range; may be null
     */
    RedoApplier(MemorySegment pool, long pointerBase, long writableStart, long logStart, long logEnd, Replay.DirtyLines dirty) {
        this(pool, pointerBase, writableStart, logStart, logEnd, dirty, false, 0, 0, 1, 0);
    }

    /**
     * @param atRecordedBases true: WRITE_PTR stores, for the slab that holds the pointer word, the
     *        absolute address for that slab's recorded base ({@link
     *        io.ferrite.swizzle.Pointers#encodeFor}) instead of {@code pointerBase + target}: what
     *        recovery does when the pool maps at another base than its slabs assume, so that the
     *        log can be replayed before the swizzle (which then moves those words with the rest of
     *        their slab). After a swizzle every slab is AT(pointerBase) and both forms are the
     *        same. WRITE_BASE still stores AT(pointerBase): it is only logged for a slab being
     *        formatted, whose pointer words are all null (later records rewrite every pointer of
     *        it that replay touches). False: the plain form (commits after open).
     */
    RedoApplier(MemorySegment pool, long pointerBase, long writableStart, long logStart, long logEnd, Replay.DirtyLines dirty,
            boolean atRecordedBases, long slabTableOffset, long slabAreaOffset, long slabSize, int slabCount) {
        this.pool = pool;
        this.pointerBase = pointerBase;
        this.writableStart = writableStart;
        this.logStart = logStart;
        this.logEnd = logEnd;
        this.dirty = dirty == null ? (o, l) -> { } : dirty;
        this.baseWord = io.ferrite.swizzle.RecordedBaseDescriptor.at(pointerBase);
        this.atRecordedBases = atRecordedBases;
        this.slabTableOffset = slabTableOffset;
        this.slabAreaOffset = slabAreaOffset;
        this.slabSize = slabSize;
        this.slabCount = slabCount;
        this.limit = pool.byteSize();
    }

    /** Records may touch [0, {@code poolSize}) (at most the segment); the heap raises it when the pool grows. */
    void limit(long poolSize) {
        this.limit = Math.min(poolSize, pool.byteSize());
    }

    /** The word WRITE_PTR stores for {@code target} at pool offset {@code at}. */
    private long pointerWord(long at, long target) {
        if (target == 0) {
            return 0;
        }
        if (atRecordedBases && at >= slabAreaOffset) {
            long idx = (at - slabAreaOffset) / slabSize;
            if (idx < slabCount) {
                long e = io.ferrite.pheap.format.SlabTableDescriptor.entryOffset(slabTableOffset, (int) idx);
                if (pool.get(Le.U32, e + io.ferrite.pheap.format.SlabTableDescriptor.STATE_OFFSET)
                        == io.ferrite.pheap.format.SlabTableDescriptor.STATE_LARGE_CONT) {
                    int head = pool.get(Le.U32, e + io.ferrite.pheap.format.SlabTableDescriptor.SPAN_OFFSET);
                    if (head >= 0 && head < idx) {
                        e = io.ferrite.pheap.format.SlabTableDescriptor.entryOffset(slabTableOffset, head);
                    }
                }
                long word = pool.get(Le.U64, e + io.ferrite.pheap.format.SlabTableDescriptor.RECORDED_BASE_OFFSET);
                if (io.ferrite.swizzle.RecordedBaseDescriptor.state(word) != io.ferrite.swizzle.RecordedBaseDescriptor.STATE_INVALID) {
                    return io.ferrite.swizzle.Pointers.encodeFor(word, target);
                }
            }
        }
        return pointerBase + target;
    }

    /**
     * Validates, then applies the record in {@code rec[offset, offset+length)}.
     *
     * @param lsn for error messages only
     * @return the number of operations applied
     */
    int apply(long lsn, MemorySegment rec, long offset, int length) {
        int ops = validate(lsn, rec, offset, length);
        long p = offset + HEADER_LENGTH;
        for (int i = 0; i < ops; i++) {
            byte kind = rec.get(ValueLayout.JAVA_BYTE, p + OP_KIND_OFFSET);
            long len = Integer.toUnsignedLong(rec.get(Le.U32_UNALIGNED, p + OP_LENGTH_OFFSET));
            long at = rec.get(Le.U64_UNALIGNED, p + OP_POOL_OFFSET_OFFSET);
            long payload = p + OP_PAYLOAD_OFFSET;
            switch (kind) {
                case OP_WRITE -> {
                    MemorySegment.copy(rec, payload, pool, at, len);
                    dirty.markDirty(at, len);
                }
                case OP_WRITE_PTR -> {
                    long target = rec.get(Le.U64_UNALIGNED, payload);
                    pool.set(ValueLayout.JAVA_LONG, at, pointerWord(at, target));
                    dirty.markDirty(at, 8);
                }
                case OP_SET_BITS -> {
                    long mask = rec.get(Le.U64_UNALIGNED, payload);
                    long cur = (long) WORD.getVolatile(pool, at);
                    if ((cur & mask) != mask) {
                        WORD.getAndBitwiseOr(pool, at, mask);
                    }
                    dirty.markDirty(at, 8);
                }
                case OP_CLEAR_BITS -> {
                    long mask = rec.get(Le.U64_UNALIGNED, payload);
                    long cur = (long) WORD.getVolatile(pool, at);
                    if ((cur & mask) != 0) {
                        WORD.getAndBitwiseAnd(pool, at, ~mask);
                    }
                    dirty.markDirty(at, 8);
                }
                case OP_ZERO -> {
                    pool.asSlice(at, len).fill((byte) 0);
                    dirty.markDirty(at, len);
                }
                case OP_WRITE_BASE -> {
                    pool.set(ValueLayout.JAVA_LONG, at, baseWord);
                    dirty.markDirty(at, 8);
                }
                default -> throw new AssertionError(kind);
            }
            p = payload + payloadLength(kind, (int) len);
        }
        return ops;
    }

    /** Checks the whole record; returns its operation count. */
    int validate(long lsn, MemorySegment rec, long offset, int length) {
        if (length < HEADER_LENGTH) {
            throw bad(lsn, "record of " + length + " bytes is shorter than the " + HEADER_LENGTH + "-byte header");
        }
        short version = rec.get(Le.U16_UNALIGNED, offset + VERSION_OFFSET);
        if (version != VERSION) {
            throw bad(lsn, "redo record version " + version + ", this build reads version " + VERSION);
        }
        int ops = rec.get(Le.U32_UNALIGNED, offset + OP_COUNT_OFFSET);
        long end = offset + length;
        long p = offset + HEADER_LENGTH;
        for (int i = 0; i < ops; i++) {
            if (p + OP_HEADER_LENGTH > end) {
                throw bad(lsn, "operation " + i + " of " + ops + " runs past the record end");
            }
            byte kind = rec.get(ValueLayout.JAVA_BYTE, p + OP_KIND_OFFSET);
            long len = Integer.toUnsignedLong(rec.get(Le.U32_UNALIGNED, p + OP_LENGTH_OFFSET));
            long at = rec.get(Le.U64_UNALIGNED, p + OP_POOL_OFFSET_OFFSET);
            int payload = payloadLength(kind, (int) len);
            if (payload < 0 || len > Integer.MAX_VALUE) {
                throw bad(lsn, "operation " + i + ": unknown kind " + kind + " or bad length " + len);
            }
            long span = switch (kind) {
                case OP_WRITE, OP_ZERO -> len;
                default -> 8;
            };
            if (kind != OP_WRITE && kind != OP_ZERO && (at & 7) != 0) {
                throw bad(lsn, "operation " + i + " " + opName(kind) + " at unaligned pool offset " + at);
            }
            long lim = limit;
            if (at < writableStart || at + span > lim || at + span < at || (at < logEnd && at + span > logStart)) {
                throw bad(lsn, "operation " + i + " " + opName(kind) + " targets pool range [" + at + ", " + (at + span)
                        + ") outside the writable pool (superblocks end at " + writableStart + ", log is [" + logStart + ", "
                        + logEnd + "), pool size " + lim + ")");
            }
            p += OP_HEADER_LENGTH + payload;
            if (p > end) {
                throw bad(lsn, "operation " + i + " payload runs past the record end");
            }
        }
        return ops;
    }

    private static RedoRecordException bad(long lsn, String what) {
        return new RedoRecordException(lsn, "malformed redo record at LSN " + lsn + ": " + what,
                "run `ferrite check` on the pool; `ferrite log` shows the record");
    }
}
