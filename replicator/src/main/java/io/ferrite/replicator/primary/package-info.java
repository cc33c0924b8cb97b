/**
 * The primary side of replication: a {@link io.ferrite.replicator.primary.Shipper} per destination
 * and the {@link io.ferrite.replicator.primary.Slots} that hold the log for them.
 *
 * <p><b>Durability.</b> A shipper sends only records the primary's log has made durable (the
 * tailing reader never delivers past the durable LSN), verbatim, in LSN order, and adds no work to
 * the commit path (it waits on the durable-LSN signal). The slots are the heap's retention floor:
 * the log is reclaimed only up to the lowest LSN a destination acknowledged durable. In this
 * version the slots live in memory only (docs/decisions.md): they are not persisted in the pool
 * and have no retention bound yet.
 *
 * <p><b>Threading.</b> Each shipper has a shipping thread (reads the log, sends ENTRIES and
 * HEARTBEAT; a blocked send is TCP back-pressure on that thread only) and an ack-reading thread
 * (moves its slot). Slots are thread-safe; the retention floor is read lock-free by the
 * checkpointer.
 */
package io.ferrite.replicator.primary;
