package io.ferrite.cli;

import static io.ferrite.cli.Finding.Repair;
import static io.ferrite.cli.Finding.Severity;

import io.ferrite.pheap.Replay;
import io.ferrite.pheap.format.RedoRecordDescriptor;
import io.ferrite.pheap.format.SlabHeaderDescriptor;
import io.ferrite.pheap.format.SlabTableDescriptor;
import io.ferrite.pheap.format.Superblock;
import io.ferrite.pheap.format.SuperblockDescriptor;
import io.ferrite.swizzle.BadPointer;
import io.ferrite.swizzle.PointerVerifier;
import io.ferrite.swizzle.RecordedBaseDescriptor;
import io.ferrite.swizzle.VerifyReport;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * What {@code ferrite check} verifies, read-only, in order: both superblocks; the log (header,
 * head slots, the record chain with CRCs and LSNs, the checkpoint LSN, each redo record to
 * replay); then, on the image recovery would produce (the pool with the log replayed in a private
 * copy when the pool was not closed cleanly), the type registry (CRCs), the slab table, slab
 * headers and bitmaps, zeroed free space, every pointer, and reachability from the root.
 * Never writes to the pool.
 */
final class Checker {
    /** Findings listed individually per kind before they are summarised. */
    static final int MAX_LISTED = 50;

    final PoolImage img;
    final List<Finding> findings = new ArrayList<>();
    final Json.Obj stats = Json.obj();
    private final boolean progress;
    /** Set when the log ends in a torn record that --repair may drop. */
    long tornLsn = -1;
    long tornOffset = -1;
    /**
     * Allocated objects no pointer path from the root reaches, as {pool offset, slab, slot}, when
     * reachability ran (else empty). A view over the slab bitmaps and the walk's marks, not a
     * copy: a pool can hold 2^27 objects in one slab, every one of them leaked.
     */
    final List<long[]> leaked = new Leaked();
    /** Per slab, the slots the reachability walk reached; null until it ran. */
    private BitSet[] seen;
    private long leakedCount;
    PoolModel model;
    LogScan log;
    private Arena arena;

    Checker(PoolImage img, boolean progress) {
        this.img = img;
        this.progress = progress;
    }

    private void add(Severity s, String area, long offset, String msg, Repair r) {
        findings.add(new Finding(s, area, offset, msg, r));
    }

    Checker run() {
        try {
            checkSuperblocks();
            if (!img.readable()) {
                return this;
            }
            MemorySegment image = checkLog();
            checkHeap(image);
            return this;
        } finally {
            if (arena != null) {
                arena.close();
            }
        }
    }

    boolean clean() {
        return findings.stream().noneMatch(Finding::counts);
    }

    // ------------------------------------------------------------------ superblocks

    private void checkSuperblocks() {
        for (String p : img.problems) {
            add(Severity.ERROR, "superblock", 0, p, Repair.NONE);
        }
        Superblock sb = img.sb;
        if (sb == null) {
            return;
        }
        stats.put("superblock", Json.obj().put("current", img.slots[img.current].name()).put("sequence", sb.sequence())
                .put("cleanClose", sb.cleanClose()));
        PoolImage.Slot other = img.slots[1 - img.current];
        if (other.problem() != null) {
            add(Severity.RECOVERY, "superblock", other.offset(), "superblock " + other.name() + " at offset " + other.offset()
                    + " is " + other.problem() + "; " + img.slots[img.current].name() + " (sequence " + sb.sequence()
                    + ") is in force (a torn superblock update, or damage); the next open rewrites it", Repair.REPLAY);
        } else {
            Superblock o = other.sb();
            if (!o.poolId().equals(sb.poolId()) || o.poolSize() != sb.poolSize() || o.slabSize() != sb.slabSize()
                    || o.slabCount() != sb.slabCount() || o.logOffset() != sb.logOffset() || o.logLength() != sb.logLength()
                    || o.registryOffset() != sb.registryOffset() || o.slabTableOffset() != sb.slabTableOffset()
                    || o.slabAreaOffset() != sb.slabAreaOffset()) {
                add(Severity.ERROR, "superblock", other.offset(), "superblocks A and B describe different pools or layouts (UUID "
                        + img.slots[0].sb().poolId() + " vs " + img.slots[1].sb().poolId() + ")", Repair.NONE);
            } else if (o.sequence() == sb.sequence()) {
                add(Severity.ERROR, "superblock", other.offset(), "both superblocks carry sequence " + sb.sequence()
                        + "; updates alternate copies with increasing sequences", Repair.NONE);
            }
        }
        if (img.readable() && !sb.cleanClose()) {
            add(Severity.RECOVERY, "superblock", SuperblockDescriptor.slotOffset(img.current) + SuperblockDescriptor.FLAGS_OFFSET,
                    "the pool was not closed cleanly (its last writer crashed or was killed): recovery replays the log"
                            + " from checkpoint LSN " + sb.checkpointLsn(), Repair.REPLAY);
        }
    }

    // ------------------------------------------------------------------ log

    /** Checks the log; returns the image to check the heap on (the pool, or a copy with the log replayed). */
    private MemorySegment checkLog() {
        Superblock sb = img.sb;
        MemorySegment seg = img.seg;
        log = LogScan.open(img.media, sb.logOffset(), sb.logLength());
        if (log.headerProblem != null) {
            add(Severity.ERROR, "log", sb.logOffset(), "log header: " + log.headerProblem, Repair.NONE);
            return seg;
        }
        for (int i = 0; i < 2; i++) {
            if (!log.slotValid[i]) {
                add(Severity.WARNING, "log", sb.logOffset() + io.ferrite.pmlog.LogHeaderDescriptor.headSlotOffset(i), "log head slot "
                        + i + " is invalid (checksum); slot " + log.activeSlot + " is in force", Repair.NONE);
            }
        }
        List<io.ferrite.pmlog.LogTailScanner.Entry> redo = new ArrayList<>();
        boolean[] cpBoundary = {sb.checkpointLsn() == log.headLsn};
        long cp = sb.checkpointLsn();
        long[] unknown = {0};
        log.scan(r -> {
            if (r.lsn() == cp) {
                cpBoundary[0] = true;
            }
            if (!r.padding() && r.lsn() >= cp) {
                if (r.type() == RedoRecordDescriptor.LOG_RECORD_TYPE) {
                    redo.add(r);
                } else {
                    unknown[0]++;
                }
            }
            return true;
        });
        stats.put("log", Json.obj().put("headLsn", log.headLsn).put("tailLsn", log.tailLsn).put("checkpointLsn", cp)
                .put("records", log.records).put("recordsToReplay", redo.size()).put("epoch", log.epoch)
                .put("end", log.stopReason));
        if (unknown[0] > 0) {
            add(Severity.WARNING, "log", sb.logOffset(), unknown[0] + " records after the checkpoint have a type other than redo ("
                    + RedoRecordDescriptor.LOG_RECORD_TYPE + "); the heap ignores them", Repair.NONE);
        }
        boolean logOk = true;
        if (log.tornLsn >= 0) {
            long ringOff = log.ringBase() + log.tornLsn % log.capacity;
            if (log.tornLsn < cp) {
                add(Severity.ERROR, "log", ringOff, "log record at LSN " + log.tornLsn + ", before the checkpoint LSN " + cp
                        + ", is damaged (" + log.stopReason + ")", Repair.NONE);
                logOk = false;
            } else if (sb.cleanClose() && log.tornLsn == cp) {
                // A recovery already ended the log here and the pool was then closed cleanly (an
                // open clears the clean mark before it appends): these are the bytes of an append
                // torn before that recovery, which it ignored and the next append overwrites.
                // Nothing needs recovery, and `ferrite recover` would leave them as they are.
                add(Severity.WARNING, "log", ringOff, "the log ends at the remains of an append torn before the pool's last"
                        + " recovery: " + log.stopReason + log.intactAfterTornWords() + "; that recovery ignored them, the pool"
                        + " was closed cleanly since, and the next append overwrites them", Repair.NONE);
            } else {
                tornLsn = log.tornLsn;
                tornOffset = ringOff;
                add(Severity.RECOVERY, "log", ringOff, "torn log tail: " + log.stopReason + " (" + log.tornBytes
                        + " bytes of an append that never completed)" + log.intactAfterTornWords() + "; recovery ignores it",
                        Repair.DROP_TORN_TAIL);
            }
        }
        if (cp < log.headLsn || cp > log.tailLsn) {
            add(Severity.ERROR, "log", SuperblockDescriptor.slotOffset(img.current) + SuperblockDescriptor.CHECKPOINT_LSN_OFFSET,
                    "checkpoint LSN " + cp + " is outside the log [head " + log.headLsn + ", tail " + log.tailLsn
                            + "): committed records that recovery needs are missing", Repair.NONE);
            return seg;
        }
        if (!cpBoundary[0] && cp != log.tailLsn) {
            add(Severity.ERROR, "log", SuperblockDescriptor.slotOffset(img.current) + SuperblockDescriptor.CHECKPOINT_LSN_OFFSET,
                    "checkpoint LSN " + cp + " is not a record boundary of the log", Repair.NONE);
            return seg;
        }
        String bp = Recovered.baseProblem(sb);
        if (bp != null) {
            add(Severity.ERROR, "superblock", SuperblockDescriptor.slotOffset(img.current) + SuperblockDescriptor.BASE_ADDRESS_OFFSET,
                    bp, Repair.NONE);
            return seg;
        }
        Replay v = Recovered.applier(seg, sb);
        for (io.ferrite.pmlog.LogTailScanner.Entry r : redo) {
            try {
                v.validate(r.lsn(), seg, r.payloadOffset(), r.length());
            } catch (io.ferrite.pheap.RedoRecordException e) {
                add(Severity.ERROR, "log", r.offset(), "redo record at LSN " + r.lsn() + " is malformed: " + e.getMessage()
                        + "; opening the pool will fail", Repair.NONE);
                logOk = false;
            }
        }
        if (redo.isEmpty() || !logOk) {
            return seg;
        }
        add(Severity.RECOVERY, "log", redo.get(0).offset(), redo.size() + " redo records after checkpoint LSN " + cp
                + " are not applied yet; recovery replays them", Repair.REPLAY);
        // The image recovery would produce, in a private copy: the file is never written.
        arena = Arena.ofConfined();
        try {
            MemorySegment image = Recovered.replayInCopy(seg, sb, redo, arena);
            stats.put("replayedInCopy", true);
            return image;
        } catch (OutOfMemoryError e) {
            add(Severity.WARNING, "log", -1, "the pool (" + seg.byteSize() + " bytes) is too large to replay in a private copy"
                    + " in this process; its structures are checked as they are on media, which can show what the replay"
                    + " would fix: run `ferrite recover " + img.path + "` first for a full check", Repair.NONE);
            return seg;
        }
    }

    // ------------------------------------------------------------------ heap

    private void checkHeap(MemorySegment image) {
        Superblock sb = img.sb;
        model = PoolModel.decode(image, sb);
        findings.addAll(model.findings);
        int n = model.slabs.length;
        // progress: free space (n slabs), pointers (n slabs), reachability (n units over the objects)
        try (Progress p = new Progress("check " + img.path.getFileName(), 3L * n, progress)) {
            checkFreeSpace(image, p);
            int pointerErrors = checkPointers(image, p);
            p.update(2L * n);
            long objects = 0;
            for (PoolModel.Slab s : model.slabs) {
                objects += s.ok ? s.used : 0;
            }
            stats.put("types", model.types.size()).put("slabs", n).put("freeSlabs", model.freeSlabs()).put("objects", objects);
            if (StoreChecker.isStore(model)) {
                // before reachability: nodes a broken store link cuts off look leaked, and must not be offered to --repair
                new StoreChecker(model, image, findings, stats).run();
            }
            boolean structural = findings.stream().anyMatch(f -> f.severity() == Severity.ERROR);
            checkReachability(image, pointerErrors == 0 && !structural, p, objects);
        }
    }

    /** Bytes compared against zero at a time: bounded, whatever the slab size the pool claims. */
    static final int ZERO_CHUNK = 1 << 20;

    private void checkFreeSpace(MemorySegment image, Progress p) {
        Superblock sb = img.sb;
        MemorySegment zeros = MemorySegment.ofArray(new byte[(int) Math.min(sb.slabSize(), ZERO_CHUNK)]);
        int reported = 0;
        for (PoolModel.Slab s : model.slabs) {
            p.update(s.index);
            if (s.state == SlabTableDescriptor.STATE_FREE) {
                long at = firstNonZero(image, s.start, sb.slabSize(), zeros);
                if (at >= 0 && reported++ < MAX_LISTED) {
                    add(Severity.ERROR, "free space", at, "slab " + s.index + " is free but holds non-zero bytes from pool offset "
                            + at + " (an object allocated there would not start zeroed)", Repair.NONE);
                }
            } else if (s.ok) {
                Dirty d = firstNonZeroFree(image, s, zeros);
                if (d != null && reported++ < MAX_LISTED) {
                    add(Severity.ERROR, "free space", d.offset, "slab " + s.index + ": non-zero byte at pool offset " + d.offset
                            + " in " + d.place + " (free space must be zero)", Repair.NONE);
                }
            }
        }
        if (reported > MAX_LISTED) {
            add(Severity.ERROR, "free space", -1, (reported - MAX_LISTED) + " more slabs with non-zero free space", Repair.NONE);
        }
    }

    /**
     * The first non-zero byte of a sound in-use slab's free space, or null:
     * the header padding, each free slot, the space after the last slot. Walks the slots in
     * place (no list of ranges: a 1 GiB slab of 8-byte objects has 2^27 of them).
     */
    private Dirty firstNonZeroFree(MemorySegment image, PoolModel.Slab s, MemorySegment zeros) {
        long gap = s.start + SlabHeaderDescriptor.BITMAP_OFFSET + 8L * s.bits.length;
        long at = firstNonZero(image, gap, s.start + s.dataOffset - gap, zeros);
        if (at >= 0) {
            return new Dirty(at, "the header padding");
        }
        for (int i = 0; i < s.count; i++) {
            if (!s.allocated(i)) {
                at = firstNonZero(image, s.objectOffset(i), s.objectSize, zeros);
                if (at >= 0) {
                    return new Dirty(at, "free slot " + i);
                }
            }
        }
        long runEnd = s.start + (long) (s.state == SlabTableDescriptor.STATE_LARGE_HEAD ? s.span : 1) * img.sb.slabSize();
        at = firstNonZero(image, s.objectOffset(s.count), runEnd - s.objectOffset(s.count), zeros);
        return at >= 0 ? new Dirty(at, "the space after the last slot") : null;
    }

    /** {@link #leaked}: iterates the allocated slots of sound slabs that the walk did not mark. */
    private final class Leaked extends AbstractList<long[]> {
        /** Counted once, when the walk's findings are listed. */
        @Override
        public int size() {
            return (int) Math.min(Integer.MAX_VALUE, leakedCount);
        }

        @Override
        public long[] get(int index) {
            int k = 0;
            for (long[] l : this) {
                if (k++ == index) {
                    return l;
                }
            }
            throw new IndexOutOfBoundsException(index);
        }

        @Override
        public Iterator<long[]> iterator() {
            return new Iterator<>() {
                private int slab;
                private int slot = -1;
                private boolean ready;

                @Override
                public boolean hasNext() {
                    if (seen == null) {
                        return false;
                    }
                    while (!ready && slab < model.slabs.length) {
                        PoolModel.Slab s = model.slabs[slab];
                        slot++;
                        if (!s.ok || slot >= s.count) {
                            slab++;
                            slot = -1;
                        } else {
                            ready = s.allocated(slot) && (seen[slab] == null || !seen[slab].get(slot));
                        }
                    }
                    return ready;
                }

                @Override
                public long[] next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    ready = false;
                    return new long[] {model.slabs[slab].objectOffset(slot), slab, slot};
                }
            };
        }
    }

    /** A non-zero byte in free space: its pool offset, and where in the slab it is. */
    private record Dirty(long offset, String place) {
    }

    /** The first non-zero byte in [off, off + len), compared {@code zeros.byteSize()} bytes at a time; -1 if none. */
    private static long firstNonZero(MemorySegment image, long off, long len, MemorySegment zeros) {
        long end = off + len;
        long pos = off;
        while (pos < end) {
            long n = Math.min(end - pos, zeros.byteSize());
            long m = MemorySegment.mismatch(image, pos, pos + n, zeros, 0, n);
            if (m >= 0) {
                return pos + m;
            }
            pos += n;
        }
        return -1;
    }

    /**
     * Checks every pointer with swizzle's {@link PointerVerifier} over the tool's own view of the
     * image (bounds, object starts, allocation, declared target types, the recorded-base word of
     * every slab with pointers), and the recorded-base words of slabs without pointers, which the
     * verifier does not read. Returns the problems found.
     */
    private int checkPointers(MemorySegment image, Progress p) {
        Superblock sb = img.sb;
        int problems = 0;
        for (PoolModel.Slab s : model.slabs) {
            if (s.ok && model.byId.get(s.typeId).pointers().isEmpty()
                    && RecordedBaseDescriptor.state(s.recordedBase) == RecordedBaseDescriptor.STATE_INVALID) {
                problems++;
                add(Severity.ERROR, "slab table", SlabTableDescriptor.entryOffset(sb.slabTableOffset(), s.index)
                        + SlabTableDescriptor.RECORDED_BASE_OFFSET, "slab " + s.index + ": recorded-base word is "
                        + RecordedBaseDescriptor.describe(s.recordedBase), Repair.NONE);
            }
        }
        // A slab in SHIFT or MIXED is a swizzle that a crash interrupted: a legal state that the next
        // open finishes (the verifier reports it once per slab; the model says which slabs they are).
        long midSwizzle = 0;
        for (PoolModel.Slab s : model.slabs) {
            if (s.ok && PoolModel.midSwizzle(s) && !model.byId.get(s.typeId).pointers().isEmpty()) {
                midSwizzle++;
                if (s.baseOk) {
                    add(Severity.RECOVERY, "pointer", SlabTableDescriptor.entryOffset(sb.slabTableOffset(), s.index)
                            + SlabTableDescriptor.RECORDED_BASE_OFFSET, "slab " + s.index + " is mid-swizzle ("
                            + RecordedBaseDescriptor.describe(s.recordedBase) + "): a writer stopped while moving its pointers to a"
                            + " new base; opening the pool finishes the swizzle", Repair.REPLAY);
                }
            }
        }
        VerifyReport r = PointerVerifier.verify(new ModelView(img.media, image, model), MAX_LISTED);
        long listed = 0;
        for (BadPointer b : r.problems()) {
            if (b.problem() != BadPointer.Problem.SWIZZLE_INCOMPLETE) {
                add(Severity.ERROR, "pointer", b.wordOffset(), b.toString(), Repair.NONE);
                listed++;
            }
        }
        long errors = r.problemCount() - midSwizzle;
        if (errors > listed) {
            add(Severity.ERROR, "pointer", -1, (errors - listed) + " more pointer problems", Repair.NONE);
        }
        stats.put("pointers", Json.obj().put("checked", r.pointers()).put("nonNull", r.nonNull()).put("by", "swizzle PointerVerifier"));
        problems += (int) Math.min(Integer.MAX_VALUE, Math.max(0, errors));
        p.update(2L * model.slabs.length);
        return problems;
    }

    /** Marks everything reachable from the root; lists allocated objects it does not reach. */
    private void checkReachability(MemorySegment image, boolean freeable, Progress p, long objects) {
        if (!model.registryOk) {
            return;
        }
        PoolModel.Type rt = model.rootType();
        if (rt == null) {
            stats.put("reachability", "not checked: the pool has no root object");
            return;
        }
        if (model.rootProblem != null) {
            return; // the model's finding names it
        }
        int[] rl = model.locate(model.rootOffset);
        if (rl == null || !model.slabs[rl[0]].allocated(rl[1]) || model.slabs[rl[0]].typeId != rt.id()) {
            add(Severity.ERROR, "reachability", model.rootOffset, "the root object (type " + rt.name() + ") at pool offset "
                    + model.rootOffset + " is not an allocated object of that type", Repair.NONE);
            return;
        }
        seen = new BitSet[model.slabs.length];
        // Pending objects as one long each (slab << 32 | slot): the walk's memory is 8 bytes per
        // object at most, whatever shape the graph has.
        long[] todo = new long[64];
        int pending = 0;
        seen[rl[0]] = new BitSet();
        seen[rl[0]].set(rl[1]);
        todo[pending++] = (long) rl[0] << 32 | rl[1];
        long reached = 0;
        while (pending > 0) {
            long o = todo[--pending];
            if ((++reached & 4095) == 0) {
                p.update(2L * model.slabs.length + reached * model.slabs.length / Math.max(1, objects));
            }
            PoolModel.Slab s = model.slabs[(int) (o >>> 32)];
            long obj = s.objectOffset((int) o);
            for (PoolModel.Field f : model.byId.get(s.typeId).pointers()) {
                long v = image.get(ValueLayout.JAVA_LONG_UNALIGNED, obj + f.offset());
                long target = v == 0 ? -1 : model.targetOffset(s, v);
                if (target < 0) {
                    continue;
                }
                int[] t = model.locate(target);
                if (t == null || !model.slabs[t[0]].allocated(t[1])) {
                    continue;
                }
                BitSet b = seen[t[0]] == null ? (seen[t[0]] = new BitSet()) : seen[t[0]];
                if (!b.get(t[1])) {
                    b.set(t[1]);
                    if (pending == todo.length) {
                        todo = Arrays.copyOf(todo, todo.length * 2);
                    }
                    todo[pending++] = (long) t[0] << 32 | t[1];
                }
            }
        }
        long listed = 0;
        for (PoolModel.Slab s : model.slabs) {
            for (int i = 0; s.ok && i < s.count; i++) {
                if (s.allocated(i) && (seen[s.index] == null || !seen[s.index].get(i)) && listed++ < MAX_LISTED) {
                    add(Severity.ERROR, "reachability", s.objectOffset(i), model.byId.get(s.typeId).name() + "@" + s.objectOffset(i)
                            + " (slab " + s.index + " slot " + i + ") is allocated but not reachable from the root (leaked)"
                            + (freeable ? "" : "; not freed while other damage is present"),
                            freeable ? Repair.FREE_UNREACHABLE : Repair.NONE);
                }
            }
        }
        leakedCount = listed;
        if (listed > MAX_LISTED) {
            add(Severity.ERROR, "reachability", -1, (listed - MAX_LISTED) + " more leaked objects",
                    freeable ? Repair.FREE_UNREACHABLE : Repair.NONE);
        }
        stats.put("reachability", Json.obj().put("reachable", reached).put("leaked", leakedCount));
    }
}
