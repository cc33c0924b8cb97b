package io.ferrite.pheap;

import java.util.Arrays;

/**
 * Per-thread state of one heap: the reusable transaction, redo buffers, current slab per type,
 * and the LSN this thread has appended but not applied yet ({@link #inflight}), which bounds the
 * checkpoint LSN. Only the owning thread uses it, except {@link #drainPending} (under this
 * object's monitor) and the volatile {@link #inflight}, which checkpoints read.
 */
final class ThreadCtx {
    static final long NONE = Long.MAX_VALUE;

    final Thread thread;
    final Tx tx;
    RedoWriter txWriter = new RedoWriter(4096);
    RedoWriter pendingWriter = new RedoWriter(4096);
    final RedoWriter sysWriter = new RedoWriter(1024);
    SlabAllocator.SlabState[] current = new SlabAllocator.SlabState[32];
    final int[] slotOut = new int[1];
    /** LSN of this thread's last appended record (0 before the first). */
    long lastLsn;
    int commitsSinceCheck;
    /** Transactions begun by this thread (the redo record's transaction id, for diagnostics). */
    long txCount;

    /** Lowest LSN this thread appended and has not applied yet, or a lower bound during an append; NONE if none. */
    volatile long inflight = NONE;

    // ASYNC: one appended, not yet applied record (guarded by this)
    long pendingLsn = NONE;
    SlabAllocator.SlabState[] pendingFreeSlab = new SlabAllocator.SlabState[8];
    int[] pendingFreeSlot = new int[8];
    int pendingFrees;
    /** The thread has ended and one reaper has given its slabs back (guarded by this). */
    boolean reaped;

    ThreadCtx(Heap heap, Thread thread) {
        this.thread = thread;
        this.tx = new Tx(heap, this);
    }

    SlabAllocator.SlabState[] current(int typeId) {
        if (typeId >= current.length) {
            current = Arrays.copyOf(current, Math.max(current.length * 2, typeId + 1));
        }
        return current;
    }

    /** The lowest not-yet-applied LSN this thread is responsible for besides a commit in progress. */
    long pendingFloor() {
        return pendingLsn;
    }
}
