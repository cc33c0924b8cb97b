package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.store.Codecs;
import io.ferrite.store.PersistentList;
import io.ferrite.store.PersistentMap;
import io.ferrite.store.PersistentSortedMap;
import io.ferrite.store.Store;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import org.junit.jupiter.api.Test;

/**
 * Sound stores that the store level of {@code ferrite check} must pass as clean: every kind of
 * collection empty, emptied and full; a map grown through many splits; a sorted map in reverse
 * order and one over byte-array keys with the application's comparator (whose order the tool
 * cannot know); Kryo values; named values replaced and removed. Anything else would make an
 * operator restore a healthy pool.
 */
class StoreCheckerTest {
    record Order(String item, long qty) {
    }

    @Test
    void soundStoresCheckClean() {
        Path p = TestPools.fresh("store-sound");
        Store.Context ctx = new Store.Context().heapOptions(TestPools.options()).register(Order.class, 100);
        try {
            int entries;
            try (Store s = Store.create(p, StoreCheckFuzzTest.SIZE, ctx)) {
                s.map("empty-map", String.class, String.class);
                s.sortedMap("empty-sorted", Long.class, Long.class);
                s.list("empty-list", Integer.class);
                PersistentMap<Long, Order> orders = s.map("orders", Long.class, Order.class);
                for (long i = 0; i < 3000; i++) {
                    orders.put(i, new Order("item-" + i, i));
                }
                for (long i = 0; i < 3000; i += 3) {
                    orders.remove(i);
                }
                PersistentSortedMap<String, Long> desc = s.sortedMap("desc", Codecs.STRING, Codecs.LONG_CODEC, Comparator.reverseOrder());
                for (int i = 0; i < 200; i++) {
                    desc.put("k" + i, (long) i);
                }
                Comparator<byte[]> unsigned = Arrays::compareUnsigned;
                PersistentSortedMap<byte[], String> raw = s.sortedMap("raw", Codecs.BYTES, Codecs.STRING, unsigned);
                for (int i = 0; i < 100; i++) {
                    raw.put(new byte[] {(byte) (i * 37), (byte) i}, "v" + i);
                }
                PersistentList<String> q = s.list("queue", String.class);
                for (int i = 0; i < 50; i++) {
                    q.add("job-" + i);
                    q.addFirst("urgent-" + i);
                }
                q.remove(10);
                q.pollLast();
                PersistentList<String> drained = s.list("drained", String.class);
                drained.add("x");
                drained.clear();
                PersistentMap<String, String> cleared = s.map("cleared", String.class, String.class);
                for (int i = 0; i < 300; i++) {
                    cleared.put("c" + i, "v");
                }
                cleared.clear();
                s.setRoot("counter", 1L);
                s.setRoot("counter", "one");
                s.setRoot("gone", 2);
                s.removeRoot("gone");
                entries = orders.size() + desc.size() + raw.size() + q.size() + 1;
            }
            TestPools.Run r = TestPools.runCheck("--no-progress", p.toString());
            assertEquals(0, r.exit(), r.toString());
            assertFalse(r.out().contains("error"), r.out());
            assertTrue(r.out().contains("store: 10 collections, " + entries + " entries"), r.out());
            System.out.println("store checker: a sound store of 10 collections and " + entries + " entries checks clean");
        } finally {
            TestPools.delete(p);
        }
    }
}
