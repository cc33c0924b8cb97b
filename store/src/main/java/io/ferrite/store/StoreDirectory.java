package io.ferrite.store;

import io.ferrite.pheap.Durability;
import io.ferrite.pheap.Heap;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * The collections part of a {@link Store}'s directory: loading the directory's entries when the
 * store opens, creating a collection's entry and header on first use, and opening it with its
 * recorded kind and signature. Kept apart from the store so that the store holds the public entry
 * points and this class the directory's on-pool links. It shares the store's name map and lock:
 * the map is changed only under the write lock (or while the store is being opened), and a new
 * entry is published only after its commit.
 */
final class StoreDirectory {
    private final Store store;
    final Heap heap;
    final Mem mem;
    final ReentrantReadWriteLock dirLock;
    /** The store's name → directory entry map, guarded by dirLock. */
    final Map<String, Store.DirEntry> dir;
    final Ref root;

    StoreDirectory(Store store, Heap heap, Mem mem, ReentrantReadWriteLock dirLock, Map<String, Store.DirEntry> dir, Ref root) {
        this.store = store;
        this.heap = heap;
        this.mem = mem;
        this.dirLock = dirLock;
        this.dir = dir;
        this.root = root;
    }

    /** Reads the directory's entries from the pool into the name map (when the store opens). */
    void load() {
        long d = mem.ptr(root.offset(), StoreTypes.ROOT_DIR);
        long from = root.offset();
        while (d != 0) {
            if (d == Mem.BAD) {
                throw new CorruptedEntryException(Store.DIRECTORY, null, from, "directory link leads outside the pool", mem.pool);
            }
            String name = text(mem.ptr(d, StoreTypes.DENT_NAME), Store.DIRECTORY);
            long sigOff = mem.ptr(d, StoreTypes.DENT_SIG);
            String sig = sigOff == 0 ? "" : text(sigOff, name);
            int kind = (int) mem.i64(d, StoreTypes.DENT_KIND);
            // names are unique by construction, so a name seen again means the links loop (which
            // also bounds this walk by the number of entries)
            Store.DirEntry seen = dir.putIfAbsent(name, new Store.DirEntry(name, d, kind, sig));
            if (seen != null) {
                throw new CorruptedEntryException(Store.DIRECTORY, Store.describeKey(name), d, "the name is in the directory twice (entries at pool offsets "
                        + seen.offset + " and " + d + "): its links loop back to an earlier entry", mem.pool);
            }
            from = d;
            d = mem.ptr(d, StoreTypes.DENT_NEXT);
        }
    }

    private String text(long blob, String collection) {
        if (blob <= 0) {
            throw new CorruptedEntryException(collection, null, blob, "missing or out-of-pool name", mem.pool);
        }
        byte[] e = mem.blob(blob);
        String p = e == null ? "impossible blob length" : EntryDescriptor.problem(e);
        if (p != null) {
            throw new CorruptedEntryException(collection, null, blob, p, mem.pool);
        }
        return new String(e, EntryDescriptor.valueOffset(e), EntryDescriptor.valueLength(e), StandardCharsets.UTF_8);
    }

    Object collection(String name, int kind, String sig, Function<Tx, Ref> allocate, Function<Store.DirEntry, Object> open) {
        store.ensureOpen();
        Store.checkName(name);
        ReentrantReadWriteLock.WriteLock w = dirLock.writeLock();
        Transaction t = store.txState();
        if (!t.active) {
            w.lock();
        } else {
            t.lock(w);
        }
        try {
            Store.DirEntry d = dir.get(name);
            if (d == null) {
                if (t.active) {
                    throw new IllegalStateException("collection '" + name + "' does not exist yet; create collections outside"
                            + " transactions (store." + kindName(kind) + "(...) before inTransaction)");
                }
                d = createEntry(name, kind, sig, allocate);
            }
            if (d.kind != kind || !d.sig.equals(sig)) {
                throw new StoreException("'" + name + "' in store " + mem.pool + " is a " + d.sig + ", not a " + sig,
                        "open it with the kind and types it was created with, or use another name");
            }
            if (d.collection == null) {
                d.collection = open.apply(d);
            }
            return d.collection;
        } finally {
            if (!t.active) {
                w.unlock();
            }
        }
    }

    private Store.DirEntry createEntry(String name, int kind, String sig, Function<Tx, Ref> allocate) {
        try (Tx tx = heap.begin(Durability.SYNC)) {
            Ref d = tx.allocate(StoreTypes.DENT);
            tx.setRef(d, StoreTypes.DENT_NAME, tx.allocateBytes(EntryDescriptor.build(null, name.getBytes(StandardCharsets.UTF_8))));
            tx.setRef(d, StoreTypes.DENT_SIG, tx.allocateBytes(EntryDescriptor.build(null, sig.getBytes(StandardCharsets.UTF_8))));
            tx.setLong(d, StoreTypes.DENT_KIND, kind);
            if (allocate != null) {
                Ref h = allocate.apply(tx);
                tx.setRef(d, switch (kind) {
                    case Store.KIND_MAP -> StoreTypes.DENT_HMAP;
                    case Store.KIND_SORTED -> StoreTypes.DENT_SMAP;
                    default -> StoreTypes.DENT_LIST;
                }, h);
            }
            tx.setRef(d, StoreTypes.DENT_NEXT, tx.getRef(root, StoreTypes.ROOT_DIR));
            tx.setRef(root, StoreTypes.ROOT_DIR, d);
            tx.commit();
            Store.DirEntry e = new Store.DirEntry(name, d.offset(), kind, sig);
            Map<String, Store.DirEntry> m = new LinkedHashMap<>();
            m.put(name, e);
            m.putAll(dir);
            dir.clear();
            dir.putAll(m);
            return e;
        }
    }

    /** The pool offset of a collection's header object (read under the directory lock). */
    long headerOf(Store.DirEntry d) {
        long off = mem.ptr(d.offset, switch (d.kind) {
            case Store.KIND_MAP -> StoreTypes.DENT_HMAP;
            case Store.KIND_SORTED -> StoreTypes.DENT_SMAP;
            default -> StoreTypes.DENT_LIST;
        });
        if (off <= 0) {
            throw new CorruptedEntryException(d.name, null, d.offset, "the directory entry's header pointer is "
                    + (off == 0 ? "null" : "outside the pool"), mem.pool);
        }
        return off;
    }

    private static String kindName(int kind) {
        return switch (kind) {
            case Store.KIND_MAP -> "map";
            case Store.KIND_SORTED -> "sortedMap";
            case Store.KIND_LIST -> "list";
            default -> "setRoot";
        };
    }
}
