package io.ferrite.store;

import static io.ferrite.store.PersistentSortedMap.CEIL;
import static io.ferrite.store.PersistentSortedMap.FLOOR;
import static io.ferrite.store.PersistentSortedMap.HIGHER;
import static io.ferrite.store.PersistentSortedMap.LOWER;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentNavigableMap;

/**
 * A live view of a {@link PersistentSortedMap} between two optional bounds, ascending or
 * descending: what {@code subMap}, {@code headMap}, {@code tailMap} and {@code descendingMap}
 * return, with the semantics of {@link java.util.concurrent.ConcurrentSkipListMap}'s views.
 * Reads see the map as it is now; writes go to the map, and a key outside the bounds is refused
 * with {@link IllegalArgumentException}. The whole map itself delegates its navigation here (a
 * view without bounds).
 *
 * <p>Ascending iteration reads the map in batches of {@value PersistentSortedMap#BATCH} entries
 * under the read lock; descending iteration finds each entry's predecessor anew (O(log n) a step,
 * the skip list links only forward). Both are weakly consistent like the map's; their entries'
 * {@code setValue} writes through, their {@code remove} removes the key. {@link #size()} of a
 * bounded view counts its entries (O(entries in range)).
 *
 * @param <K> key type
 * @param <V> value type
 */
final class SortedView<K, V> extends AbstractMap<K, V> implements ConcurrentNavigableMap<K, V>, AtomicMap<K, V> {
    private final PersistentSortedMap<K, V> m;
    /** Bounds in the map's own order; null is unbounded (keys are never null). */
    private final K lo;
    private final boolean loInc;
    private final K hi;
    private final boolean hiInc;
    private final boolean descending;

    SortedView(PersistentSortedMap<K, V> m, K lo, boolean loInc, K hi, boolean hiInc, boolean descending) {
        this.m = m;
        if (lo != null && hi != null && m.order().compare(lo, hi) > 0) {
            throw new IllegalArgumentException("inconsistent range: " + Store.describeKey(lo) + " is above " + Store.describeKey(hi));
        }
        this.lo = lo;
        this.loInc = loInc;
        this.hi = hi;
        this.hiInc = hiInc;
        this.descending = descending;
    }

    private boolean bounded() {
        return lo != null || hi != null;
    }

    private boolean tooLow(K k) {
        if (lo == null) {
            return false;
        }
        int c = m.order().compare(k, lo);
        return c < 0 || (c == 0 && !loInc);
    }

    private boolean tooHigh(K k) {
        if (hi == null) {
            return false;
        }
        int c = m.order().compare(k, hi);
        return c > 0 || (c == 0 && !hiInc);
    }

    @SuppressWarnings("unchecked")
    private boolean inRange(Object key) {
        K k = (K) Objects.requireNonNull(key, "key");
        return !tooLow(k) && !tooHigh(k);
    }

    private K checked(K key) {
        if (!inRange(key)) {
            throw new IllegalArgumentException("key out of range: " + Store.describeKey(key));
        }
        return key;
    }

    // ================================================================== navigation (map order)

    private Map.Entry<K, V> lowest() {
        Map.Entry<K, V> e = lo == null ? m.near(null, CEIL) : m.near(lo, loInc ? CEIL : HIGHER);
        return e == null || tooHigh(e.getKey()) ? null : e;
    }

    private Map.Entry<K, V> highest() {
        Map.Entry<K, V> e = hi == null ? m.near(null, FLOOR) : m.near(hi, hiInc ? FLOOR : LOWER);
        return e == null || tooLow(e.getKey()) ? null : e;
    }

    /** The entry in range related to {@code k} by {@code rel}, in the map's order. */
    private Map.Entry<K, V> rel(K k, int rel) {
        Objects.requireNonNull(k, "key");
        if (rel == CEIL || rel == HIGHER) {
            if (tooLow(k)) {
                return lowest();
            }
            Map.Entry<K, V> e = m.near(k, rel);
            return e == null || tooHigh(e.getKey()) ? null : e;
        }
        if (tooHigh(k)) {
            return highest();
        }
        Map.Entry<K, V> e = m.near(k, rel);
        return e == null || tooLow(e.getKey()) ? null : e;
    }

    private static <K> K key(Map.Entry<K, ?> e) {
        return e == null ? null : e.getKey();
    }

    private static <K> K keyOrThrow(Map.Entry<K, ?> e) {
        if (e == null) {
            throw new NoSuchElementException("the map is empty");
        }
        return e.getKey();
    }

    @Override
    public Map.Entry<K, V> firstEntry() {
        return descending ? highest() : lowest();
    }

    @Override
    public Map.Entry<K, V> lastEntry() {
        return descending ? lowest() : highest();
    }

    @Override
    public K firstKey() {
        return keyOrThrow(firstEntry());
    }

    @Override
    public K lastKey() {
        return keyOrThrow(lastEntry());
    }

    @Override
    public Map.Entry<K, V> ceilingEntry(K k) {
        return rel(k, descending ? FLOOR : CEIL);
    }

    @Override
    public Map.Entry<K, V> higherEntry(K k) {
        return rel(k, descending ? LOWER : HIGHER);
    }

    @Override
    public Map.Entry<K, V> floorEntry(K k) {
        return rel(k, descending ? CEIL : FLOOR);
    }

    @Override
    public Map.Entry<K, V> lowerEntry(K k) {
        return rel(k, descending ? HIGHER : LOWER);
    }

    @Override
    public K ceilingKey(K k) {
        return key(ceilingEntry(k));
    }

    @Override
    public K higherKey(K k) {
        return key(higherEntry(k));
    }

    @Override
    public K floorKey(K k) {
        return key(floorEntry(k));
    }

    @Override
    public K lowerKey(K k) {
        return key(lowerEntry(k));
    }

    /** Removes and returns the first entry, atomically (one transaction). */
    @Override
    public Map.Entry<K, V> pollFirstEntry() {
        return poll(true);
    }

    @Override
    public Map.Entry<K, V> pollLastEntry() {
        return poll(false);
    }

    private Map.Entry<K, V> poll(boolean first) {
        return m.store().callInTransaction(t -> {
            Map.Entry<K, V> e = first ? firstEntry() : lastEntry();
            if (e != null) {
                m.delete(e.getKey());
            }
            return e;
        });
    }

    @Override
    public Comparator<? super K> comparator() {
        Comparator<? super K> c = m.comparator();
        return descending ? Collections.reverseOrder(c) : c;
    }

    // ================================================================== views

    @Override
    public ConcurrentNavigableMap<K, V> subMap(K from, boolean fromInclusive, K to, boolean toInclusive) {
        Objects.requireNonNull(from, "fromKey");
        Objects.requireNonNull(to, "toKey");
        return newView(from, fromInclusive, to, toInclusive);
    }

    @Override
    public ConcurrentNavigableMap<K, V> headMap(K to, boolean inclusive) {
        Objects.requireNonNull(to, "toKey");
        return newView(null, false, to, inclusive);
    }

    @Override
    public ConcurrentNavigableMap<K, V> tailMap(K from, boolean inclusive) {
        Objects.requireNonNull(from, "fromKey");
        return newView(from, inclusive, null, false);
    }

    @Override
    public ConcurrentNavigableMap<K, V> subMap(K from, K to) {
        return subMap(from, true, to, false);
    }

    @Override
    public ConcurrentNavigableMap<K, V> headMap(K to) {
        return headMap(to, false);
    }

    @Override
    public ConcurrentNavigableMap<K, V> tailMap(K from) {
        return tailMap(from, true);
    }

    /** A narrower view; {@code from}/{@code to} are in this view's order (null: keep the bound). */
    private SortedView<K, V> newView(K from, boolean fromInc, K to, boolean toInc) {
        if (descending) {
            K k = from;
            from = to;
            to = k;
            boolean b = fromInc;
            fromInc = toInc;
            toInc = b;
        }
        if (lo != null) {
            if (from == null) {
                from = lo;
                fromInc = loInc;
            } else {
                int c = m.order().compare(from, lo);
                if (c < 0 || (c == 0 && !loInc && fromInc)) {
                    throw new IllegalArgumentException("key out of range: " + Store.describeKey(from));
                }
            }
        }
        if (hi != null) {
            if (to == null) {
                to = hi;
                toInc = hiInc;
            } else {
                int c = m.order().compare(to, hi);
                if (c > 0 || (c == 0 && !hiInc && toInc)) {
                    throw new IllegalArgumentException("key out of range: " + Store.describeKey(to));
                }
            }
        }
        return new SortedView<>(m, from, fromInc, to, toInc, descending);
    }

    @Override
    public ConcurrentNavigableMap<K, V> descendingMap() {
        return new SortedView<>(m, lo, loInc, hi, hiInc, !descending);
    }

    @Override
    public NavigableSet<K> navigableKeySet() {
        return new NavigableKeys<>(this);
    }

    @Override
    public NavigableSet<K> keySet() {
        return navigableKeySet();
    }

    @Override
    public NavigableSet<K> descendingKeySet() {
        return new NavigableKeys<>(descendingMap());
    }

    // ================================================================== map operations

    @Override
    public Store store() {
        return m.store();
    }

    @Override
    public V get(Object key) {
        return inRange(key) ? m.get(key) : null;
    }

    @Override
    public boolean containsKey(Object key) {
        return inRange(key) && m.containsKey(key);
    }

    @Override
    public V put(K key, V value) {
        checked(key);
        Objects.requireNonNull(value, "value");
        return m.put(key, value);
    }

    @Override
    public void set(K key, V value) {
        checked(key);
        Objects.requireNonNull(value, "value");
        m.set(key, value);
    }

    @Override
    public V putIfAbsent(K key, V value) {
        checked(key);
        Objects.requireNonNull(value, "value");
        return m.putIfAbsent(key, value);
    }

    @Override
    public V replace(K key, V value) {
        return m.replace(checked(key), value);
    }

    @Override
    public boolean replace(K key, V oldValue, V newValue) {
        return m.replace(checked(key), oldValue, newValue);
    }

    @Override
    public V remove(Object key) {
        return inRange(key) ? m.remove(key) : null;
    }

    @Override
    public boolean delete(K key) {
        return inRange(key) && m.delete(key);
    }

    @Override
    public boolean remove(Object key, Object value) {
        return inRange(key) && m.remove(key, value);
    }

    @Override
    public boolean containsValue(Object value) {
        Objects.requireNonNull(value, "value");
        return super.containsValue(value);
    }

    @Override
    public int size() {
        if (!bounded()) {
            return m.size();
        }
        long n = 0;
        for (Iterator<Map.Entry<K, V>> it = new Iter(); it.hasNext(); it.next()) {
            n++;
        }
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    @Override
    public boolean isEmpty() {
        return bounded() ? lowest() == null : m.isEmpty();
    }

    /** Removes every entry in range; not atomic outside a transaction (like the map's clear). */
    @Override
    public void clear() {
        if (!bounded()) {
            m.clear();
            return;
        }
        for (Iterator<Map.Entry<K, V>> it = new Iter(); it.hasNext(); ) {
            it.next();
            it.remove();
        }
    }

    @Override
    public Set<Map.Entry<K, V>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<K, V>> iterator() {
                return new Iter();
            }

            @Override
            public int size() {
                return SortedView.this.size();
            }

            @Override
            public boolean isEmpty() {
                return SortedView.this.isEmpty();
            }

            @Override
            public void clear() {
                SortedView.this.clear();
            }

            @Override
            public boolean contains(Object o) {
                return o instanceof Map.Entry<?, ?> e && e.getKey() != null && e.getValue() != null
                        && AtomicMap.valueEquals(e.getValue(), get(e.getKey()));
            }

            @Override
            public boolean remove(Object o) {
                return o instanceof Map.Entry<?, ?> e && e.getKey() != null && SortedView.this.remove(e.getKey(), e.getValue());
            }
        };
    }

    /** Entries in this view's order (see the class comment). */
    private final class Iter implements Iterator<Map.Entry<K, V>> {
        private List<Map.Entry<K, V>> buf = List.of();
        private int pos;
        private boolean started;
        private boolean done;
        private K cursor;
        private K last;

        @Override
        public boolean hasNext() {
            if (pos < buf.size()) {
                return true;
            }
            if (done) {
                return false;
            }
            pos = 0;
            if (descending) {
                Map.Entry<K, V> e = started ? rel(cursor, LOWER) : highest();
                buf = e == null ? List.of() : List.of(e);
                done = e == null;
            } else {
                buf = started ? m.batch(cursor, false, hi, hiInc) : m.batch(lo, loInc, hi, hiInc);
                done = buf.size() < PersistentSortedMap.BATCH;
            }
            started = true;
            if (!buf.isEmpty()) {
                cursor = buf.get(buf.size() - 1).getKey();
            }
            return pos < buf.size();
        }

        @Override
        public Map.Entry<K, V> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Map.Entry<K, V> e = buf.get(pos++);
            last = e.getKey();
            return new WriteThroughEntry<>(m, e.getKey(), e.getValue());
        }

        @Override
        public void remove() {
            if (last == null) {
                throw new IllegalStateException("next() first");
            }
            m.delete(last);
            last = null;
        }
    }
}
