package io.ferrite.store;

import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The named root values of a {@link Store} ({@link Store#setRoot}, {@link Store#getRoot},
 * {@link Store#removeRoot}): directory entries of kind value, each holding one checksummed blob.
 * Kept apart from the store so that the store opens the pool and hands out collections, and
 * this class reads and writes the values. It uses the store's directory and its lock: the
 * directory map is read under the read lock and changed only under the write lock, and only
 * after the change's commit.
 */
final class RootValues {
    private final Store store;
    /** The store's directory: its name map, lock and root, shared with the collections. */
    private final StoreDirectory directory;

    RootValues(Store store, StoreDirectory directory) {
        this.store = store;
        this.directory = directory;
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
            t.lock(directory.dirLock.writeLock());
            Store.DirEntry d = directory.dir.get(name);
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
                tx.setRef(e, StoreTypes.DENT_NEXT, tx.getRef(directory.root, StoreTypes.ROOT_DIR));
                tx.setRef(directory.root, StoreTypes.ROOT_DIR, e);
                Store.DirEntry de = new Store.DirEntry(name, e.offset(), Store.KIND_VALUE, sig);
                t.afterCommit(() -> {
                    Map<String, Store.DirEntry> m = new LinkedHashMap<>();
                    m.put(name, de);
                    m.putAll(directory.dir);
                    directory.dir.clear();
                    directory.dir.putAll(m);
                });
            } else {
                if (d.kind != Store.KIND_VALUE) {
                    throw new StoreException("'" + name + "' in store " + directory.mem.pool + " is a " + d.sig + ", not a value",
                            "use another name for the value");
                }
                Ref e = directory.heap.ref(d.offset);
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
            t.lock(directory.dirLock.writeLock());
            d = directory.dir.get(name);
            if (d == null) {
                return null;
            }
            Ref v = t.tx.getRef(directory.heap.ref(d.offset), StoreTypes.DENT_VALUE);
            e = v == null ? null : t.tx.getBytes(v);
        } else {
            directory.dirLock.readLock().lock();
            try {
                d = directory.dir.get(name);
                if (d == null) {
                    return null;
                }
                long v = directory.mem.ptr(d.offset, StoreTypes.DENT_VALUE);
                if (v == Mem.BAD) {
                    throw new CorruptedEntryException(name, null, d.offset, "value pointer outside the pool", directory.mem.pool);
                }
                e = v == 0 ? null : directory.mem.blob(v);
                if (v != 0 && e == null) {
                    throw new CorruptedEntryException(name, null, v, "impossible blob length", directory.mem.pool);
                }
            } finally {
                directory.dirLock.readLock().unlock();
            }
        }
        if (d.kind != Store.KIND_VALUE) {
            throw new StoreException("'" + name + "' in store " + directory.mem.pool + " is a " + d.sig + ", not a value", "");
        }
        if (e == null) {
            return null;
        }
        String p = EntryDescriptor.problem(e);
        if (p != null) {
            throw new CorruptedEntryException(name, null, d.offset, p, directory.mem.pool);
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
            t.lock(directory.dirLock.writeLock());
            Store.DirEntry d = directory.dir.get(name);
            if (d == null) {
                if (own) {
                    t.commit();
                }
                return false;
            }
            if (d.kind != Store.KIND_VALUE) {
                throw new StoreException("'" + name + "' in store " + directory.mem.pool + " is a " + d.sig + "; only named values can be"
                        + " removed", "clear the collection instead");
            }
            Tx tx = t.tx;
            Ref e = directory.heap.ref(d.offset);
            Ref prev = null;
            long steps = 0;
            long bound = directory.mem.capacity(StoreTypes.DENT);
            for (Ref x = tx.getRef(directory.root, StoreTypes.ROOT_DIR); x != null && !x.equals(e); x = tx.getRef(x, StoreTypes.DENT_NEXT)) {
                if (++steps > bound) {
                    throw new CorruptedEntryException(Store.DIRECTORY, Store.describeKey(name), x.offset(), "the directory links more entries than the"
                            + " pool can hold without reaching the entry: its links loop", directory.mem.pool);
                }
                prev = x;
            }
            Ref next = tx.getRef(e, StoreTypes.DENT_NEXT);
            if (prev == null) {
                tx.setRef(directory.root, StoreTypes.ROOT_DIR, next);
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
            t.afterCommit(() -> directory.dir.remove(name));
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
