package io.ferrite.store;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The compound operations of {@link Map} made atomic for the store's maps: each runs as one
 * transaction ({@link Store#callInTransaction}), whose reads lock what they read until the commit,
 * so no other thread's write can come between the read and the write. The functions passed in
 * may run more than once (a transaction retried after a lock conflict): keep them free of side
 * effects. Null keys, values and functions are refused with {@link NullPointerException}, as
 * {@link java.util.concurrent.ConcurrentHashMap} does.
 */
interface AtomicMap<K, V> extends ConcurrentMap<K, V> {
    Store store();

    /** Stores without reading the previous value. */
    void set(K key, V value);

    /** Removes without reading the value; true when the key was present. */
    boolean delete(K key);

    @Override
    default boolean remove(Object key, Object value) {
        Objects.requireNonNull(key, "key");
        if (value == null) {
            return false;
        }
        return store().callInTransaction(t -> {
            V cur = get(key);
            if (cur != null && valueEquals(cur, value)) {
                remove(key);
                return true;
            }
            return false;
        });
    }

    @Override
    default boolean replace(K key, V oldValue, V newValue) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(oldValue, "oldValue");
        Objects.requireNonNull(newValue, "newValue");
        return store().callInTransaction(t -> {
            V cur = get(key);
            if (cur != null && valueEquals(cur, oldValue)) {
                set(key, newValue);
                return true;
            }
            return false;
        });
    }

    @Override
    default V replace(K key, V value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        return store().callInTransaction(t -> containsKey(key) ? put(key, value) : null);
    }

    @Override
    default V computeIfAbsent(K key, Function<? super K, ? extends V> f) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(f, "mappingFunction");
        return store().callInTransaction(t -> {
            V cur = get(key);
            if (cur != null) {
                return cur;
            }
            V v = f.apply(key);
            if (v != null) {
                set(key, v);
            }
            return v;
        });
    }

    @Override
    default V computeIfPresent(K key, BiFunction<? super K, ? super V, ? extends V> f) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(f, "remappingFunction");
        return store().callInTransaction(t -> {
            V cur = get(key);
            return cur == null ? null : update(key, f.apply(key, cur));
        });
    }

    @Override
    default V compute(K key, BiFunction<? super K, ? super V, ? extends V> f) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(f, "remappingFunction");
        return store().callInTransaction(t -> update(key, f.apply(key, get(key))));
    }

    @Override
    default V merge(K key, V value, BiFunction<? super V, ? super V, ? extends V> f) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(f, "remappingFunction");
        return store().callInTransaction(t -> {
            V cur = get(key);
            return update(key, cur == null ? value : f.apply(cur, value));
        });
    }

    /**
     * Replaces every value with {@code f(key, value)} in one transaction: atomic, and as large as
     * the map (its locks and its undo are held to the end). A null result throws
     * {@link NullPointerException} and nothing is changed.
     */
    @Override
    default void replaceAll(BiFunction<? super K, ? super V, ? extends V> f) {
        Objects.requireNonNull(f, "function");
        store().inTransaction(t -> {
            for (Map.Entry<K, V> e : entrySet()) {
                V v = Objects.requireNonNull(f.apply(e.getKey(), e.getValue()), "replaceAll's function returned null");
                set(e.getKey(), v);
            }
        });
    }

    /** A map entry whose {@link #setValue} writes through to the map ({@code put}). */
    final class WriteThroughEntry<K, V> extends java.util.AbstractMap.SimpleEntry<K, V> {
        private final transient Map<K, V> map;

        WriteThroughEntry(Map<K, V> map, K key, V value) {
            super(key, value);
            this.map = map;
        }

        @Override
        public V setValue(V value) {
            Objects.requireNonNull(value, "value");
            map.put(getKey(), value);
            return super.setValue(value);
        }
    }

    private V update(K key, V v) {
        if (v == null) {
            delete(key);
        } else {
            set(key, v);
        }
        return v;
    }

    static boolean valueEquals(Object a, Object b) {
        if (a instanceof byte[] x && b instanceof byte[] y) {
            return Arrays.equals(x, y);
        }
        return Objects.equals(a, b);
    }
}
