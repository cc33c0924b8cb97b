package io.ferrite.store;

import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The live entry and key sets of a {@link PersistentMap}: every operation goes to the map (its
 * atomic single-key operations), so the views are as thread-safe and as durable as the map, and
 * their iterators are the map's weakly consistent one.
 */
final class HashMapViews {
    private HashMapViews() {
    }

    static <K, V> Set<Map.Entry<K, V>> entrySet(PersistentMap<K, V> map) {
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<K, V>> iterator() {
                return map.entryIterator();
            }

            @Override
            public int size() {
                return map.size();
            }

            @Override
            public void clear() {
                map.clear();
            }

            @Override
            public boolean contains(Object o) {
                return o instanceof Map.Entry<?, ?> e && e.getKey() != null && e.getValue() != null
                        && AtomicMap.valueEquals(e.getValue(), map.get(e.getKey()));
            }

            @Override
            public boolean remove(Object o) {
                return o instanceof Map.Entry<?, ?> e && e.getKey() != null && map.remove(e.getKey(), e.getValue());
            }
        };
    }

    static <K, V> Set<K> keySet(PersistentMap<K, V> map) {
        return new LiveKeys<>(map);
    }
}
