package io.ferrite.pheap;

import io.ferrite.pheap.format.PoolValidation;
import io.ferrite.pheap.format.Superblock;
import io.ferrite.pmlog.PmLog;
import io.ferrite.swizzle.SwizzleReport;
import java.lang.foreign.MemorySegment;
import java.time.Duration;

/**
 * What an open does before the heap is handed out: checks what replay relies on, opens the log,
 * replays it from the checkpoint LSN through {@link Replay} (each pointer for its slab's recorded
 * base), checkpoints, rebuilds the heap's DRAM state (registry, allocator, swizzle when the base
 * moved) as a step of its own, and gives back slabs found empty.
 *
 * <p>Threading: runs once, on the opening thread, before any other thread can see the heap.
 * Durability: the replayed lines are flushed and fenced before the superblock names the new
 * checkpoint LSN (so no record is replayed again over swizzled words); the superblock is persisted
 * before the log is reclaimed, never past the retention floor.
 */
final class Recovery {
    private static final System.Logger LOG = System.getLogger("io.ferrite.pheap");

    private Recovery() {
    }

    /** Recovers {@code heap}'s pool; returns what it did. */
    static RecoveryReport run(Heap heap) {
        long t0 = System.nanoTime();
        HeapEvents.Recovery ev = new HeapEvents.Recovery();
        ev.begin();
        Superblock s = heap.superblock();
        MemorySegment seg = heap.segment();
        String poolName = heap.name();
        heap.registry().checkVersion(); // before anything is written
        String bases = PoolValidation.recordedBasesProblem(seg, s); // before replay stores pointers for them
        if (bases != null) {
            throw new PoolCorruptedException("slab metadata of pool " + poolName + " is damaged: " + bases,
                    "run `ferrite check " + poolName + "`");
        }
        PmLog log = heap.openLog();
        Checkpointer checkpointer = heap.checkpointer();
        long from = s.checkpointLsn();
        // 1. replay: pointer words in the form of their slab's recorded base (the swizzle moves them)
        Replay.Result replayed;
        try {
            replayed = Replay.atRecordedBases(seg, s, heap.baseAddress(), heap.dirty()).replay(log, from);
        } catch (IllegalArgumentException e) {
            // the checkpoint LSN is no record of the log (reclaimed, beyond its end, mid-record):
            // the superblock or the log is damaged; replay stopped there
            throw new PoolCorruptedException("pool " + poolName + ": cannot replay its log from the superblock's checkpoint LSN "
                    + from + ": " + e.getMessage(), "run `ferrite check " + poolName + "`", e);
        }
        long to = replayed.endLsn();
        long t1 = System.nanoTime();
        // 2. checkpoint: the replayed writes durable before the checkpoint LSN passes them, so no
        //    redo record remains that a later replay would apply over swizzled words
        if (replayed.records() > 0) {
            checkpointer.flushDirty();
        }
        heap.writeSuperblock(s.next(Math.max(to, s.checkpointLsn()), false));
        // also when nothing was replayed: a crash between a checkpoint's superblock and its
        // reclaim leaves the log's head behind the checkpoint LSN, and a full log would stay full
        log.reclaim(checkpointer.reclaimBound(to));
        // 3. what the heap keeps in DRAM, from the replayed pool; swizzles when the base moved
        Heap.VolatileState vs = heap.rebuildVolatileState();
        long live = vs.live();
        SwizzleReport swz = vs.swizzle();
        // 4. only now records may be appended again: give back slabs found empty (a replica
        //    appends nothing; its primary retires its own slabs)
        SlabAllocator allocator = heap.allocator();
        if (!heap.isReplica() && allocator.hasRetiring()) {
            allocator.retirePending(heap.ctx().sysWriter, heap::commitSystem);
        }
        long t3 = System.nanoTime();
        RecoveryReport recovery = new RecoveryReport(s.cleanClose(), from, to, replayed.records(), replayed.bytes(), live, Duration.ofNanos(t1 - t0),
                Duration.ofNanos(t3 - t0), swz, swz.nothingToDo() ? Duration.ZERO : Duration.ofNanos(swz.nanos()));
        if (ev.shouldCommit()) {
            ev.pool = poolName;
            ev.records = replayed.records();
            ev.bytes = replayed.bytes();
            ev.cleanClose = s.cleanClose();
            ev.commit();
        }
        LOG.log(replayed.records() > 0 || recovery.relocated() ? System.Logger.Level.INFO : System.Logger.Level.DEBUG, () -> poolName + ": " + recovery);
        return recovery;
    }
}
