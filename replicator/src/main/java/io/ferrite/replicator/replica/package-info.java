/**
 * The replica side of replication: {@link io.ferrite.replicator.replica.ReplicaServer} (a pool in
 * replica mode, its mirror log {@code <pool>.mirror}, a listening socket) and the per-primary
 * stream it runs.
 *
 * <p><b>Durability.</b> A record is acknowledged durable (ACK durable LSN) only after the mirror
 * log has persisted it ({@code PmLog.appendMirrored} returns once the record is flushed and
 * fenced); it is applied afterwards through the one replay path ({@code Heap.applyReplicated}) and
 * acknowledged applied. Applied lines reach the pool's media at the pool's next checkpoint; the
 * mirror is reclaimed only after such a checkpoint. After a crash the replica re-applies every
 * record its mirror still holds (records are idempotent) and resumes from the mirror's durable
 * LSN, so nothing acknowledged durable is lost and nothing is applied out of order. A term higher
 * than the pool's is persisted before anything of that term is acknowledged.
 *
 * <p><b>Threading.</b> One accept thread and at most one session thread (one primary at a time;
 * another is refused with an ERROR). Readers of the replica heap may run alongside the applies:
 * what they read is possibly stale, never torn (the heap's replica mode).
 */
package io.ferrite.replicator.replica;
