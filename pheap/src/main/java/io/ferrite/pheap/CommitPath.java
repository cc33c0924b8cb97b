package io.ferrite.pheap;

import io.ferrite.pheap.format.RedoRecordDescriptor;
import io.ferrite.pmlog.LogFullException;
import io.ferrite.pmlog.PmLog;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The commit path of one heap: passes the admission gate, appends a transaction's redo record to
 * the log (SYNC: waits until the group holding it is durable; ASYNC: returns after the append),
 * applies it in place through the heap's {@link Replay} once durable, and keeps the pending ASYNC
 * records, applying them in log order before any later apply and before the reads that must see
 * them.
 *
 * <p>Threading: {@link #append} runs on the committing thread with that thread's context; the
 * pending ASYNC record of a context is applied by whichever thread needs it first, under the
 * context's monitor and, for log order, under one apply-order lock. Durability: a record is
 * applied only after it is durable (redo only: nothing of it reaches the pool earlier), and the
 * lines it writes are marked for the next checkpoint; this class flushes nothing itself.
 */
final class CommitPath {
    private final Heap heap;
    private final PmLog log;
    private final Replay applier;
    private final AdmissionGate admission;
    private final Checkpointer checkpointer;
    private final List<ThreadCtx> contexts;
    private final String poolName;
    /** ASYNC records appended and not applied yet, over all threads (each holds at most one). */
    private final AtomicInteger pendingAsync = new AtomicInteger();
    /** Held while pending ASYNC records are applied, so that they are applied in log order. */
    private final Object applyOrderLock = new Object();
    private final LongAdder commits = new LongAdder();

    CommitPath(Heap heap, PmLog log, Replay applier, AdmissionGate admission, Checkpointer checkpointer, List<ThreadCtx> contexts,
            String poolName) {
        this.heap = heap;
        this.log = log;
        this.applier = applier;
        this.admission = admission;
        this.checkpointer = checkpointer;
        this.contexts = contexts;
        this.poolName = poolName;
    }

    /** Commits appended so far. */
    long commits() {
        return commits.sum();
    }

    void append(ThreadCtx c, RedoWriter w, Durability d, SlabAllocator.SlabState[] fSlab, int[] fSlot, int frees) {
        // one gate pass per commit: a record of the heap's own inside it (none today) would not pass twice
        boolean outer = !c.committing;
        if (outer) {
            admission.enter(c);
        }
        try {
            appendAdmitted(c, w, d, fSlab, fSlot, frees);
        } finally {
            if (outer) {
                admission.exit(c);
            }
        }
    }

    private void appendAdmitted(ThreadCtx c, RedoWriter w, Durability d, SlabAllocator.SlabState[] fSlab, int[] fSlot, int frees) {
        HeapEvents.Commit ev = new HeapEvents.Commit();
        ev.begin();
        int len = w.length();
        if (len > log.maxRecordSize()) {
            throw new TransactionTooLargeException(String.format("transaction too large for pool %s: its redo record is %,d bytes"
                    + " (%d operations), the log takes records up to %,d bytes (log capacity %,d)", poolName, len, w.opCount(),
                    log.maxRecordSize(), log.capacity()), "split it into smaller transactions, or create the pool with a larger logCapacity");
        }
        MemorySegment rec = w.segment().asSlice(0, len);
        // No bound before the append: the copy publishes the record's LSN as this thread's inflight
        // bound when the log reserves it, before the record is complete, so before it can be
        // durable; a checkpoint reads the durable LSN first and the bounds after, and never passes
        // the record. A bound published before the append (this thread's previous LSN) could be
        // far older than anything the thread can still write, and held every checkpoint back while
        // the append waited for log space that only a checkpoint could free. The bound is this
        // append's alone: the thread's pending ASYNC record has its own (pendingLsn), which
        // another thread may clear meanwhile by applying it.
        ThreadCtx.LogCopy copy = c.logCopy.of(rec);
        long lsn;
        try {
            lsn = d == Durability.SYNC ? log.append(len, RedoRecordDescriptor.LOG_RECORD_TYPE, copy)
                    : log.appendAsync(len, RedoRecordDescriptor.LOG_RECORD_TYPE, copy);
        } catch (LogFullException e) {
            c.inflight = ThreadCtx.NONE;
            throw new LogFullException("commit of " + len + " bytes to pool " + poolName + " failed: " + e.getMessage()
                    + " (checkpoint LSN " + heap.superblock().checkpointLsn() + ")", "checkpoint more often, create the pool with a larger logCapacity,"
                    + " or use logFullPolicy WAIT");
        } catch (RuntimeException | Error e) {
            c.inflight = ThreadCtx.NONE;
            throw e;
        }
        if (d == Durability.SYNC) {
            applyAndRelease(lsn, rec, len, fSlab, fSlot, frees);
            c.inflight = ThreadCtx.NONE;
        } else {
            synchronized (c) {
                c.pendingLsn = lsn;
                RedoWriter t = c.txWriter;
                c.txWriter = c.pendingWriter;
                c.pendingWriter = t;
                if (c.pendingFreeSlab.length < frees) {
                    c.pendingFreeSlab = new SlabAllocator.SlabState[frees];
                    c.pendingFreeSlot = new int[frees];
                }
                if (frees > 0) {
                    System.arraycopy(fSlab, 0, c.pendingFreeSlab, 0, frees);
                    System.arraycopy(fSlot, 0, c.pendingFreeSlot, 0, frees);
                }
                c.pendingFrees = frees;
                pendingAsync.incrementAndGet();
                c.inflight = ThreadCtx.NONE; // after pendingLsn took over the bound
            }
        }
        commits.increment();
        if (ev.shouldCommit()) {
            ev.lsn = lsn;
            ev.bytes = len;
            ev.operations = w.opCount();
            ev.durability = d.name();
            ev.commit();
        }
        if ((++c.commitsSinceCheck & 63) == 0) {
            checkpointer.maybeWake();
        }
    }

    private void applyAndRelease(long lsn, MemorySegment rec, int len, SlabAllocator.SlabState[] fSlab, int[] fSlot, int frees) {
        applyPendingBelow(lsn); // earlier ASYNC records first: applies happen in log order
        applier.apply(lsn, rec, 0, len);
        SlabAllocator allocator = heap.allocator();
        for (int i = 0; i < frees; i++) {
            SlabAllocator.SlabState s = fSlab[i];
            if (s.large()) {
                allocator.releaseLarge(s);
            } else if (s.release(fSlot[i])) {
                allocator.retireLater(s);
            }
        }
    }

    /**
     * Applies every pending ASYNC record appended before now (waiting until each is durable), so
     * that whatever the caller reads next includes every commit that returned before this call:
     * ASYNC defers durability, not visibility. One volatile read when nothing is pending.
     */
    void applyPendingAsync() {
        if (pendingAsync.get() != 0) {
            applyPendingBelow(log.tailLsn());
        }
    }

    /**
     * Applies the pending ASYNC records below {@code limit} in LSN order, under one lock, waiting
     * until each is durable (an ASYNC record is applied only once durable: redo only, nothing of
     * it may reach the pool before its record is in the log). Every apply, SYNC or ASYNC, first
     * calls this with its own LSN, so no record is applied over a later one: the live heap then
     * holds what replaying the log gives. A record appended after the limit was read is not
     * waited for (commits that had not returned when the caller started).
     */
    void applyPendingBelow(long limit) {
        if (pendingAsync.get() == 0) {
            return;
        }
        synchronized (applyOrderLock) {
            while (pendingAsync.get() != 0) {
                ThreadCtx first = null;
                long firstLsn = limit;
                for (ThreadCtx c : contexts) {
                    long l = c.pendingLsn;
                    if (l < firstLsn) {
                        first = c;
                        firstLsn = l;
                    }
                }
                if (first == null) {
                    return;
                }
                drainPending(first);
            }
        }
    }

    /** Applies a thread's ASYNC record once it is durable; only through {@link #applyPendingBelow}. */
    private void drainPending(ThreadCtx c) {
        synchronized (c) {
            long lsn = c.pendingLsn;
            if (lsn == ThreadCtx.NONE) {
                return;
            }
            log.awaitDurable(lsn);
            RedoWriter w = c.pendingWriter;
            applyAndRelease(lsn, w.segment(), w.length(), c.pendingFreeSlab, c.pendingFreeSlot, c.pendingFrees);
            Arrays.fill(c.pendingFreeSlab, 0, c.pendingFrees, null);
            c.pendingFrees = 0;
            c.pendingLsn = ThreadCtx.NONE;
            pendingAsync.decrementAndGet();
        }
    }
}
