package io.ferrite.pheap;

/** When {@link Tx#commit()} returns. */
public enum Durability {
    /** After the redo record is persisted in the local log and applied (default). */
    SYNC,
    /**
     * After the redo record is appended, before it is durable: ASYNC defers durability only.
     * Visibility and order are those of SYNC. A transaction that begins after the commit returned
     * (on any thread), and a direct read of the heap ({@code Heap.getLong} and the like) made after
     * it, see its changes; commits take effect in log order, so the live heap, a clean close and
     * crash recovery agree. The record is applied in place once it is durable (redo only: nothing
     * of it may reach the pool before its record is in the log), so such a begin or read first
     * waits for that flush and applies every earlier pending ASYNC record, by whichever thread
     * gets there first; a checkpoint and close do the same. A crash may lose a suffix of the last
     * ASYNC commits, each whole or not at all, never one that a later SYNC commit follows.
     */
    ASYNC
}
