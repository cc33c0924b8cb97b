package io.ferrite.pheap;

import io.ferrite.pheap.format.RedoRecordDescriptor;
import io.ferrite.pheap.format.Superblock;
import io.ferrite.pheap.format.SuperblockDescriptor;
import io.ferrite.pmlog.PmLog;
import java.lang.foreign.MemorySegment;

/**
 * The one replay path: applies redo records, from whatever source holds them (the pool's own log,
 * a replica's mirror log, an archive, a list the CLI scanned), into one pool's segment. Crash
 * recovery ({@link Heap#open}), the heap's own commits, a replica heap ({@link
 * Heap#applyReplicated}) and the {@code ferrite} tool's recover/check/dump/info all apply records
 * through an instance of this class; nothing else applies a redo record.
 *
 * <p>The pointer form is fixed when the replay is made: {@link #atBase} stores every WRITE_PTR as
 * the absolute address at one base (commits, a pool whose slabs all assume that base); {@link
 * #atRecordedBases} stores each pointer in the form of the recorded base of the slab that holds it
 * (recovery before a swizzle, docs/swizzling.md section 10). Rebuilding what the heap keeps in DRAM
 * from the replayed pool (type registry, allocator, swizzle when the base moved) is a separate step
 * (the heap's {@code rebuildVolatileState}); a replay writes pool bytes only.
 *
 * <p>Every record is validated whole before its first byte is applied; a malformed record changes
 * nothing and raises {@link io.ferrite.FerriteException}. Records are idempotent: replaying one
 * twice, or over a pool that holds some of its effects, gives the same bytes.
 *
 * <p>Threading: concurrent applies of different records are safe when they touch different bytes
 * (transaction isolation, the caller's), bitmap words being updated atomically. Durability: none
 * of its own; every written range goes to the {@link DirtyLines} listener, whose owner flushes it
 * (the heap's checkpoint).
 */
public final class Replay {
    /** Told about every range an apply wrote (to flush it at the next checkpoint). */
    @FunctionalInterface
    public interface DirtyLines {
        void markDirty(long poolOffset, long length);
    }

    /**
     * What one replay of a log did.
     *
     * @param fromLsn the first LSN read
     * @param endLsn the LSN after the last complete record (where the log ends)
     * @param records redo records applied
     * @param bytes their payload bytes
     */
    public record Result(long fromLsn, long endLsn, long records, long bytes) {
    }

    private final RedoApplier applier;

    private Replay(RedoApplier applier) {
        this.applier = applier;
    }

    /**
     * Replays into {@code pool} (the pool's bytes, at least {@code sb.poolSize()} long) with every
     * pointer stored as {@code base + target}; {@code dirty} may be null.
     */
    public static Replay atBase(MemorySegment pool, Superblock sb, long base, DirtyLines dirty) {
        Replay r = new Replay(new RedoApplier(pool, base, writableStart(), sb.logOffset(), sb.logOffset() + sb.logLength(), dirty));
        r.limit(sb.poolSize());
        return r;
    }

    /**
     * Records may touch the pool below {@code poolSize} only (and never past the segment, which
     * may reach into address space reserved for growth): raised when the pool grows.
     */
    public void limit(long poolSize) {
        applier.limit(poolSize);
    }

    /**
     * Replays into {@code pool} with every pointer stored in the form of its slab's recorded base,
     * as recovery does before it swizzles; a slab without a valid recorded-base word, and WRITE_BASE
     * (a slab being formatted), take {@code base}. Where every slab assumes {@code base} this is
     * {@link #atBase}.
     */
    public static Replay atRecordedBases(MemorySegment pool, Superblock sb, long base, DirtyLines dirty) {
        Replay r = new Replay(new RedoApplier(pool, base, writableStart(), sb.logOffset(), sb.logOffset() + sb.logLength(), dirty,
                true, sb.slabTableOffset(), sb.slabAreaOffset(), sb.slabSize(), sb.slabCount()));
        r.limit(sb.poolSize());
        return r;
    }

    private static long writableStart() {
        return 2L * SuperblockDescriptor.SLOT_LENGTH;
    }

    /** True for the log record type that holds a redo record (other types are not replayed). */
    public static boolean isRedo(short type) {
        return type == RedoRecordDescriptor.LOG_RECORD_TYPE;
    }

    /**
     * Checks the redo record in {@code rec[offset, offset+length)} whole (kinds, lengths, every range
     * inside the writable pool) without writing anything; returns its operation count.
     *
     * @param lsn for error messages only
     */
    public int validate(long lsn, MemorySegment rec, long offset, int length) {
        return applier.validate(lsn, rec, offset, length);
    }

    /**
     * Validates, then applies, the redo record in {@code rec[offset, offset+length)}; returns the
     * number of operations applied.
     *
     * @param lsn for error messages only
     */
    public int apply(long lsn, MemorySegment rec, long offset, int length) {
        return applier.apply(lsn, rec, offset, length);
    }

    /**
     * Applies every redo record of {@code log} from {@code fromLsn} to its end, in LSN order; other
     * record types are skipped. An {@code IllegalArgumentException} from the log (the LSN is no
     * record of it) reaches the caller, which knows what the LSN came from.
     */
    public Result replay(PmLog log, long fromLsn) {
        long[] counts = new long[2];
        long end = log.read(fromLsn, (lsn, type, rec, off, len) -> {
            if (isRedo(type)) {
                applier.apply(lsn, rec, off, len);
                counts[0]++;
                counts[1] += len;
            }
            return true;
        });
        return new Result(fromLsn, end, counts[0], counts[1]);
    }
}
