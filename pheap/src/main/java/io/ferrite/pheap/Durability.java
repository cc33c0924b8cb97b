package io.ferrite.pheap;

/** When {@link Tx#commit()} returns. */
public enum Durability {
    /** After the redo record is persisted in the local log and applied (default). */
    SYNC,
    /**
     * After the redo record is appended, before it is durable. The record is applied once it is
     * durable: at the latest when the committing thread begins its next transaction, at a
     * checkpoint, or at close. A crash may lose the last ASYNC commits, never part of one.
     */
    ASYNC
}
