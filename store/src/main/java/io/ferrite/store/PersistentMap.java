package io.ferrite.store;

import static io.ferrite.store.StoreTypes.*;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.PField;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import java.lang.foreign.MemorySegment;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;
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
public final class PersistentMap<K, V> extends AbstractMap<K, V> implements AtomicMap<K, V> {
    private static final long NEXT_OFF = HNODE_NEXT.offset();
    private static final long HASH_OFF = HNODE_HASH.offset();
    private static final long ENTRY_OFF = HNODE_ENTRY.offset();
    private static final long META_OFF = HNODE_META.offset();
    private static final long SLOT0_OFF = BKT_SLOT[0].offset();
    private static final double LOAD_FACTOR = 1.0;
    private static final int OPTIMISTIC_TRIES = 3;

    private final Store store;
    private final String name;
    private final Mem mem;
    private final Heap heap;
    private final Codec<K> keys;
    private final Codec<V> values;
    private final Ref hdr;
    private final Ref countsRef;
    private final Ref dir1Ref;
    private final long counts;
    /** Most nodes the pool can hold: the bound when a stripe's count is itself impossible. */
    private final long capacity;
    private final StampedLock[] locks = new StampedLock[STRIPES];
    private final ReentrantLock splitLock = new ReentrantLock();
    private final LongAdder approxSize = new LongAdder();
    /** Linear-hashing state (level << 32 | split pointer) of the applied map. */
    private volatile long lp;
    /** Bucket page offsets by page index, and the same as Refs (written before lp is published). */
    private volatile long[] pages;
    private volatile Ref[] pageRefs;
    private volatile Ref[] dir2Refs;

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
        this.hdr = heap.ref(header);
        long d1 = checked(mem.ptr(header, HMAP_DIR), header, "directory");
        this.counts = checked(mem.ptr(header, HMAP_COUNTS), header, "counts");
        this.countsRef = heap.ref(counts);
        this.capacity = mem.capacity(HNODE);
        this.dir1Ref = heap.ref(d1);
        long l = mem.i64(header, HMAP_LP);
        if (!StoreTypes.lpValid(l)) {
            throw new CorruptedEntryException(name, null, header, "impossible linear-hashing state 0x" + Long.toHexString(l), mem.pool);
        }
        long n = buckets(l);
        int np = (int) ((n + PAGE_BUCKETS - 1) >>> PAGE_BITS);
        long[] pg = new long[np];
        Ref[] pr = new Ref[np];
        Ref[] d2 = new Ref[DIR1_FANOUT];
        for (int pi = 0; pi < np; pi++) {
            int i2 = pi / DIR2_FANOUT;
            if (d2[i2] == null) {
                d2[i2] = heap.ref(checked(mem.ptr(d1, DIR1_SLOT[i2]), d1, "directory page " + i2));
            }
            pg[pi] = checked(mem.ptr(d2[i2].offset(), DIR2_SLOT[pi % DIR2_FANOUT]), d2[i2].offset(), "bucket page " + pi);
            pr[pi] = heap.ref(pg[pi]);
        }
        this.pages = pg;
        this.pageRefs = pr;
        this.dir2Refs = d2;
        long sum = 0;
        for (int i = 0; i < STRIPES; i++) {
            sum += mem.i64(counts, CNT_SLOT[i]);
        }
        approxSize.add(sum);
        this.lp = l;
    }

    private long checked(long off, long from, String what) {
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
        return buckets(lp);
    }

    static long buckets(long lp) {
        return StoreTypes.buckets(lp);
    }

    static long bucketOf(long h, long lp) {
        return StoreTypes.bucketOf(h, lp);
    }

    private static int stripe(long h) {
        return (int) (h & (STRIPES - 1));
    }

    /**
     * The most nodes the chains of a stripe can link, from the stripe's persisted entry count
     * ({@code count}, written in the same commit as the links; every bucket of a stripe holds
     * only keys of that stripe): a walk over the stripe's chains that takes more steps follows a
     * loop. A count that is itself impossible gives the number of nodes the pool can hold.
     */
    private long bound(long count) {
        return count >= 0 && count <= capacity ? count : capacity;
    }

    private long bound(int s) {
        return bound(mem.i64(counts, CNT_SLOT[s]));
    }

    private long bound(Tx tx, int s) {
        return bound(tx.getLong(countsRef, CNT_SLOT[s]));
    }

    private static String loops(long b, long bound) {
        return "the chain of bucket " + b + " links more nodes than its stripe's " + bound + " entries: it loops back to an earlier node";
    }

    private long txLp(Transaction t) {
        return t.splitMap == this ? t.splitLp : lp;
    }

    private Ref pageRef(Transaction t, int pi) {
        if (t.splitMap == this && t.splitPages != null) {
            Ref r = t.splitPages.get(pi);
            if (r != null) {
                return r;
            }
        }
        return pageRefs[pi];
    }

    // ================================================================== reads

    @Override
    @SuppressWarnings("unchecked")
    public V get(Object key) {
        if (key == null) {
            return null;
        }
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
        return key != null && findValue(keys.encode((K) key), key) != null;
    }

    /** A value found by an optimistic scan: its bytes and the entry's stored CRC. */
    private record Hit(byte[] value, int crc) {
    }

    private static final Hit INCONSISTENT = new Hit(null, 0);
    private static final Hit COLLISION = new Hit(null, 0);

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
            Hit hit = lockFreeFind(kb, h);
            if (hit == null) {
                return null;
            }
            if (hit != INCONSISTENT && hit != COLLISION && hit.crc() == EntryDescriptor.crc(kb, hit.value())) {
                return hit.value();
            }
            // a damaged entry, a hash collision, or writers kept changing the chain: read it locked
            e = lockedFind(kb, h, key);
        }
        return e == null ? null : Arrays.copyOfRange(e, EntryDescriptor.valueOffset(e), e.length);
    }

    /** Optimistic reads of the key's chain, validated; null when absent, or a sentinel for the locked path. */
    private Hit lockFreeFind(byte[] kb, long h) {
        StampedLock l = locks[stripe(h)];
        for (int attempt = 0; attempt < OPTIMISTIC_TRIES; attempt++) {
            long stamp = l.tryOptimisticRead();
            if (stamp == 0) {
                Thread.onSpinWait();
                continue;
            }
            Hit r;
            try {
                r = scan(kb, h);
            } catch (IndexOutOfBoundsException e) {
                r = INCONSISTENT;
            }
            if (l.validate(stamp) && r != INCONSISTENT) {
                return r;
            }
        }
        return INCONSISTENT;
    }

    /** One optimistic pass over the key's chain: the value and stored CRC, null, or a sentinel. */
    private Hit scan(byte[] kb, long h) {
        long b = bucketOf(h, lp);
        long[] pg = pages;
        int pi = (int) (b >>> PAGE_BITS);
        if (pi >= pg.length) {
            return INCONSISTENT;
        }
        MemorySegment seg = mem.seg;
        long n = mem.ptr(pg[pi], SLOT0_OFF + ((b & (PAGE_BUCKETS - 1)) << 3));
        boolean collision = false;
        long hops = 0;
        long bound = bound(stripe(h));
        while (n != 0) {
            if (n == Mem.BAD || ++hops > bound) {
                return INCONSISTENT;
            }
            if (seg.get(Mem.U64, n + HASH_OFF) == h) {
                long meta = seg.get(Mem.U64, n + META_OFF);
                long e = mem.ptr(n, ENTRY_OFF);
                if (e <= 0) {
                    return INCONSISTENT;
                }
                long k0 = e + EntryDescriptor.BLOB_DATA_OFFSET;
                long len = seg.get(Mem.U32, e + EntryDescriptor.BLOB_LENGTH_OFFSET) & 0xffffffffL;
                if (len < kb.length || len > mem.hi - k0) {
                    return INCONSISTENT;
                }
                if (EntryDescriptor.metaKeyLength(meta) == kb.length
                        && MemorySegment.mismatch(seg, k0, k0 + kb.length, MemorySegment.ofArray(kb), 0, kb.length) == -1) {
                    int vlen = (int) (len - kb.length);
                    byte[] out = new byte[vlen];
                    MemorySegment.copy(seg, java.lang.foreign.ValueLayout.JAVA_BYTE, k0 + kb.length, out, 0, vlen);
                    return new Hit(out, EntryDescriptor.metaCrc(meta));
                }
                collision = true;
            }
            n = mem.ptr(n, NEXT_OFF);
        }
        return collision ? COLLISION : null;
    }

    /** The key's entry read under the stripe's read lock, checked; corruption is reported, never retried. */
    private byte[] lockedFind(byte[] kb, long h, Object key) {
        StampedLock l = locks[stripe(h)];
        long stamp = l.readLock();
        try {
            store.ensureOpen();
            long b = bucketOf(h, lp);
            long n = mem.ptr(pages[(int) (b >>> PAGE_BITS)], SLOT0_OFF + ((b & (PAGE_BUCKETS - 1)) << 3));
            long hops = 0;
            long bound = bound(stripe(h));
            long prev = pages[(int) (b >>> PAGE_BITS)];
            while (n != 0) {
                if (n == Mem.BAD) {
                    throw corrupted(key, kb, prev, "the chain of bucket " + b + " leads outside the pool");
                }
                if (++hops > bound) {
                    throw corrupted(key, kb, n, loops(b, bound));
                }
                prev = n;
                if (mem.seg.get(Mem.U64, n + HASH_OFF) == h) {
                    long e = mem.ptr(n, ENTRY_OFF);
                    byte[] bytes = e <= 0 ? null : entryAt(n, e);
                    if (bytes == null) {
                        throw corrupted(key, kb, n, "the node's entry pointer or blob length is impossible");
                    }
                    String p = EntryDescriptor.problem(bytes);
                    if (p != null) {
                        throw corrupted(key, kb, e, p);
                    }
                    if (EntryDescriptor.keyEquals(bytes, kb)) {
                        return bytes;
                    }
                }
                n = mem.ptr(n, NEXT_OFF);
            }
            return null;
        } finally {
            l.unlockRead(stamp);
        }
    }

    private CorruptedEntryException corrupted(Object key, byte[] kb, long offset, String problem) {
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
            return lockedFindForWrite(t, kb, h, key, check);
        }
        Tx tx = t.tx;
        long b = bucketOf(h, txLp(t));
        Ref page = pageRef(t, (int) (b >>> PAGE_BITS));
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

    /**
     * {@link #txFind} for an operation that is its own transaction: nothing is in its write set yet
     * and the stripe is write-locked, so applied memory is what the transaction would read. Reads
     * it directly (no write-set lookups) and copies the old value only when {@code check} (the
     * caller wants it: t.fValue, CRC-checked); otherwise t.fEntry and t.fValue are empty markers.
     */
    private boolean lockedFindForWrite(Transaction t, byte[] kb, long h, Object key, boolean check) {
        long b = bucketOf(h, txLp(t));
        int pi = (int) (b >>> PAGE_BITS);
        int si = (int) (b & (PAGE_BUCKETS - 1));
        t.fPage = pageRef(t, pi);
        t.fSlot = BKT_SLOT[si];
        t.fPrev = null;
        t.fNode = null;
        t.fEntry = null;
        t.fEntryRef = null;
        MemorySegment seg = mem.seg;
        long page = t.fPage.offset();
        long prev = 0;
        long hops = 0;
        long bound = bound(stripe(h));
        for (long n = mem.ptr(page, SLOT0_OFF + ((long) si << 3)); n != 0; prev = n, n = mem.ptr(n, NEXT_OFF)) {
            if (n == Mem.BAD) {
                throw corrupted(key, kb, prev == 0 ? page : prev, "the chain of bucket " + b + " leads outside the pool");
            }
            if (++hops > bound) {
                throw corrupted(key, kb, n, loops(b, bound));
            }
            if (seg.get(Mem.U64, n + HASH_OFF) != h) {
                continue;
            }
            long e = mem.ptr(n, ENTRY_OFF);
            if (e <= 0) {
                throw corrupted(key, kb, n, "the node's entry pointer is " + (e == 0 ? "null" : "outside the pool"));
            }
            long k0 = e + EntryDescriptor.BLOB_DATA_OFFSET;
            long len = seg.get(Mem.U32, e + EntryDescriptor.BLOB_LENGTH_OFFSET) & 0xffffffffL;
            boolean match = false;
            if (len >= kb.length && len <= mem.hi - k0 && EntryDescriptor.metaKeyLength(seg.get(Mem.U64, n + META_OFF)) == kb.length) {
                match = MemorySegment.mismatch(seg, k0, k0 + kb.length, MemorySegment.ofArray(kb), 0, kb.length) == -1;
            }
            byte[] value = EMPTY;
            if (match && check) {
                long meta = seg.get(Mem.U64, n + META_OFF);
                value = new byte[(int) (len - kb.length)];
                MemorySegment.copy(seg, java.lang.foreign.ValueLayout.JAVA_BYTE, k0 + kb.length, value, 0, value.length);
                int got = EntryDescriptor.crc(kb, value);
                if (got != EntryDescriptor.metaCrc(meta)) {
                    throw corrupted(key, kb, e, String.format("CRC32C mismatch (stored 0x%08x, computed 0x%08x over %d bytes)",
                            EntryDescriptor.metaCrc(meta), got, EntryDescriptor.HEADER_LENGTH + len));
                }
            } else if (!match) {
                byte[] bytes = entryAt(n, e);
                String p = bytes == null ? "impossible blob length" : EntryDescriptor.problem(bytes);
                if (p != null && check) {
                    throw corrupted(key, kb, e, p);
                }
                continue;
            }
            t.fNode = heap.ref(n);
            t.fPrev = prev == 0 ? null : heap.ref(prev);
            t.fEntryRef = heap.ref(e);
            t.fEntry = EMPTY;
            t.fValue = value;
            return true;
        }
        return false;
    }

    private static final byte[] EMPTY = new byte[0];

    /** The entry of node {@code n} (header from the node, body from blob {@code e}), or null if the blob length is impossible. */
    private byte[] entryAt(long n, long e) {
        byte[] body = mem.blob(e);
        return body == null ? null : EntryDescriptor.join(mem.i64(n, HNODE_META), body);
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
                maybeSplit(t);
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
        if (key == null) {
            return null;
        }
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

    // ================================================================== incremental resize

    /**
     * Splits the bucket under the split pointer in this transaction, if the map is over its load
     * factor. A transaction may split many buckets of one map (a bulk load keeps the table in
     * step); it keeps the map's split lock and the split buckets' stripes to its end.
     */
    private void maybeSplit(Transaction t) {
        if (t.splitMap != null && t.splitMap != this) {
            return;
        }
        long cur = txLp(t);
        long n = buckets(cur);
        if (n >= MAX_BUCKETS || approxSize.sum() <= n * LOAD_FACTOR) {
            return;
        }
        if (t.splitMap == null) {
            if (!splitLock.isHeldByCurrentThread() && (splitLock.isLocked() || !t.tryLock(splitLock))) {
                return;
            }
            cur = lp;
            n = buckets(cur);
        }
        int level = (int) (cur >>> 32);
        long p = cur & 0xffffffffL;
        if (n >= MAX_BUCKETS || !t.tryLockStripe(locks[stripe(p)])) {
            return;
        }
        Tx tx = t.tx;
        t.splitMap = this;
        long q = p + (1L << level);
        int qpi = (int) (q >>> PAGE_BITS);
        Ref qPage;
        if (qpi < pageRefs.length || (t.splitPages != null && t.splitPages.containsKey(qpi))) {
            qPage = pageRef(t, qpi);
        } else {
            qPage = tx.allocate(BKT);
            int i2 = qpi / DIR2_FANOUT;
            Ref d2 = t.splitDir2s == null ? null : t.splitDir2s.get(i2);
            if (d2 == null) {
                d2 = dir2Refs[i2];
            }
            if (d2 == null) {
                d2 = tx.allocate(DIR2);
                tx.setRef(dir1Ref, DIR1_SLOT[i2], d2);
                if (t.splitDir2s == null) {
                    t.splitDir2s = new java.util.HashMap<>();
                }
                t.splitDir2s.put(i2, d2);
            }
            tx.setRef(d2, DIR2_SLOT[qpi % DIR2_FANOUT], qPage);
            if (t.splitPages == null) {
                t.splitPages = new java.util.HashMap<>();
            }
            t.splitPages.put(qpi, qPage);
        }
        Ref pPage = pageRef(t, (int) (p >>> PAGE_BITS));
        PField pSlot = BKT_SLOT[(int) (p & (PAGE_BUCKETS - 1))];
        PField qSlot = BKT_SLOT[(int) (q & (PAGE_BUCKETS - 1))];
        List<Ref> stay = new ArrayList<>();
        List<Ref> move = new ArrayList<>();
        List<Ref> order = new ArrayList<>();
        long hops = 0;
        long bound = bound(tx, stripe(p));
        for (Ref x = tx.getRef(pPage, pSlot); x != null; x = tx.getRef(x, HNODE_NEXT)) {
            if (++hops > bound) {
                throw new CorruptedEntryException(name, null, x.offset(), loops(p, bound), mem.pool);
            }
            order.add(x);
            ((tx.getLong(x, HNODE_HASH) >>> level & 1) == 0 ? stay : move).add(x);
        }
        if (!move.isEmpty()) {
            relink(tx, pPage, pSlot, stay, order);
            relink(tx, qPage, qSlot, move, null);
        }
        long next = p + 1 == (1L << level) ? (long) (level + 1) << 32 : ((long) level << 32) | (p + 1);
        tx.setLong(hdr, HMAP_LP, next);
        t.splitLp = next;
    }

    /** Makes {@code chain} the bucket's list, writing only the links that change. */
    private static void relink(Tx tx, Ref page, PField slot, List<Ref> chain, List<Ref> before) {
        Ref head = chain.isEmpty() ? null : chain.get(0);
        if (before == null || before.isEmpty() || !before.get(0).equals(head)) {
            tx.setRef(page, slot, head);
        }
        for (int i = 0; i < chain.size(); i++) {
            Ref x = chain.get(i);
            Ref want = i + 1 < chain.size() ? chain.get(i + 1) : null;
            Ref had = tx.getRef(x, HNODE_NEXT);
            if (!Objects.equals(had, want)) {
                tx.setRef(x, HNODE_NEXT, want);
            }
        }
    }

    /** Called by the transaction after a commit that split buckets of this map, before its locks are released. */
    void publishSplit(Transaction t) {
        if (t.splitPages != null) {
            int max = pages.length;
            for (int pi : t.splitPages.keySet()) {
                max = Math.max(max, pi + 1);
            }
            long[] pg = Arrays.copyOf(pages, max);
            Ref[] pr = Arrays.copyOf(pageRefs, max);
            for (Map.Entry<Integer, Ref> e : t.splitPages.entrySet()) {
                pg[e.getKey()] = e.getValue().offset();
                pr[e.getKey()] = e.getValue();
            }
            if (t.splitDir2s != null) {
                Ref[] d2 = dir2Refs.clone();
                for (Map.Entry<Integer, Ref> e : t.splitDir2s.entrySet()) {
                    d2[e.getKey()] = e.getValue();
                }
                dir2Refs = d2;
            }
            pageRefs = pr;
            pages = pg;
        }
        lp = t.splitLp;
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
            long l = txLp(t);
            long n = buckets(l);
            int removed = 0;
            int limit = own ? CLEAR_BATCH : Integer.MAX_VALUE;
            FreeWalk walk = new FreeWalk(heap, own);
            for (long b = s; b < n && removed < limit; b += STRIPES) {
                Ref page = pageRef(t, (int) (b >>> PAGE_BITS));
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

    /** The checked entries of stripe {@code s}, read as one atomic snapshot. */
    private List<byte[]> stripeEntries(int s) {
        Transaction t = store.txState();
        List<byte[]> out = new ArrayList<>();
        if (t.active) {
            t.lockStripe(locks[s]);
            Tx tx = t.tx;
            long n = buckets(txLp(t));
            long bound = bound(tx, s);
            for (long b = s; b < n; b += STRIPES) {
                Ref page = pageRef(t, (int) (b >>> PAGE_BITS));
                for (Ref x = tx.getRef(page, BKT_SLOT[(int) (b & (PAGE_BUCKETS - 1))]); x != null; x = tx.getRef(x, HNODE_NEXT)) {
                    if (out.size() >= bound) {
                        throw new CorruptedEntryException(name, null, x.offset(), loops(b, bound), mem.pool);
                    }
                    Ref e = tx.getRef(x, HNODE_ENTRY);
                    out.add(e == null ? null : EntryDescriptor.join(tx.getLong(x, HNODE_META), tx.getBytes(e)));
                }
            }
            return out;
        }
        store.ensureOpen();
        StampedLock l = locks[s];
        for (int attempt = 0; attempt < OPTIMISTIC_TRIES; attempt++) {
            long stamp = l.tryOptimisticRead();
            if (stamp == 0) {
                Thread.onSpinWait();
                continue;
            }
            out.clear();
            boolean ok;
            try {
                ok = collect(s, out, false);
            } catch (IndexOutOfBoundsException e) {
                ok = false;
            }
            if (l.validate(stamp) && ok) {
                return out;
            }
        }
        long stamp = l.readLock();
        try {
            out.clear();
            collect(s, out, true);
            return out;
        } finally {
            l.unlockRead(stamp);
        }
    }

    private boolean collect(int s, List<byte[]> out, boolean locked) {
        long n = buckets(lp);
        long[] pg = pages;
        long bound = bound(s);
        for (long b = s; b < n; b += STRIPES) {
            int pi = (int) (b >>> PAGE_BITS);
            if (pi >= pg.length) {
                return false;
            }
            long x = mem.ptr(pg[pi], SLOT0_OFF + ((b & (PAGE_BUCKETS - 1)) << 3));
            while (x != 0) {
                if (out.size() >= bound) {
                    if (locked) {
                        throw new CorruptedEntryException(name, null, x, loops(b, bound), mem.pool);
                    }
                    return false;
                }
                long e = x == Mem.BAD ? Mem.BAD : mem.ptr(x, ENTRY_OFF);
                byte[] bytes = e <= 0 ? null : entryAt(x, e);
                if (x == Mem.BAD || bytes == null) {
                    if (locked) {
                        throw new CorruptedEntryException(name, null, x == Mem.BAD ? pg[pi] : x, "the chain of bucket " + b
                                + " leads outside the pool or to an impossible entry", mem.pool);
                    }
                    return false;
                }
                out.add(bytes);
                x = mem.ptr(x, NEXT_OFF);
            }
        }
        return true;
    }

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
                buf = stripeEntries(stripe++);
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
            return new SimpleImmutableEntry<>(k, v);
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
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<K, V>> iterator() {
                return new EntryIterator();
            }

            @Override
            public int size() {
                return PersistentMap.this.size();
            }

            @Override
            public void clear() {
                PersistentMap.this.clear();
            }
        };
    }

    @Override
    public String toString() {
        return "PersistentMap[" + name + ", " + keys.name() + " -> " + values.name() + "]";
    }

    // equals/hashCode: AbstractMap's (entry-wise), like any java.util.Map
}
