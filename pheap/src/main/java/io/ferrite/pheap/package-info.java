/**
 * The persistent heap: a pool file of typed slabs, changed only by redo-logged transactions.
 *
 * <h2>What it owns</h2>
 * {@link io.ferrite.pheap.Heap} (create, open with recovery, checkpoint, close),
 * {@link io.ferrite.pheap.Tx} (transactions), the type system ({@link io.ferrite.pheap.PType},
 * {@link io.ferrite.pheap.PField}, the persisted type registry), the slab allocator (DRAM state
 * rebuilt from the bitmaps at open), and {@link io.ferrite.pheap.RedoApplier}, the one replay
 * code shared by commit, crash recovery and replicas. The on-media layout lives in
 * {@link io.ferrite.pheap.format}.
 *
 * <h2>Threading</h2>
 * A {@code Heap} is shared by any number of threads. Each thread runs at most one transaction at
 * a time, and a {@code Tx} must be used only by the thread that began it. Allocation takes a
 * per-thread current slab per type (no global lock on that path). Isolation between transactions
 * that touch the same objects is the caller's (as in PMDK/LLPL): two threads writing one object
 * concurrently race. Checkpoints run in a background thread (configurable), on demand, when the
 * log fills, and at close. One process, one writer: a second open of a pool file, by any path to
 * it (a link, another mount), in this process or another, fails
 * ({@link io.ferrite.pheap.HeapLockedException}); the lock is an exclusive {@code flock} on the
 * pool file ({@link io.ferrite.pheap.PoolLock}).
 *
 * <h2>Durability</h2>
 * Every change to the pool besides the log and the superblocks is a redo record: a commit appends
 * one record (physical, idempotent operations; pointers as pool offsets), waits until it is
 * durable ({@link io.ferrite.pheap.Durability#SYNC}, default) or only appended
 * ({@link io.ferrite.pheap.Durability#ASYNC}), and applies it in place once it is durable, in log
 * order: an ASYNC record is applied, by whichever thread needs it first, before any later apply
 * and before any transaction that begins, or direct read made, after its commit returned. A
 * transaction is durable exactly when its record is; a crash keeps every durable transaction
 * whole and no part of any other. Allocation reserves in DRAM and logs the bitmap bit, so an aborted or crashed
 * transaction leaks nothing. A checkpoint writes back the lines applied since the previous one,
 * then persists the checkpoint LSN (never beyond a record not yet applied) in the alternate
 * superblock and reclaims the log before it. Recovery replays from the checkpoint LSN.
 *
 * <h2>Pointers</h2>
 * A pointer field holds the absolute address of its target in the current mapping (0 = null);
 * open asks to map the pool at the base its pointers assume. When it lands elsewhere, open replays
 * the log (pointers in each slab's recorded-base form), checkpoints, and has the swizzle module
 * rewrite every pointer to the new base through {@link io.ferrite.pheap.PoolSwizzleView} (the slab
 * table's per-slab recorded base and the registry's pointer offsets) before the heap is handed
 * out; see docs/swizzling.md, section 10.
 */
package io.ferrite.pheap;
