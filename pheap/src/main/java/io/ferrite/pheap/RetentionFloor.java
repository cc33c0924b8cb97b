package io.ferrite.pheap;

/**
 * Holds log space for someone besides the checkpoint (a replication slot whose replica has not
 * acknowledged its records yet, later an archive): the heap reclaims its log only up to
 * {@code min(checkpoint LSN, floorLsn())}. Set with {@link HeapOptions#retentionFloor}; the
 * default holds nothing.
 *
 * <p>Called from the checkpointing thread (background, on demand, when the log fills, at open
 * and close), under the heap's checkpoint lock: it must be quick, must not block on the heap, and
 * must be thread-safe. The answer must be a record boundary of the log (an LSN a replica
 * acknowledged as the end of what it holds), or an LSN at or before the log's head (nothing more
 * is held back then), or {@link #NONE}.
 */
@FunctionalInterface
public interface RetentionFloor {
    /** Holds nothing back. */
    long NONE = Long.MAX_VALUE;

    /** The lowest LSN that must stay in the log; {@link #NONE} when nothing is held. */
    long floorLsn();
}
