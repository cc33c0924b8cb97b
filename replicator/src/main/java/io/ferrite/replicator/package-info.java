/**
 * Replication (DESIGN.md section 9, docs/replication.md): ships pmlog records verbatim to
 * replicas over TCP. Built so far: the wire protocol and its authentication
 * ({@link io.ferrite.replicator.wire}), the replica side ({@link io.ferrite.replicator.replica}),
 * a minimal primary side ({@link io.ferrite.replicator.primary}) with in-memory slots, and the
 * base copy that seeds a replica without a pool ({@link io.ferrite.replicator.basecopy}).
 * Not built yet: persisted slots with a retention bound and LOST state, durability levels
 * (REPLICATED(k)), promotion, the archive and power events.
 *
 * <p>The dependency direction is pmlog ← swizzle ← pheap ← replicator ← recovery-tool.
 */
package io.ferrite.replicator;
