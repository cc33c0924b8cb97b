package io.ferrite.store;

import java.util.AbstractMap;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.concurrent.ConcurrentNavigableMap;

/**
 * The navigation and view methods of {@link PersistentSortedMap}, each handed to the view of the
 * whole map ({@link SortedView} without bounds), where they are implemented once for the map and
 * all its views.
 *
 * @param <K> key type
 * @param <V> value type
 */
abstract class SortedMapBase<K, V> extends AbstractMap<K, V> implements ConcurrentNavigableMap<K, V> {
    /** The view of the whole map. */
    abstract SortedView<K, V> all();

    @Override
    public Map.Entry<K, V> firstEntry() {
        return all().firstEntry();
    }

    @Override
    public Map.Entry<K, V> lastEntry() {
        return all().lastEntry();
    }

    @Override
    public K firstKey() {
        return all().firstKey();
    }

    @Override
    public K lastKey() {
        return all().lastKey();
    }

    @Override
    public Map.Entry<K, V> pollFirstEntry() {
        return all().pollFirstEntry();
    }

    @Override
    public Map.Entry<K, V> pollLastEntry() {
        return all().pollLastEntry();
    }

    @Override
    public Map.Entry<K, V> ceilingEntry(K key) {
        return all().ceilingEntry(key);
    }

    @Override
    public Map.Entry<K, V> higherEntry(K key) {
        return all().higherEntry(key);
    }

    @Override
    public Map.Entry<K, V> floorEntry(K key) {
        return all().floorEntry(key);
    }

    @Override
    public Map.Entry<K, V> lowerEntry(K key) {
        return all().lowerEntry(key);
    }

    @Override
    public K ceilingKey(K key) {
        return all().ceilingKey(key);
    }

    @Override
    public K higherKey(K key) {
        return all().higherKey(key);
    }

    @Override
    public K floorKey(K key) {
        return all().floorKey(key);
    }

    @Override
    public K lowerKey(K key) {
        return all().lowerKey(key);
    }

    @Override
    public ConcurrentNavigableMap<K, V> subMap(K from, boolean fromInclusive, K to, boolean toInclusive) {
        return all().subMap(from, fromInclusive, to, toInclusive);
    }

    @Override
    public ConcurrentNavigableMap<K, V> headMap(K to, boolean inclusive) {
        return all().headMap(to, inclusive);
    }

    @Override
    public ConcurrentNavigableMap<K, V> tailMap(K from, boolean inclusive) {
        return all().tailMap(from, inclusive);
    }

    @Override
    public ConcurrentNavigableMap<K, V> subMap(K from, K to) {
        return all().subMap(from, to);
    }

    @Override
    public ConcurrentNavigableMap<K, V> headMap(K to) {
        return all().headMap(to);
    }

    @Override
    public ConcurrentNavigableMap<K, V> tailMap(K from) {
        return all().tailMap(from);
    }

    @Override
    public ConcurrentNavigableMap<K, V> descendingMap() {
        return all().descendingMap();
    }

    @Override
    public NavigableSet<K> navigableKeySet() {
        return all().navigableKeySet();
    }

    @Override
    public NavigableSet<K> keySet() {
        return all().keySet();
    }

    @Override
    public NavigableSet<K> descendingKeySet() {
        return all().descendingKeySet();
    }

    @Override
    public Set<Map.Entry<K, V>> entrySet() {
        return all().entrySet();
    }
}
