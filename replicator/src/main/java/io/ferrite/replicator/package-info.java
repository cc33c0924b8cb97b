/**
 * Replication (a later issue): ships pmlog records verbatim to replicas over TCP (HELLO, ENTRIES,
 * ACK, SEAL frames with CRC), per-replica LSN slots persisted in the primary's pool, catch-up by
 * base copy, promotion and fencing by term, the Chronicle Queue archive for point-in-time
 * restore, and power-event sources with the battery-budgeted drain (DESIGN.md section 9).
 *
 * <p>Nothing is implemented here yet; the module exists so that the dependency direction
 * pmlog ← swizzle ← pheap ← replicator ← recovery-tool is fixed from the start.
 */
package io.ferrite.replicator;
