package io.ferrite.store;

import static io.ferrite.store.StoreTypes.*;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.PField;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import java.util.AbstractMap;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.StampedLock;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * A persistent hash map: linear hashing over chains of {@code store.HNode}, each pointing at a
 * checksummed entry blob (key and value bytes from the map's codecs). Keys are hashed and compared
 * by their encoded bytes.
 *
 * <p><b>Resize</b> is incremental: when the map holds more entries than buckets, an insert also
 * splits one bucket (the one under the split pointer) in the same commit; there is never a
 * stop-the-world rehash. Buckets are reached through a fixed two-level directory of pages
 * (at most 2<sup>20</sup> buckets; beyond that chains grow).
 *
 * <p><b>Threading.</b> 64 lock stripes by the low bits of the key hash (a bucket and the bucket it
 * splits into share a stripe). A write holds its stripe's write lock through its durable commit
 * and in-place apply. {@link #get} outside a transaction takes no lock: it reads optimistically
 * and validates the stripe's stamp afterwards (retrying, and after a few tries taking the read
 * lock), so it never sees a half-applied change; the value is decoded only after validation and
 * its CRC32C check. Inside {@link Store#inTransaction} every operation, reads included, takes its
 * stripe until the transaction ends, and sees the transaction's own writes.
 *
 * <p><b>Durability.</b> Each operation outside a transaction is one atomic, durable commit (with
 * the bucket split it may carry); inside a transaction, all commit together. The compound
 * operations ({@code putIfAbsent}, {@code replace}, {@code remove(k, v)}, {@code compute*},
 * {@code merge}) are atomic.
 *
 * <p><b>Iteration</b> ({@link #entrySet()}, {@link #keySet()}, {@link #values()}, {@link #forEach})
 * is weakly consistent and never throws {@link java.util.ConcurrentModificationException}: the
 * map is read one stripe at a time, each stripe as an atomic snapshot; an entry present during the
 * whole iteration is returned exactly once; one added or removed meanwhile may or may not be.
 * {@link #size()} sums per-stripe counts and is exact when the map is quiescent.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class PersistentMap<K, V> extends AbstractMap<K, V> implements ConcurrentMap<K, V>, AtomicMap<K, V> {
    private final Store store;
    private final String name;
    private final Mem mem;
    private final Heap heap;
    private final Codec<K> keys;
    private final Codec<V> values;
    private final Ref countsRef;
    private final long counts;
    /** Most nodes the pool can hold: the bound when a stripe's count is itself impossible. */
    private final long capacity;
    /** The stripes' locks (also taken by the directory's splits and the chain reader). */
    final StampedLock[] locks = new StampedLock[STRIPES];
    final LongAdder approxSize = new LongAdder();
    private final BucketDirectory dir;
    private final MapChainReader reader;

    PersistentMap(Store store, String name, long header, Codec<K> keys, Codec<V> values) {
        this.store = store;
        this.name = name;
        this.mem = store.mem;
        this.heap = store.heap();
        this.keys = keys;
        this.values = values;
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new StampedLock();
        }
        long d1 = checked(mem.ptr(header, HMAP_DIR), header, "directory");
        this.counts = checked(mem.ptr(header, HMAP_COUNTS), header, "counts");
        this.countsRef = heap.ref(counts);
        this.capacity = mem.capacity(HNODE);
        this.dir = new BucketDirectory(this, name, mem, heap, header, d1);
        this.reader = new MapChainReader(this, store, name, mem, heap, dir);
        long sum = 0;
        for (int i = 0; i < STRIPES; i++) {
            sum += mem.i64(counts, CNT_SLOT[i]);
        }
        approxSize.add(sum);
    }

    long checked(long off, long from, String what) {
        if (off <= 0) {
            throw new CorruptedEntryException(name, null, from, "the " + what + " pointer is " + (off == 0 ? "null" : "outside the pool"),
                    mem.pool);
        }
        return off;
    }

    /** Allocates an empty map (header, directory, first bucket page, counts) in {@code tx}; returns the header. */
    static Ref allocate(Tx tx) {
        Ref h = tx.allocate(HMAP);
        Ref d1 = tx.allocate(DIR1);
        Ref d2 = tx.allocate(DIR2);
        Ref page = tx.allocate(BKT);
        tx.setRef(d2, DIR2_SLOT[0], page);
        tx.setRef(d1, DIR1_SLOT[0], d2);
        tx.setRef(h, HMAP_DIR, d1);
        tx.setRef(h, HMAP_COUNTS, tx.allocate(CNT));
        tx.setLong(h, HMAP_LP, (long) INITIAL_LEVEL << 32);
        return h;
    }

    /** The map's name in the store's directory. */
    public String name() {
        return name;
    }

    /** The store this map belongs to. */
    @Override
    public Store store() {
        return store;
    }

    // ================================================================== hashing

    static long hash(byte[] k) {
        return StoreTypes.hash(k);
    }

    /** Buckets of the applied map (tests). */
    long bucketCount() {
        return buckets(dir.lp);
    }

    static long buckets(long lp) {
        return StoreTypes.buckets(lp);
    }

    static long bucketOf(long h, long lp) {
        return StoreTypes.bucketOf(h, lp);
    }

    static int stripe(long h) {
        return (int) (h & (STRIPES - 1));
    }

    /**
     * The most nodes the chains of a stripe can link, from the stripe's persisted entry count
     * ({@code count}, written in the same commit as the links; every bucket of a stripe holds
     * only keys of that stripe): a walk over the stripe's chains that takes more steps follows a
     * loop. A count that is itself impossible gives the number of nodes the pool can hold.
     */
    long bound(long count) {
        return count >= 0 && count <= capacity ? count : capacity;
    }

    long bound(int s) {
        return bound(mem.i64(counts, CNT_SLOT[s]));
    }

    long bound(Tx tx, int s) {
        return bound(tx.getLong(countsRef, CNT_SLOT[s]));
    }

    static String loops(long b, long bound) {
        return "the chain of bucket " + b + " links more nodes than its stripe's " + bound + " entries: it loops back to an earlier node";
    }

    // ================================================================== reads

    @Override
    @SuppressWarnings("unchecked")
    public V get(Object key) {
        Objects.requireNonNull(key, "key");
        byte[] v = findValue(keys.encode((K) key), key);
        return v == null ? null : Store.decode(values, v, 0, v.length, name, key);
    }

    /** The stored value's bytes, without decoding (the codec's bytes), or null. */
    public byte[] getBytes(K key) {
        return findValue(keys.encode(key), key);
    }

    @Override
    @SuppressWarnings("unchecked")
    public boolean containsKey(Object key) {
        Objects.requireNonNull(key, "key");
        return findValue(keys.encode((K) key), key) != null;
    }

    /** The checked value bytes (a fresh array) of {@code kb}, or null. */
    private byte[] findValue(byte[] kb, Object key) {
        long h = hash(kb);
        Transaction t = store.txState();
        byte[] e;
        if (t.active) {
            t.lockStripe(locks[stripe(h)]);
            return txFind(t, kb, h, key, true) ? t.fValue : null;
        } else {
            store.ensureOpen();
            MapChainReader.Hit hit = reader.lockFreeFind(kb, h);
            if (hit == null) {
                return null;
            }
            if (hit != MapChainReader.INCONSISTENT && hit != MapChainReader.COLLISION && hit.crc() == EntryDescriptor.crc(kb, hit.value())) {
                return hit.value();
            }
            // a damaged entry, a hash collision, or writers kept changing the chain: read it locked
            e = reader.lockedFind(kb, h, key);
        }
        return e == null ? null : Arrays.copyOfRange(e, EntryDescriptor.valueOffset(e), e.length);
    }

    CorruptedEntryException corrupted(Object key, byte[] kb, long offset, String problem) {
        return new CorruptedEntryException(name, key != null ? Store.describeKey(key) : describeKeyBytes(kb), offset, problem, mem.pool);
    }

    private String describeKeyBytes(byte[] kb) {
        try {
            return Store.describeKey(keys.decode(kb, 0, kb.length));
        } catch (RuntimeException e) {
            return Store.describeKey(kb);
        }
    }

    /**
     * Finds {@code kb} inside the transaction (sees its writes): sets t.fNode/fPrev/fEntryRef/fEntry
     * and the bucket's page and slot. When {@code check}, an entry with this hash that fails its CRC
     * is reported; without it, a key whose bytes match is found even if its value is damaged.
     */
    private boolean txFind(Transaction t, byte[] kb, long h, Object key, boolean check) {
        if (!t.user) {
            return reader.lockedFindForWrite(t, kb, h, key, check);
        }
        Tx tx = t.tx;
        long b = bucketOf(h, dir.txLp(t));
        Ref page = dir.pageRef(t, (int) (b >>> PAGE_BITS));
        PField slot = BKT_SLOT[(int) (b & (PAGE_BUCKETS - 1))];
        t.fPage = page;
        t.fSlot = slot;
        t.fPrev = null;
        t.fNode = null;
        t.fEntry = null;
        t.fEntryRef = null;
        Ref prev = null;
        long hops = 0;
        long bound = bound(tx, stripe(h));
        for (Ref n = tx.getRef(page, slot); n != null; prev = n, n = tx.getRef(n, HNODE_NEXT)) {
            if (++hops > bound) {
                throw corrupted(key, kb, n.offset(), loops(b, bound));
            }
            if (tx.getLong(n, HNODE_HASH) != h) {
                continue;
            }
            Ref er = tx.getRef(n, HNODE_ENTRY);
            if (er == null) {
                throw corrupted(key, kb, n.offset(), "the node has no entry");
            }
            byte[] e = EntryDescriptor.join(tx.getLong(n, HNODE_META), tx.getBytes(er));
            boolean match = EntryDescriptor.keyEquals(e, kb);
            if (check || !match) {
                String p = EntryDescriptor.problem(e);
                if (p != null && (check || !match)) {
                    if (!check) {
                        continue;
                    }
                    throw corrupted(key, kb, er.offset(), p);
                }
            }
            if (match) {
                t.fNode = n;
                t.fPrev = prev;
                t.fEntryRef = er;
                t.fEntry = e;
                t.fValue = Arrays.copyOfRange(e, EntryDescriptor.valueOffset(e), e.length);
                return true;
            }
        }
        return false;
    }

    // ================================================================== writes

    /** Stores {@code value} under {@code key}; returns the previous value or null. Atomic and durable. */
    @Override
    public V put(K key, V value) {
        byte[] old = write(key, value, true, false);
        return old == null ? null : Store.decode(values, old, 0, old.length, name, key);
    }

    /**
     * Stores {@code value} under {@code key} without reading the previous value (cheaper than
     * {@link #put}, and it overwrites an entry whose value is damaged).
     */
    @Override
    public void set(K key, V value) {
        write(key, value, false, false);
    }

    @Override
    public V putIfAbsent(K key, V value) {
        byte[] old = write(key, value, true, true);
        return old == null ? null : Store.decode(values, old, 0, old.length, name, key);
    }

    private byte[] write(K key, V value, boolean check, boolean onlyIfAbsent) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        byte[] kb = keys.encode(key);
        byte[] vb = values.encode(value);
        byte[] body = EntryDescriptor.body(kb, vb);
        long meta = EntryDescriptor.meta(EntryDescriptor.crc(kb, vb), kb.length);
        long h = hash(kb);
        Transaction t = store.txState();
        boolean own = t.beginOp();
        try {
            int s = stripe(h);
            t.lockStripe(locks[s]);
            Tx tx = t.tx;
            byte[] old = null;
            if (txFind(t, kb, h, key, check)) {
                old = t.fValue;
                if (!onlyIfAbsent) {
                    Ref oldRef = t.fEntryRef;
                    tx.setRef(t.fNode, HNODE_ENTRY, tx.allocateBytes(body));
                    tx.setLong(t.fNode, HNODE_META, meta);
                    tx.free(oldRef);
                }
            } else {
                Ref page = t.fPage;
                PField slot = t.fSlot;
                Ref n = tx.allocate(HNODE);
                tx.setLong(n, HNODE_HASH, h);
                tx.setLong(n, HNODE_META, meta);
                tx.setRef(n, HNODE_ENTRY, tx.allocateBytes(body));
                tx.setRef(n, HNODE_NEXT, tx.getRef(page, slot));
                tx.setRef(page, slot, n);
                tx.setLong(countsRef, CNT_SLOT[s], tx.getLong(countsRef, CNT_SLOT[s]) + 1);
                approxSize.increment();
                dir.maybeSplit(t);
            }
            if (own) {
                t.commit();
            }
            return old;
        } finally {
            if (own) {
                t.abortIfActive();
            }
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public V remove(Object key) {
        Objects.requireNonNull(key, "key");
        byte[] old = delete((K) key, true);
        return old == null ? null : Store.decode(values, old, 0, old.length, name, key);
    }

    /**
     * Removes {@code key} without reading its value (it also removes an entry whose value is
     * damaged); true when it was present.
     */
    @Override
    public boolean delete(K key) {
        return delete(key, false) != null;
    }

    private byte[] delete(K key, boolean check) {
        byte[] kb = keys.encode(key);
        long h = hash(kb);
        Transaction t = store.txState();
        boolean own = t.beginOp();
        try {
            int s = stripe(h);
            t.lockStripe(locks[s]);
            Tx tx = t.tx;
            if (!txFind(t, kb, h, key, check)) {
                if (own) {
                    t.commit();
                }
                return null;
            }
            byte[] old = t.fValue;
            Ref next = tx.getRef(t.fNode, HNODE_NEXT);
            if (t.fPrev == null) {
                tx.setRef(t.fPage, t.fSlot, next);
            } else {
                tx.setRef(t.fPrev, HNODE_NEXT, next);
            }
            tx.free(t.fEntryRef);
            tx.free(t.fNode);
            tx.setLong(countsRef, CNT_SLOT[s], tx.getLong(countsRef, CNT_SLOT[s]) - 1);
            approxSize.decrement();
            if (own) {
                t.commit();
            }
            return old;
        } finally {
            if (own) {
                t.abortIfActive();
            }
        }
    }

    /** Called by the transaction after a commit that split buckets of this map, before its locks are released. */
    void publishSplit(Transaction t) {
        dir.publishSplit(t);
    }

    // ================================================================== size, clear

    @Override
    public int size() {
        long n = longSize();
        return n > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) n;
    }

    /** Entries in the map: the sum of the per-stripe counts (exact when no write is in flight). */
    public long longSize() {
        Transaction t = store.txState();
        long sum = 0;
        if (t.active) {
            for (int i = 0; i < STRIPES; i++) {
                sum += t.tx.getLong(countsRef, CNT_SLOT[i]);
            }
        } else {
            store.ensureOpen();
            for (int i = 0; i < STRIPES; i++) {
                sum += mem.i64(counts, CNT_SLOT[i]);
            }
        }
        return sum;
    }

    @Override
    public boolean isEmpty() {
        return longSize() == 0;
    }

    /**
     * Removes every entry. Outside a transaction this is not one atomic step: each stripe is
     * emptied in commits of at most {@value #CLEAR_BATCH} entries; inside one, it commits with it.
     */
    @Override
    public void clear() {
        for (int s = 0; s < STRIPES; s++) {
            while (clearSome(s) == CLEAR_BATCH) {
                // next batch of this stripe
            }
        }
    }

    static final int CLEAR_BATCH = 512;

    private int clearSome(int s) {
        Transaction t = store.txState();
        boolean own = t.beginOp();
        try {
            t.lockStripe(locks[s]);
            Tx tx = t.tx;
            long l = dir.txLp(t);
            long n = buckets(l);
            int removed = 0;
            int limit = own ? CLEAR_BATCH : Integer.MAX_VALUE;
            FreeWalk walk = new FreeWalk(heap, own);
            for (long b = s; b < n && removed < limit; b += STRIPES) {
                Ref page = dir.pageRef(t, (int) (b >>> PAGE_BITS));
                PField slot = BKT_SLOT[(int) (b & (PAGE_BUCKETS - 1))];
                Ref x = tx.getRef(page, slot);
                while (x != null && removed < limit) {
                    String p = walk.problem(x);
                    if (p != null) {
                        throw new CorruptedEntryException(name, null, x.offset(), "the chain of bucket " + b + ": " + p, mem.pool);
                    }
                    Ref next = tx.getRef(x, HNODE_NEXT);
                    Ref e = tx.getRef(x, HNODE_ENTRY);
                    if (e != null) {
                        tx.free(e);
                    }
                    tx.free(x);
                    removed++;
                    x = next;
                }
                tx.setRef(page, slot, x);
            }
            if (removed > 0) {
                tx.setLong(countsRef, CNT_SLOT[s], tx.getLong(countsRef, CNT_SLOT[s]) - removed);
                approxSize.add(-removed);
            }
            if (own) {
                t.commit();
            }
            return own ? removed : 0;
        } finally {
            if (own) {
                t.abortIfActive();
            }
        }
    }

    // ================================================================== iteration

    private final class EntryIterator implements Iterator<Map.Entry<K, V>> {
        private int stripe;
        private List<byte[]> buf = List.of();
        private int pos;
        private K lastKey;
        private boolean hasLast;

        @Override
        public boolean hasNext() {
            while (pos >= buf.size()) {
                if (stripe >= STRIPES) {
                    return false;
                }
                buf = reader.stripeEntries(stripe++);
                pos = 0;
            }
            return true;
        }

        @Override
        public Map.Entry<K, V> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            byte[] e = buf.get(pos++);
            String p = e == null ? "node without entry" : EntryDescriptor.problem(e);
            if (p != null) {
                String k = null;
                if (e != null && e.length >= EntryDescriptor.HEADER_LENGTH) {
                    int kl = EntryDescriptor.keyLength(e);
                    if (kl >= 0 && kl <= e.length - EntryDescriptor.HEADER_LENGTH) {
                        k = describeKeyBytes(Arrays.copyOfRange(e, EntryDescriptor.KEY_OFFSET, EntryDescriptor.KEY_OFFSET + kl));
                    }
                }
                throw new CorruptedEntryException(name, k, -1, p + " (found while iterating)", mem.pool);
            }
            int kl = EntryDescriptor.keyLength(e);
            K k = Store.decode(keys, e, EntryDescriptor.KEY_OFFSET, kl, name, null);
            V v = Store.decode(values, e, EntryDescriptor.valueOffset(e), EntryDescriptor.valueLength(e), name, k);
            lastKey = k;
            hasLast = true;
            return new WriteThroughEntry<>(PersistentMap.this, k, v);
        }

        @Override
        public void remove() {
            if (!hasLast) {
                throw new IllegalStateException("next() first");
            }
            hasLast = false;
            delete(lastKey);
        }
    }

    @Override
    public Set<Map.Entry<K, V>> entrySet() {
        return HashMapViews.entrySet(this);
    }

    /** The keys as a live set (as {@link java.util.concurrent.ConcurrentHashMap#keySet()} without {@code add}). */
    @Override
    public Set<K> keySet() {
        return HashMapViews.keySet(this);
    }

    /** A weakly consistent iterator over the entries; its {@code remove} deletes the last key. */
    Iterator<Map.Entry<K, V>> entryIterator() {
        return new EntryIterator();
    }

    @Override
    public boolean containsValue(Object value) {
        Objects.requireNonNull(value, "value");
        return super.containsValue(value);
    }

    /** The name and codecs of the map, as {@code PersistentMap[name, keyCodec -> valueCodec]}. */
    public String describe() {
        return "PersistentMap[" + name + ", " + keys.name() + " -> " + values.name() + "]";
    }

    // toString, equals, hashCode: AbstractMap's (entry-wise, {k=v, ...}), like any java.util.Map
}
