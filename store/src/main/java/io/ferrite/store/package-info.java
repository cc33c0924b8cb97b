/**
 * The object store: a {@link io.ferrite.store.Store} over one persistent heap, with a directory of
 * named roots and thread-safe persistent collections — {@link io.ferrite.store.PersistentMap}
 * (hash map, incremental resize), {@link io.ferrite.store.PersistentSortedMap} (skip list, range
 * scans) and {@link io.ferrite.store.PersistentList} (list / deque) — whose values go through
 * {@link io.ferrite.store.Codec}s: native for primitives, {@code String} and {@code byte[]},
 * Kryo 5 for registered classes, or the application's own. See {@code docs/store.md}.
 *
 * <p><b>What it owns.</b> The store's persistent types ({@code store.*}: directory entries,
 * collection headers and nodes, laid out in {@code StoreTypes}) and the entry blob format
 * ({@code EntryDescriptor}: key and value bytes under a CRC32C). Everything else — the pool, slabs,
 * transactions, the log, recovery — is the heap's ({@code io.ferrite.pheap}).
 *
 * <p><b>Threading.</b> A store and its collections are shared by any number of threads. A
 * hash-map write holds one of 64 stripe locks through its durable commit and apply; a hash-map
 * {@code get} outside a transaction is lock-free (optimistic read, validated). Sorted maps and
 * lists have one read-write lock each. Inside {@link io.ferrite.store.Store#inTransaction} every
 * operation of the calling thread joins the transaction and keeps its lock to the end; a lock not
 * obtained within the context's lock timeout makes the body run again, so bodies must have no side
 * effects outside the store. Iteration is weakly consistent (maps) or a snapshot (lists), and
 * never throws {@link java.util.ConcurrentModificationException}.
 *
 * <p><b>Durability.</b> Every operation outside a transaction, and every transaction, is one
 * atomic commit that has been persisted in the pool's log and applied when the call returns
 * ({@code SYNC}; the store refuses {@code ASYNC}). After a crash, recovery shows each collection
 * as it was after some commit that includes every returned operation, never a part of one.
 * Entries are checked (CRC32C) on every read; damage is a
 * {@link io.ferrite.store.CorruptedEntryException} naming the collection and key.
 */
package io.ferrite.store;
