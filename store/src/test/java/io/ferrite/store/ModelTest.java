package io.ferrite.store;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Model-based randomized tests: each collection is driven by random operations side by side with
 * a java.util model, and compared in full after every clean close, crash ({@code Heap.crashForTesting()},
 * no checkpoint) and reopen at random points; half of the reopens relocate the pool
 * ({@code HeapOptions.forceRelocation}: mapped at another base, every pointer swizzled). Seeds
 * are printed.
 */
class ModelTest {
    static final int OPS = Integer.getInteger("ferrite.store.modelOps", 4000);

    /** Reopens, relocated when the heap can do it; counts how often it did. */
    static int relocations;

    static Store reopen(TestPools p, Store s, Random rnd) {
        long base = s.heap().baseAddress();
        if (rnd.nextInt(3) == 0) {
            s.heap().crashForTesting();
        } else {
            s.close();
        }
        if (rnd.nextBoolean()) {
            Store.Context c = TestPools.context();
            c.heapOptions().forceRelocation(true);
            Store r = p.open(c);
            assertNotEquals(base, r.heap().baseAddress(), "forceRelocation maps the pool elsewhere");
            relocations++;
            return r;
        }
        return p.open(TestPools.context());
    }

    static long seed(String name) {
        long seed = Long.getLong("ferrite.test.seed", System.nanoTime());
        System.out.println(name + " seed=" + seed + " (rerun with -Dferrite.test.seed=" + seed + ")");
        return seed;
    }

    @Test
    void hashMapMatchesHashMap() {
        Random rnd = new Random(seed("ModelTest.hashMap"));
        Map<String, String> model = new HashMap<>();
        try (TestPools p = new TestPools("model-map")) {
            Store s = p.create(TestPools.context());
            try {
                PersistentMap<String, String> m = s.map("m", String.class, String.class);
                for (int op = 0; op < OPS; op++) {
                    String k = "key-" + rnd.nextInt(op < OPS / 2 ? 1500 : 400);
                    String v = "v" + op + "-".repeat(rnd.nextInt(40));
                    switch (rnd.nextInt(12)) {
                        case 0, 1, 2 -> assertEquals(model.put(k, v), m.put(k, v), "put " + k);
                        case 3 -> {
                            m.set(k, v);
                            model.put(k, v);
                        }
                        case 4 -> assertEquals(model.remove(k), m.remove(k), "remove " + k);
                        case 5 -> assertEquals(model.remove(k) != null, m.delete(k), "delete " + k);
                        case 6 -> assertEquals(model.putIfAbsent(k, v), m.putIfAbsent(k, v));
                        case 7 -> assertEquals(model.containsKey(k), m.containsKey(k));
                        case 8 -> {
                            // a transaction of several operations, committed or aborted as a whole
                            boolean abort = rnd.nextInt(3) == 0;
                            Map<String, String> scratch = new HashMap<>(model);
                            List<String> ks = new ArrayList<>();
                            for (int i = 0; i < 5; i++) {
                                ks.add("key-" + rnd.nextInt(1500));
                            }
                            PersistentMap<String, String> mm = m;
                            try {
                                s.inTransaction(tx -> {
                                    for (String x : ks) {
                                        if (x.hashCode() % 3 == 0) {
                                            mm.remove(x);
                                        } else {
                                            mm.merge(x, "+", String::concat);
                                        }
                                    }
                                    if (abort) {
                                        throw new IllegalStateException("abort");
                                    }
                                });
                            } catch (IllegalStateException e) {
                                assertEquals("abort", e.getMessage());
                            }
                            for (String x : ks) {
                                if (x.hashCode() % 3 == 0) {
                                    scratch.remove(x);
                                } else {
                                    scratch.merge(x, "+", String::concat);
                                }
                            }
                            if (!abort) {
                                model.clear();
                                model.putAll(scratch);
                            }
                        }
                        case 9 -> assertEquals(model.size(), m.size());
                        case 10 -> {
                            if (rnd.nextInt(20) == 0) {
                                s = reopen(p, s, rnd);
                                m = s.map("m", String.class, String.class);
                                assertEquals(model, new HashMap<>(m), "after reopen at op " + op);
                            }
                        }
                        default -> assertEquals(model.get(k), m.get(k), "get " + k);
                    }
                }
                assertEquals(model, new HashMap<>(m));
                Iterator<Map.Entry<String, String>> it = m.entrySet().iterator();
                while (it.hasNext()) {
                    Map.Entry<String, String> e = it.next();
                    if (e.getKey().hashCode() % 2 == 0) {
                        it.remove();
                        model.remove(e.getKey());
                    }
                }
                assertEquals(model, new HashMap<>(m));
                s = reopen(p, s, rnd);
                m = s.map("m", String.class, String.class);
                assertEquals(model, new HashMap<>(m));
                assertEquals(model.size(), m.size());
                assertNull(Reachability.leaks(s), "no leak after the hash-map workload");
                m.clear();
                assertNull(Reachability.leaks(s), "clear frees every node and entry");
                assertTrue(m.isEmpty());
                assertEquals(0, m.entrySet().stream().count());
            } finally {
                s.close();
            }
        }
        System.out.println("ModelTest: " + relocations + " reopens so far relocated the pool (pointers swizzled)");
        assertTrue(relocations > 0, "some reopens relocate");
    }

    @Test
    void byteArrayMapOfManyEntriesSplitsIncrementally() {
        try (TestPools p = new TestPools("model-bytes")) {
            Store s = p.create(TestPools.context());
            try {
                PersistentMap<byte[], byte[]> m = s.map("b", byte[].class, byte[].class);
                Random rnd = new Random(42);
                Map<String, byte[]> model = new HashMap<>();
                for (int i = 0; i < 20_000; i++) {
                    byte[] k = new byte[16];
                    rnd.nextBytes(k);
                    byte[] v = new byte[100];
                    rnd.nextBytes(v);
                    m.set(k, v);
                    model.put(Arrays.toString(k), v);
                }
                assertEquals(20_000, m.size());
                s.close();
                s = p.open(TestPools.context());
                m = s.map("b", byte[].class, byte[].class);
                int n = 0;
                for (Map.Entry<byte[], byte[]> e : m.entrySet()) {
                    assertArrayEquals(model.get(Arrays.toString(e.getKey())), e.getValue());
                    assertArrayEquals(e.getValue(), m.get(e.getKey()));
                    n++;
                }
                assertEquals(20_000, n);
            } finally {
                s.close();
            }
        }
    }

    @Test
    void sortedMapMatchesTreeMap() {
        Random rnd = new Random(seed("ModelTest.sortedMap"));
        TreeMap<Long, String> model = new TreeMap<>();
        try (TestPools p = new TestPools("model-sorted")) {
            Store s = p.create(TestPools.context());
            try {
                PersistentSortedMap<Long, String> m = s.sortedMap("s", Long.class, String.class);
                for (int op = 0; op < OPS; op++) {
                    long k = rnd.nextInt(800) - 100;
                    String v = "v" + op;
                    switch (rnd.nextInt(12)) {
                        case 0, 1, 2 -> assertEquals(model.put(k, v), m.put(k, v), "put " + k);
                        case 3 -> assertEquals(model.remove(k), m.remove(k), "remove " + k);
                        case 4 -> assertEquals((model.isEmpty() ? null : model.firstKey()), m.isEmpty() ? null : m.firstKey());
                        case 5 -> assertEquals(model.isEmpty() ? null : model.lastKey(), m.isEmpty() ? null : m.lastKey());
                        case 6 -> {
                            assertEquals(model.ceilingKey(k), m.ceilingKey(k));
                            assertEquals(model.floorKey(k), m.floorKey(k));
                            assertEquals(model.higherKey(k), m.higherKey(k));
                            assertEquals(model.lowerKey(k), m.lowerKey(k));
                        }
                        case 7 -> {
                            long to = k + rnd.nextInt(300);
                            assertEquals(new ArrayList<>(model.subMap(k, to).keySet()), m.keys(k, to), "range " + k + ".." + to);
                        }
                        case 8 -> {
                            boolean abort = rnd.nextBoolean();
                            long a = rnd.nextInt(700);
                            long b = rnd.nextInt(700);
                            PersistentSortedMap<Long, String> mm = m;
                            try {
                                s.inTransaction(tx -> {
                                    mm.put(a, "t");
                                    mm.remove(b);
                                    if (abort) {
                                        throw new IllegalStateException("abort");
                                    }
                                });
                            } catch (IllegalStateException e) {
                                assertTrue(abort);
                            }
                            if (!abort) {
                                model.put(a, "t");
                                model.remove(b);
                            }
                        }
                        case 9 -> assertEquals(model.size(), m.size());
                        case 10 -> {
                            if (rnd.nextInt(20) == 0) {
                                s = reopen(p, s, rnd);
                                PersistentSortedMap<Long, String> r = s.sortedMap("s", Long.class, String.class);
                                assertEquals(new ArrayList<>(model.entrySet()), new ArrayList<>(r.entrySet()), "after reopen at op " + op);
                            }
                        }
                        default -> assertEquals(model.get(k), m.get(k), "get " + k);
                    }
                    if (op % 500 == 0) {
                        m.entrySet();
                    }
                    m = s.sortedMap("s", Long.class, String.class);
                }
                assertEquals(new ArrayList<>(model.entrySet()), new ArrayList<>(m.entrySet()));
                assertNull(Reachability.leaks(s), "no leak after the sorted-map workload");
                m.clear();
                assertNull(Reachability.leaks(s));
                assertEquals(0, m.size());
                assertThrows(java.util.NoSuchElementException.class, m::firstKey, "firstKey of an empty map, as NavigableMap says");
            } finally {
                s.close();
            }
        }
    }

    @Test
    void listMatchesArrayList() {
        Random rnd = new Random(seed("ModelTest.list"));
        List<Integer> model = new ArrayList<>();
        try (TestPools p = new TestPools("model-list")) {
            Store s = p.create(TestPools.context());
            try {
                PersistentList<Integer> l = s.list("l", Integer.class);
                for (int op = 0; op < OPS; op++) {
                    int v = rnd.nextInt(1_000_000);
                    switch (rnd.nextInt(11)) {
                        case 0 -> {
                            l.addFirst(v);
                            model.addFirst(v);
                        }
                        case 1, 2 -> {
                            l.addLast(v);
                            model.addLast(v);
                        }
                        case 3 -> {
                            int i = rnd.nextInt(model.size() + 1);
                            l.add(i, v);
                            model.add(i, v);
                        }
                        case 4 -> assertEquals(model.isEmpty() ? null : model.removeFirst(), l.pollFirst());
                        case 5 -> assertEquals(model.isEmpty() ? null : model.removeLast(), l.pollLast());
                        case 6 -> {
                            if (!model.isEmpty()) {
                                int i = rnd.nextInt(model.size());
                                assertEquals(model.set(i, v), l.set(i, v));
                            }
                        }
                        case 7 -> {
                            if (!model.isEmpty()) {
                                int i = rnd.nextInt(model.size());
                                assertEquals(model.remove(i), l.remove(i));
                            }
                        }
                        case 8 -> {
                            if (!model.isEmpty()) {
                                int i = rnd.nextInt(model.size());
                                assertEquals(model.get(i), l.get(i));
                            }
                            assertEquals(model.isEmpty() ? null : model.getFirst(), l.peekFirst());
                            assertEquals(model.isEmpty() ? null : model.getLast(), l.peekLast());
                        }
                        case 9 -> {
                            if (rnd.nextInt(15) == 0) {
                                s = reopen(p, s, rnd);
                                l = s.list("l", Integer.class);
                                assertEquals(model, l.snapshot(), "after reopen at op " + op);
                            }
                        }
                        default -> assertEquals(model.size(), l.size());
                    }
                }
                assertEquals(model, l);
                assertEquals(model, l.snapshot());
                assertNull(Reachability.leaks(s), "no leak after the list workload");
                l.clear();
                assertNull(Reachability.leaks(s));
                assertTrue(l.isEmpty());
            } finally {
                s.close();
            }
        }
    }
    @Test
    void aBulkLoadInOneTransactionSplitsAsItGoes() {
        try (TestPools p = new TestPools("model-bulk")) {
            Store s = p.create(TestPools.context());
            try {
                PersistentMap<Long, String> m = s.map("bulk", Long.class, String.class);
                for (int batch = 0; batch < 4; batch++) {
                    long from = batch * 1500L;
                    s.inTransaction(tx -> {
                        for (long k = from; k < from + 1500; k++) {
                            m.set(k, "v" + k);
                        }
                    });
                }
                assertEquals(6000, m.size());
                assertTrue(m.bucketCount() >= 6000, "the table kept up with the load: " + m.bucketCount() + " buckets");
                s.heap().crashForTesting();
                s = p.open(TestPools.context());
                PersistentMap<Long, String> r = s.map("bulk", Long.class, String.class);
                assertTrue(r.bucketCount() >= 6000);
                for (long k = 0; k < 6000; k++) {
                    assertEquals("v" + k, r.get(k));
                }
                assertEquals(6000, r.entrySet().size());
                assertNull(Reachability.leaks(s), "no leak after bulk loads with many splits per transaction");
            } finally {
                s.close();
            }
        }
    }
}
