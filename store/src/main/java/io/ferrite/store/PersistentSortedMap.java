package io.ferrite.store;

import static io.ferrite.store.StoreTypes.*;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A persistent sorted map: a skip list of {@code store.SNode} (up to {@value StoreTypes#SKIP_LEVELS}
 * levels, p = 1/4) over checksummed entry blobs, ordered by the map's comparator on decoded keys.
 *
 * <p><b>Threading.</b> One read-write lock per map: reads outside a transaction take the read
 * lock (many readers at once); writes, and every operation inside {@link Store#inTransaction},
 * take the write lock (held to the end of the transaction, which sees its own writes).
 *
 * <p><b>Durability.</b> Each operation outside a transaction is one atomic, durable commit. The
 * compound operations ({@code putIfAbsent}, {@code replace}, {@code compute*}, {@code merge}...)
 * are atomic.
 *
 * <p><b>Contract.</b> {@link ConcurrentNavigableMap} in full, nulls refused as
 * {@link java.util.concurrent.ConcurrentSkipListMap} refuses them; navigation, views and
 * iteration are implemented once in {@link SortedView} (the whole map is a view without bounds).
 *
 * <p><b>Range scans and iteration</b> ({@link #range}, {@link #entrySet()}) are in key order,
 * weakly consistent, never throw {@link java.util.ConcurrentModificationException}: entries are
 * read in batches of {@value #BATCH} under the read lock, each batch continuing strictly after the
 * last key returned. An entry present during the whole scan is returned exactly once; one added
 * or removed meanwhile may or may not be.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class PersistentSortedMap<K, V> extends SortedMapBase<K, V> implements ConcurrentNavigableMap<K, V>, AtomicMap<K, V> {
    /** The whole map as a view: navigation, views and iteration are implemented there once. */
    private final SortedView<K, V> all = new SortedView<>(this, null, false, null, false, false);

    static final int BATCH = 64;

    private final Store store;
    private final String name;
    private final Heap heap;
    private final Mem mem;
    private final Guarded guard;
    private final Codec<K> keys;
    private final Codec<V> values;
    private final Comparator<? super K> comparator;
    private final long hdr;
    private final Ref hdrRef;
    private final long head;
    /** Most nodes the pool can hold: the bound on the size a header may claim. */
    private final long capacity;

    PersistentSortedMap(Store store, String name, long header, Codec<K> keys, Codec<V> values, Comparator<? super K> comparator) {
        this.store = store;
        this.name = name;
        this.heap = store.heap();
        this.mem = store.mem;
        this.guard = new Guarded(store);
        this.keys = keys;
        this.values = values;
        this.comparator = Objects.requireNonNull(comparator, "comparator");
        this.hdr = header;
        this.hdrRef = heap.ref(header);
        long h = mem.ptr(header, SHDR_HEAD);
        if (h <= 0) {
            throw new CorruptedEntryException(name, null, header, "the skip list has no head node", mem.pool);
        }
        this.head = h;
        this.capacity = mem.capacity(SNODE);
    }

    static Ref allocate(Tx tx) {
        Ref h = tx.allocate(SHDR);
        Ref headNode = tx.allocate(SNODE);
        tx.setLong(headNode, SNODE_LEVEL, SKIP_LEVELS);
        tx.setRef(h, SHDR_HEAD, headNode);
        tx.setLong(h, SHDR_LEVEL, 1);
        return h;
    }

    public String name() {
        return name;
    }

    /** The store this map belongs to. */
    @Override
    public Store store() {
        return store;
    }

    /** The keys' order, or null for their natural order (as {@link java.util.SortedMap#comparator()}). */
    @Override
    public Comparator<? super K> comparator() {
        return comparator == Comparator.naturalOrder() ? null : comparator;
    }

    /** The order the skip list is kept in (never null). */
    Comparator<? super K> order() {
        return comparator;
    }

    // ================================================================== access helpers

    private byte[] entryOf(Nav nav, long node) {
        long e = nav.ptr(node, SNODE_ENTRY);
        byte[] b = e <= 0 ? null : nav.blob(e);
        if (b == null) {
            throw new CorruptedEntryException(name, null, node, "the node's entry pointer or blob length is impossible", mem.pool);
        }
        String p = EntryDescriptor.problem(b);
        if (p != null) {
            throw new CorruptedEntryException(name, keyText(b), e, p, mem.pool);
        }
        return b;
    }

    private String keyText(byte[] b) {
        if (b.length < EntryDescriptor.HEADER_LENGTH) {
            return null;
        }
        int kl = EntryDescriptor.keyLength(b);
        if (kl < 0 || kl > b.length - EntryDescriptor.HEADER_LENGTH) {
            return null;
        }
        try {
            return Store.describeKey(keys.decode(b, EntryDescriptor.KEY_OFFSET, kl));
        } catch (RuntimeException ex) {
            return Store.describeKey(Arrays.copyOfRange(b, EntryDescriptor.KEY_OFFSET, EntryDescriptor.KEY_OFFSET + kl));
        }
    }

    private K keyOf(byte[] e) {
        return Store.decode(keys, e, EntryDescriptor.KEY_OFFSET, EntryDescriptor.keyLength(e), name, null);
    }

    private V valueOf(byte[] e, Object key) {
        return Store.decode(values, e, EntryDescriptor.valueOffset(e), EntryDescriptor.valueLength(e), name, key);
    }

    private long next(Nav nav, long node, int level) {
        long n = nav.ptr(node, SNODE_NEXT[level]);
        if (n == Mem.BAD) {
            throw new CorruptedEntryException(name, null, node, "a level-" + level + " link leads outside the pool", mem.pool);
        }
        return n;
    }

    /**
     * The entry count the header holds, checked against what the pool can hold. It bounds every
     * walk: no level of a sound skip list links more nodes than the map holds (the count is
     * written in the same commit as the links), so a walk that takes more steps follows a loop.
     */
    private long size(Nav nav) {
        return mem.count(name, hdr, nav.i64(hdr, SHDR_SIZE), capacity, "skip-list nodes");
    }

    private CorruptedEntryException loops(long node, int level, long size) {
        return new CorruptedEntryException(name, null, node, "the level-" + level + " links pass more nodes than the map's " + size
                + " entries: they loop back to an earlier node", mem.pool);
    }

    private int level(Nav nav) {
        long l = nav.i64(hdr, SHDR_LEVEL);
        if (l < 1 || l > SKIP_LEVELS) {
            throw new CorruptedEntryException(name, null, hdr, "impossible skip-list level " + l, mem.pool);
        }
        return (int) l;
    }

    /**
     * Fills {@code update[i]} with the last node at level i whose key is below {@code key} (or,
     * with {@code inclusive}, not above it) and returns the level-0 successor of update[0].
     */
    private long seek(Nav nav, K key, boolean inclusive, long[] update) {
        long x = head;
        int top = level(nav);
        long size = size(nav);
        for (int i = top - 1; i >= 0; i--) {
            long steps = 0;
            for (long n = next(nav, x, i); n != 0; n = next(nav, x, i)) {
                int c = comparator.compare(keyOf(entryOf(nav, n)), key);
                if (c > 0 || (c == 0 && !inclusive)) {
                    break;
                }
                if (++steps > size) {
                    throw loops(n, i, size);
                }
                x = n;
            }
            if (update != null) {
                update[i] = x;
            }
        }
        if (update != null) {
            for (int i = top; i < SKIP_LEVELS; i++) {
                update[i] = head;
            }
        }
        return x;
    }

    /** The node holding {@code key}, or 0. */
    private long find(Nav nav, K key, long[] update) {
        long pred = seek(nav, key, false, update);
        long n = next(nav, pred, 0);
        if (n != 0 && comparator.compare(keyOf(entryOf(nav, n)), key) == 0) {
            return n;
        }
        return 0;
    }

    // ================================================================== reads

    @Override
    @SuppressWarnings("unchecked")
    public V get(Object key) {
        Objects.requireNonNull(key, "key");
        K k = (K) key;
        Nav nav = guard.beginRead();
        byte[] e;
        try {
            long n = find(nav, k, null);
            e = n == 0 ? null : entryOf(nav, n);
        } finally {
            guard.endRead(nav);
        }
        return e == null ? null : valueOf(e, key);
    }

    @Override
    @SuppressWarnings("unchecked")
    public boolean containsKey(Object key) {
        Objects.requireNonNull(key, "key");
        Nav nav = guard.beginRead();
        try {
            return find(nav, (K) key, null) != 0;
        } finally {
            guard.endRead(nav);
        }
    }

    @Override
    public int size() {
        long n = longSize();
        return n > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) n;
    }

    public long longSize() {
        Nav nav = guard.beginRead();
        try {
            return size(nav);
        } finally {
            guard.endRead(nav);
        }
    }

    @Override
    public boolean isEmpty() {
        return longSize() == 0;
    }

    static final int CEIL = 0;
    static final int HIGHER = 1;
    static final int FLOOR = 2;
    static final int LOWER = 3;

    /**
     * The entry whose key is the ceiling / higher / floor / lower ({@code rel}) of {@code key}, or
     * null; a null {@code key} gives the first (CEIL, HIGHER) or the last (FLOOR, LOWER) entry.
     * Read under the read lock (or in the current transaction); the entry is a snapshot.
     */
    Map.Entry<K, V> near(K key, int rel) {
        Nav nav = guard.beginRead();
        byte[] e;
        try {
            long n;
            if (rel == CEIL || rel == HIGHER) {
                n = next(nav, key == null ? head : seek(nav, key, rel == HIGHER, null), 0);
            } else {
                n = key == null ? last(nav) : seek(nav, key, rel == FLOOR, null);
                n = n == head ? 0 : n;
            }
            e = n == 0 ? null : entryOf(nav, n);
        } finally {
            guard.endRead(nav);
        }
        if (e == null) {
            return null;
        }
        K k = keyOf(e);
        return new SimpleImmutableEntry<>(k, valueOf(e, k));
    }

    /** The last node (the head when empty). */
    private long last(Nav nav) {
        long x = head;
        long size = size(nav);
        for (int i = level(nav) - 1; i >= 0; i--) {
            long steps = 0;
            for (long n = next(nav, x, i); n != 0; n = next(nav, x, i)) {
                if (++steps > size) {
                    throw loops(n, i, size);
                }
                x = n;
            }
        }
        return x;
    }

    // ================================================================== writes

    @Override
    public V put(K key, V value) {
        byte[] old = write(key, value, false);
        return old == null ? null : valueOf(old, key);
    }

    /** Stores without returning the previous value. */
    @Override
    public void set(K key, V value) {
        write(key, value, false);
    }

    @Override
    public V putIfAbsent(K key, V value) {
        byte[] old = write(key, value, true);
        return old == null ? null : valueOf(old, key);
    }

    private byte[] write(K key, V value, boolean onlyIfAbsent) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        byte[] entry = EntryDescriptor.build(keys.encode(key), values.encode(value));
        return guard.write((tx, nav, standalone) -> {
            long[] update = new long[SKIP_LEVELS];
            long n = find(nav, key, update);
            if (n != 0) {
                Ref node = heap.ref(n);
                Ref oldEntry = tx.getRef(node, SNODE_ENTRY);
                byte[] old = tx.getBytes(oldEntry);
                if (!onlyIfAbsent) {
                    tx.setRef(node, SNODE_ENTRY, tx.allocateBytes(entry));
                    tx.free(oldEntry);
                }
                return old;
            }
            int lvl = 1;
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            while (lvl < SKIP_LEVELS && rnd.nextInt(4) == 0) {
                lvl++;
            }
            Ref node = tx.allocate(SNODE);
            tx.setRef(node, SNODE_ENTRY, tx.allocateBytes(entry));
            tx.setLong(node, SNODE_LEVEL, lvl);
            for (int i = 0; i < lvl; i++) {
                Ref pred = heap.ref(update[i]);
                tx.setRef(node, SNODE_NEXT[i], tx.getRef(pred, SNODE_NEXT[i]));
                tx.setRef(pred, SNODE_NEXT[i], node);
            }
            if (lvl > level(nav)) {
                tx.setLong(hdrRef, SHDR_LEVEL, lvl);
            }
            tx.setLong(hdrRef, SHDR_SIZE, tx.getLong(hdrRef, SHDR_SIZE) + 1);
            return null;
        });
    }

    @Override
    @SuppressWarnings("unchecked")
    public V remove(Object key) {
        Objects.requireNonNull(key, "key");
        byte[] old = delete((K) key, true);
        return old == null ? null : valueOf(old, key);
    }

    /** Removes {@code key} without decoding its value; true when it was present. */
    @Override
    public boolean delete(K key) {
        return delete(key, false) != null;
    }

    private static final byte[] PRESENT = new byte[0];

    private byte[] delete(K key, boolean readOld) {
        return guard.write((tx, nav, standalone) -> {
            long[] update = new long[SKIP_LEVELS];
            long n = find(nav, key, update);
            if (n == 0) {
                return null;
            }
            byte[] old = readOld ? entryOf(nav, n) : PRESENT;
            Ref node = heap.ref(n);
            unlink(tx, node, update);
            tx.setLong(hdrRef, SHDR_SIZE, tx.getLong(hdrRef, SHDR_SIZE) - 1);
            return old;
        });
    }

    /** Unlinks and frees {@code node}, whose predecessor at each level is {@code preds[i]}. */
    private void unlink(Tx tx, Ref node, long[] preds) {
        int lvl = (int) Math.min(SKIP_LEVELS, Math.max(1, tx.getLong(node, SNODE_LEVEL)));
        for (int i = 0; i < lvl; i++) {
            Ref pred = heap.ref(preds[i]);
            if (node.equals(tx.getRef(pred, SNODE_NEXT[i]))) {
                tx.setRef(pred, SNODE_NEXT[i], tx.getRef(node, SNODE_NEXT[i]));
            }
        }
        Ref entry = tx.getRef(node, SNODE_ENTRY);
        if (entry != null) {
            tx.free(entry);
        }
        tx.free(node);
    }

    /** Removes every entry, in commits of at most {@value #BATCH} entries (atomic only inside a transaction). */
    @Override
    public void clear() {
        long[] heads = new long[SKIP_LEVELS];
        java.util.Arrays.fill(heads, head);
        boolean more = true;
        while (more) {
            more = guard.write((tx, nav, standalone) -> {
                int limit = standalone ? BATCH : Integer.MAX_VALUE;
                long size = size(nav);
                int removed = 0;
                FreeWalk walk = new FreeWalk(heap, standalone);
                for (long n = next(nav, head, 0); n != 0 && removed < limit; n = next(nav, head, 0)) {
                    String p = walk.problem(heap.ref(n));
                    if (p != null) {
                        throw new CorruptedEntryException(name, null, n, "level 0: " + p, mem.pool);
                    }
                    if (removed >= size) {
                        throw loops(n, 0, size);
                    }
                    unlink(tx, heap.ref(n), heads);
                    removed++;
                }
                if (removed > 0) {
                    tx.setLong(hdrRef, SHDR_SIZE, tx.getLong(hdrRef, SHDR_SIZE) - removed);
                }
                return removed == limit;
            });
        }
    }

    // ================================================================== range scans

    /**
     * Entries with {@code from} &le; key &lt; {@code to} in key order; a null bound is open.
     * Weakly consistent (see the class comment).
     */
    public Iterable<Map.Entry<K, V>> range(K from, K to) {
        return () -> new SortedView<>(this, from, true, to, false, false).entrySet().iterator();
    }

    /** Keys with {@code from} &le; key &lt; {@code to}, in order (a snapshot list, read in batches). */
    public List<K> keys(K from, K to) {
        List<K> out = new ArrayList<>();
        for (Map.Entry<K, V> e : range(from, to)) {
            out.add(e.getKey());
        }
        return out;
    }

    /**
     * Up to BATCH checked entries from {@code start} (after it unless {@code inclusive}; from the
     * first when null), up to {@code to} (included when {@code toInclusive}; open when null).
     * Their keys must rise strictly: a link back to an earlier node would otherwise hand the
     * caller keys it already had before any bound is reached.
     */
    List<Map.Entry<K, V>> batch(K start, boolean inclusive, K to, boolean toInclusive) {
        List<byte[]> out = new ArrayList<>(BATCH);
        Nav nav = guard.beginRead();
        try {
            long n = start == null ? next(nav, head, 0) : next(nav, seek(nav, start, !inclusive, null), 0);
            K prev = start;
            boolean strict = !inclusive;
            while (n != 0 && out.size() < BATCH) {
                byte[] e = entryOf(nav, n);
                K k = keyOf(e);
                if (prev != null && (strict || !out.isEmpty() ? comparator.compare(k, prev) <= 0 : comparator.compare(k, prev) < 0)) {
                    throw new CorruptedEntryException(name, keyText(e), n, "the level-0 links are out of order (key " + Store.describeKey(k)
                            + " follows " + Store.describeKey(prev) + "): they loop back to an earlier node or were overwritten", mem.pool);
                }
                if (to != null) {
                    int c = comparator.compare(k, to);
                    if (c > 0 || (c == 0 && !toInclusive)) {
                        break;
                    }
                }
                out.add(e);
                prev = k;
                n = next(nav, n, 0);
            }
        } finally {
            guard.endRead(nav);
        }
        List<Map.Entry<K, V>> entries = new ArrayList<>(out.size());
        for (byte[] e : out) {
            K k = keyOf(e);
            entries.add(new SimpleImmutableEntry<>(k, valueOf(e, k)));
        }
        return entries;
    }

    @Override
    SortedView<K, V> all() {
        return all;
    }

    /** The name and codecs of the map, as {@code PersistentSortedMap[name, keyCodec -> valueCodec]}. */
    public String describe() {
        return "PersistentSortedMap[" + name + ", " + keys.name() + " -> " + values.name() + "]";
    }

    @Override
    public boolean containsValue(Object value) {
        Objects.requireNonNull(value, "value");
        return super.containsValue(value);
    }

    // toString, equals, hashCode: AbstractMap's ({k=v, ...} in key order), like any java.util.Map
}
