package io.ferrite.store;

import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;

/**
 * The keys of a map as a live set: every read and removal goes to the map, {@code add} is not
 * supported, and the iterator is the map's entry iterator (weakly consistent; {@code remove}
 * works), as {@link java.util.concurrent.ConcurrentHashMap#keySet()} without {@code add}.
 *
 * @param <K> key type
 */
class LiveKeys<K> extends AbstractSet<K> {
    private final Map<K, ?> map;

    LiveKeys(Map<K, ?> map) {
        this.map = map;
    }

    @Override
    public Iterator<K> iterator() {
        Iterator<? extends Map.Entry<K, ?>> it = map.entrySet().iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public K next() {
                return it.next().getKey();
            }

            @Override
            public void remove() {
                it.remove();
            }
        };
    }

    @Override
    public int size() {
        return map.size();
    }

    @Override
    public boolean isEmpty() {
        return map.isEmpty();
    }

    @Override
    public boolean contains(Object o) {
        return map.containsKey(o);
    }

    @Override
    public boolean remove(Object o) {
        return map.remove(o) != null;
    }

    @Override
    public void clear() {
        map.clear();
    }
}
