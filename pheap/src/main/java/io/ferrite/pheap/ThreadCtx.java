package io.ferrite.pheap;

import io.ferrite.pmlog.PayloadWriter;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Per-thread state of one heap: the reusable transaction, redo buffers, current slab per type,
 * and the LSNs this thread has appended but not applied yet ({@link #inflight}, {@link
 * #pendingLsn}), which bound the checkpoint LSN. Only the owning thread uses it, except the
 * pending ASYNC record, which any thread may apply (under this object's monitor, in log order
 * under the heap's apply-order lock), and the two volatile LSNs, which checkpoints read.
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
    int commitsSinceCheck;
    /** Transactions begun by this thread (the redo record's transaction id, for diagnostics). */
    long txCount;

    /**
     * The LSN of the record this thread is appending, from the moment the log reserves it ({@link
     * LogCopy#reserved}, before the record can be durable) until it is applied (SYNC) or handed to
     * {@link #pendingLsn} (ASYNC); NONE otherwise. Written only by this thread.
     */
    volatile long inflight = NONE;
    final LogCopy logCopy = new LogCopy();

    // ASYNC: one appended, not yet applied record (guarded by this; the LSN is read without the
    // monitor to find the oldest pending record of the heap)
    volatile long pendingLsn = NONE;
    SlabAllocator.SlabState[] pendingFreeSlab = new SlabAllocator.SlabState[8];
    int[] pendingFreeSlot = new int[8];
    int pendingFrees;
    /** The thread has ended and one reaper has given its slabs back (guarded by this). */
    boolean reaped;

    /** Copies this thread's redo record into the log (reused: the append path allocates nothing). */
    final class LogCopy implements PayloadWriter {
        private MemorySegment record;

        LogCopy of(MemorySegment record) {
            this.record = record;
            return this;
        }

        @Override
        public void reserved(long lsn) {
            inflight = lsn;
        }

        @Override
        public void write(MemorySegment segment, long offset, int length) {
            MemorySegment.copy(record, 0, segment, offset, length);
        }
    }

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
