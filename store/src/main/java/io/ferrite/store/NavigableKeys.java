package io.ferrite.store;

import java.util.Comparator;
import java.util.Iterator;
import java.util.Map;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentNavigableMap;

/**
 * The keys of a sorted map (or of one of its views) as a live {@link NavigableSet}, like
 * {@link java.util.concurrent.ConcurrentSkipListMap#navigableKeySet()}: every read and removal goes
 * to the map; {@code add} is not supported. Its iterators are the map's (weakly consistent,
 * {@code remove} works).
 *
 * @param <K> key type
 */
final class NavigableKeys<K> extends LiveKeys<K> implements NavigableSet<K> {
    private final ConcurrentNavigableMap<K, ?> map;

    NavigableKeys(ConcurrentNavigableMap<K, ?> map) {
        super(map);
        this.map = map;
    }

    @Override
    public K lower(K k) {
        return map.lowerKey(k);
    }

    @Override
    public K floor(K k) {
        return map.floorKey(k);
    }

    @Override
    public K ceiling(K k) {
        return map.ceilingKey(k);
    }

    @Override
    public K higher(K k) {
        return map.higherKey(k);
    }

    @Override
    public K pollFirst() {
        Map.Entry<K, ?> e = map.pollFirstEntry();
        return e == null ? null : e.getKey();
    }

    @Override
    public K pollLast() {
        Map.Entry<K, ?> e = map.pollLastEntry();
        return e == null ? null : e.getKey();
    }

    @Override
    public Comparator<? super K> comparator() {
        return map.comparator();
    }

    @Override
    public K first() {
        return map.firstKey();
    }

    @Override
    public K last() {
        return map.lastKey();
    }

    @Override
    public NavigableSet<K> descendingSet() {
        return new NavigableKeys<>(map.descendingMap());
    }

    @Override
    public Iterator<K> descendingIterator() {
        return descendingSet().iterator();
    }

    @Override
    public NavigableSet<K> subSet(K from, boolean fromInclusive, K to, boolean toInclusive) {
        return new NavigableKeys<>(map.subMap(from, fromInclusive, to, toInclusive));
    }

    @Override
    public NavigableSet<K> headSet(K to, boolean inclusive) {
        return new NavigableKeys<>(map.headMap(to, inclusive));
    }

    @Override
    public NavigableSet<K> tailSet(K from, boolean inclusive) {
        return new NavigableKeys<>(map.tailMap(from, inclusive));
    }

    @Override
    public NavigableSet<K> subSet(K from, K to) {
        return subSet(from, true, to, false);
    }

    @Override
    public NavigableSet<K> headSet(K to) {
        return headSet(to, false);
    }

    @Override
    public NavigableSet<K> tailSet(K from) {
        return tailSet(from, true);
    }
}
