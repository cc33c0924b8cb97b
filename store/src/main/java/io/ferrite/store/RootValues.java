package io.ferrite.store;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The named root values of a {@link Store} ({@link Store#setRoot}, {@link Store#getRoot},
 * {@link Store#removeRoot}): directory entries of kind value, each holding one checksummed blob.
 * Kept apart from the store so that the store opens the pool and hands out collections, and
 * this class reads and writes the values. It shares the store's directory and its lock: the
 * directory map is read under the read lock and changed only under the write lock, and only
 * after the change's commit.
 */
final class RootValues {
    private final Store store;
    private final Heap heap;
    private final Mem mem;
    private final ReentrantReadWriteLock dirLock;
    /** The store's name → directory entry map, guarded by dirLock. */
    private final Map<String, Store.DirEntry> dir;
    private final Ref root;

    RootValues(Store store, Heap heap, Mem mem, ReentrantReadWriteLock dirLock, Map<String, Store.DirEntry> dir, Ref root) {
        this.store = store;
        this.heap = heap;
        this.mem = mem;
        this.dirLock = dirLock;
        this.dir = dir;
        this.root = root;
    }

    /**
     * Stores {@code value} under {@code name} (a named root value, encoded with {@link Store#codec}),
     * replacing any previous value of that name; atomic and durable, or part of the current
     * transaction.
     */
    @SuppressWarnings("unchecked")
    public <T> void setRoot(String name, T value) {
        store.ensureOpen();
        Store.checkName(name);
        Objects.requireNonNull(value, "value");
        Codec<T> c = (Codec<T>) store.codec(value.getClass());
        String sig = StoreTypes.signature(Store.KIND_VALUE, c.name(), null);
        byte[] bytes = EntryDescriptor.build(null, c.encode(value));
        Transaction t = store.txState();
        boolean own = t.beginOp();
        try {
            t.lock(dirLock.writeLock());
            Store.DirEntry d = dir.get(name);
            Tx tx = t.tx;
            if (d == null) {
                if (!own) {
                    throw new IllegalStateException("root '" + name + "' does not exist yet; create it outside transactions");
                }
                Ref e = tx.allocate(StoreTypes.DENT);
                tx.setRef(e, StoreTypes.DENT_NAME, tx.allocateBytes(EntryDescriptor.build(null, name.getBytes(StandardCharsets.UTF_8))));
                tx.setRef(e, StoreTypes.DENT_SIG, tx.allocateBytes(EntryDescriptor.build(null, sig.getBytes(StandardCharsets.UTF_8))));
                tx.setLong(e, StoreTypes.DENT_KIND, Store.KIND_VALUE);
                tx.setRef(e, StoreTypes.DENT_VALUE, tx.allocateBytes(bytes));
                tx.setRef(e, StoreTypes.DENT_NEXT, tx.getRef(root, StoreTypes.ROOT_DIR));
                tx.setRef(root, StoreTypes.ROOT_DIR, e);
                Store.DirEntry de = new Store.DirEntry(name, e.offset(), Store.KIND_VALUE, sig);
                t.afterCommit(() -> {
                    Map<String, Store.DirEntry> m = new LinkedHashMap<>();
                    m.put(name, de);
                    m.putAll(dir);
                    dir.clear();
                    dir.putAll(m);
                });
            } else {
                if (d.kind != Store.KIND_VALUE) {
                    throw new StoreException("'" + name + "' in store " + mem.pool + " is a " + d.sig + ", not a value",
                            "use another name for the value");
                }
                Ref e = heap.ref(d.offset);
                Ref old = tx.getRef(e, StoreTypes.DENT_VALUE);
                tx.setRef(e, StoreTypes.DENT_VALUE, tx.allocateBytes(bytes));
                if (old != null) {
                    tx.free(old);
                }
                if (!d.sig.equals(sig)) {
                    Ref oldSig = tx.getRef(e, StoreTypes.DENT_SIG);
                    tx.setRef(e, StoreTypes.DENT_SIG, tx.allocateBytes(EntryDescriptor.build(null, sig.getBytes(StandardCharsets.UTF_8))));
                    if (oldSig != null) {
                        tx.free(oldSig);
                    }
                    t.afterCommit(() -> d.sig = sig);
                }
            }
            if (own) {
                t.commit();
            }
        } finally {
            if (own) {
                t.abortIfActive();
            }
        }
    }

    /** The value stored under {@code name}, or null if there is none. */
    public <T> T getRoot(String name, Class<T> type) {
        store.ensureOpen();
        Codec<T> c = store.codec(type);
        Transaction t = store.txState();
        byte[] e;
        Store.DirEntry d;
        if (t.active) {
            t.lock(dirLock.writeLock());
            d = dir.get(name);
            if (d == null) {
                return null;
            }
            Ref v = t.tx.getRef(heap.ref(d.offset), StoreTypes.DENT_VALUE);
            e = v == null ? null : t.tx.getBytes(v);
        } else {
            dirLock.readLock().lock();
            try {
                d = dir.get(name);
                if (d == null) {
                    return null;
                }
                long v = mem.ptr(d.offset, StoreTypes.DENT_VALUE);
                if (v == Mem.BAD) {
                    throw new CorruptedEntryException(name, null, d.offset, "value pointer outside the pool", mem.pool);
                }
                e = v == 0 ? null : mem.blob(v);
                if (v != 0 && e == null) {
                    throw new CorruptedEntryException(name, null, v, "impossible blob length", mem.pool);
                }
            } finally {
                dirLock.readLock().unlock();
            }
        }
        if (d.kind != Store.KIND_VALUE) {
            throw new StoreException("'" + name + "' in store " + mem.pool + " is a " + d.sig + ", not a value", "");
        }
        if (e == null) {
            return null;
        }
        String p = EntryDescriptor.problem(e);
        if (p != null) {
            throw new CorruptedEntryException(name, null, d.offset, p, mem.pool);
        }
        String want = StoreTypes.signature(Store.KIND_VALUE, c.name(), null);
        if (!d.sig.equals(want)) {
            throw new CodecException("root '" + name + "' holds a " + d.sig.substring("value ".length()) + ", not a " + c.name(),
                    "read it with the type it was stored with");
        }
        return Store.decode(c, e, EntryDescriptor.valueOffset(e), EntryDescriptor.valueLength(e), name, null);
    }

    /**
     * Removes the named value {@code name} (set with {@link #setRoot}); true when there was one.
     * Collections cannot be removed from the directory (they can be cleared).
     */
    public boolean removeRoot(String name) {
        store.ensureOpen();
        Transaction t = store.txState();
        boolean own = t.beginOp();
        try {
            t.lock(dirLock.writeLock());
            Store.DirEntry d = dir.get(name);
            if (d == null) {
                if (own) {
                    t.commit();
                }
                return false;
            }
            if (d.kind != Store.KIND_VALUE) {
                throw new StoreException("'" + name + "' in store " + mem.pool + " is a " + d.sig + "; only named values can be"
                        + " removed", "clear the collection instead");
            }
            Tx tx = t.tx;
            Ref e = heap.ref(d.offset);
            Ref prev = null;
            long steps = 0;
            long bound = mem.capacity(StoreTypes.DENT);
            for (Ref x = tx.getRef(root, StoreTypes.ROOT_DIR); x != null && !x.equals(e); x = tx.getRef(x, StoreTypes.DENT_NEXT)) {
                if (++steps > bound) {
                    throw new CorruptedEntryException(Store.DIRECTORY, Store.describeKey(name), x.offset(), "the directory links more entries than the"
                            + " pool can hold without reaching the entry: its links loop", mem.pool);
                }
                prev = x;
            }
            Ref next = tx.getRef(e, StoreTypes.DENT_NEXT);
            if (prev == null) {
                tx.setRef(root, StoreTypes.ROOT_DIR, next);
            } else {
                tx.setRef(prev, StoreTypes.DENT_NEXT, next);
            }
            for (var f : new io.ferrite.pheap.PField[] {StoreTypes.DENT_NAME, StoreTypes.DENT_SIG, StoreTypes.DENT_VALUE}) {
                Ref b = tx.getRef(e, f);
                if (b != null) {
                    tx.free(b);
                }
            }
            tx.free(e);
            t.afterCommit(() -> dir.remove(name));
            if (own) {
                t.commit();
            }
            return true;
        } finally {
            if (own) {
                t.abortIfActive();
            }
        }
    }
}
