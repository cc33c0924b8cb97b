package io.ferrite.store;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Random;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.junit.jupiter.api.Test;

/**
 * {@link PersistentSortedMap} against {@link ConcurrentSkipListMap}, operation by operation over
 * seeded random sequences: the map and its views (sub, head, tail, descending, and views of
 * views), navigation, polling, key sets, iterators with {@code remove} and {@code setValue},
 * {@code equals}/{@code hashCode}/{@code toString}, and the exceptions thrown (nulls, keys out of a
 * view's range, empty maps). Each step's outcome must be the JDK's.
 */
class SortedMapContractTest {
    static final int OPS = Integer.getInteger("ferrite.store.contractOps", 3000);

    private static final class Pair {
        final String name;
        final ConcurrentNavigableMap<Integer, String> jdk;
        final ConcurrentNavigableMap<Integer, String> store;

        Pair(String name, ConcurrentNavigableMap<Integer, String> jdk, ConcurrentNavigableMap<Integer, String> store) {
            this.name = name;
            this.jdk = jdk;
            this.store = store;
        }
    }

    @Test
    void matchesConcurrentSkipListMap() {
        long seed = ModelTest.seed("SortedMapContractTest");
        Random rnd = new Random(seed);
        Differ d = new Differ("SortedMapContractTest");
        try (TestPools p = new TestPools("contract-sorted"); Store s = p.create(TestPools.context())) {
            PersistentSortedMap<Integer, String> sm = s.sortedMap("sm", Integer.class, String.class);
            ConcurrentSkipListMap<Integer, String> model = new ConcurrentSkipListMap<>();
            assertNull(sm.comparator(), "natural order: comparator() is null, as SortedMap says");
            List<Pair> views = new ArrayList<>();
            views.add(new Pair("map", model, sm));
            views.add(new Pair("subMap[10,30)", model.subMap(10, true, 30, false), sm.subMap(10, true, 30, false)));
            views.add(new Pair("headMap(..20]", model.headMap(20, true), sm.headMap(20, true)));
            views.add(new Pair("tailMap(15..)", model.tailMap(15, false), sm.tailMap(15, false)));
            views.add(new Pair("descendingMap", model.descendingMap(), sm.descendingMap()));
            views.add(new Pair("descending.subMap[30,5)", model.descendingMap().subMap(30, true, 5, false),
                    sm.descendingMap().subMap(30, true, 5, false)));
            views.add(new Pair("subMap[10,30).descending.headMap(12]", model.subMap(10, 30).descendingMap().headMap(12, true),
                    sm.subMap(10, 30).descendingMap().headMap(12, true)));
            for (int op = 0; op < OPS; op++) {
                Pair v = views.get(rnd.nextInt(views.size()));
                step(d, rnd, v, op);
                if (op % 97 == 0) {
                    assertEquals(new ArrayList<>(model.entrySet()), new ArrayList<>(sm.entrySet()), "whole map after op " + op + " seed " + seed);
                }
            }
            assertEquals(model, sm);
            d.print(OPS);
        }
    }

    private static void step(Differ d, Random rnd, Pair v, int op) {
        ConcurrentNavigableMap<Integer, String> j = v.jdk;
        ConcurrentNavigableMap<Integer, String> st = v.store;
        Integer k = rnd.nextInt(10) == 0 ? null : rnd.nextInt(45) - 2;
        String val = "v" + rnd.nextInt(5);
        String at = v.name + " op " + op + " key " + k;
        switch (rnd.nextInt(34)) {
            case 0, 1, 2 -> d.same("put " + at, () -> j.put(k, val), () -> st.put(k, val));
            case 3 -> d.same("get " + at, () -> j.get(k), () -> st.get(k));
            case 4 -> d.same("remove " + at, () -> j.remove(k), () -> st.remove(k));
            case 5 -> d.same("containsKey " + at, () -> j.containsKey(k), () -> st.containsKey(k));
            case 6 -> d.same("putIfAbsent " + at, () -> j.putIfAbsent(k, val), () -> st.putIfAbsent(k, val));
            case 7 -> d.same("replace " + at, () -> j.replace(k, val), () -> st.replace(k, val));
            case 8 -> d.same("replace3 " + at, () -> j.replace(k, "v0", val), () -> st.replace(k, "v0", val));
            case 9 -> d.same("remove2 " + at, () -> j.remove(k, val), () -> st.remove(k, val));
            case 10 -> d.same("merge " + at, () -> j.merge(k, val, (a, b) -> a.length() > 6 ? null : a + b),
                    () -> st.merge(k, val, (a, b) -> a.length() > 6 ? null : a + b));
            case 11 -> d.same("compute " + at, () -> j.compute(k, (x, a) -> a == null ? val : null), () -> st.compute(k, (x, a) -> a == null ? val : null));
            case 12 -> d.same("computeIfAbsent " + at, () -> j.computeIfAbsent(k, x -> val), () -> st.computeIfAbsent(k, x -> val));
            case 13 -> d.same("computeIfPresent " + at, () -> j.computeIfPresent(k, (x, a) -> a + "!"), () -> st.computeIfPresent(k, (x, a) -> a + "!"));
            case 14 -> {
                d.same("firstEntry " + at, j::firstEntry, st::firstEntry);
                d.same("lastEntry " + at, j::lastEntry, st::lastEntry);
                d.same("firstKey " + at, j::firstKey, st::firstKey);
                d.same("lastKey " + at, j::lastKey, st::lastKey);
            }
            case 15 -> {
                d.same("ceilingEntry " + at, () -> j.ceilingEntry(k), () -> st.ceilingEntry(k));
                d.same("floorEntry " + at, () -> j.floorEntry(k), () -> st.floorEntry(k));
                d.same("higherEntry " + at, () -> j.higherEntry(k), () -> st.higherEntry(k));
                d.same("lowerEntry " + at, () -> j.lowerEntry(k), () -> st.lowerEntry(k));
            }
            case 16 -> {
                d.same("ceilingKey " + at, () -> j.ceilingKey(k), () -> st.ceilingKey(k));
                d.same("floorKey " + at, () -> j.floorKey(k), () -> st.floorKey(k));
                d.same("higherKey " + at, () -> j.higherKey(k), () -> st.higherKey(k));
                d.same("lowerKey " + at, () -> j.lowerKey(k), () -> st.lowerKey(k));
            }
            case 17 -> d.same("pollFirstEntry " + at, j::pollFirstEntry, st::pollFirstEntry);
            case 18 -> d.same("pollLastEntry " + at, j::pollLastEntry, st::pollLastEntry);
            case 19 -> {
                d.same("size " + at, j::size, st::size);
                d.same("isEmpty " + at, j::isEmpty, st::isEmpty);
                d.same("toString " + at, j::toString, st::toString);
                d.same("hashCode " + at, j::hashCode, st::hashCode);
                d.same("equals " + at, () -> j.equals(st), () -> st.equals(j));
            }
            case 20 -> {
                d.same("entries " + at, () -> new ArrayList<>(j.entrySet()), () -> new ArrayList<>(st.entrySet()));
                d.same("keys " + at, () -> new ArrayList<>(j.keySet()), () -> new ArrayList<>(st.keySet()));
                d.same("values " + at, () -> new ArrayList<>(j.values()), () -> new ArrayList<>(st.values()));
                d.same("descendingKeySet " + at, () -> new ArrayList<>(j.descendingKeySet()), () -> new ArrayList<>(st.descendingKeySet()));
            }
            case 21 -> {
                // a view of this view with random bounds: same keys, or the same exception
                Integer a = rnd.nextInt(45) - 2;
                Integer b = rnd.nextInt(45) - 2;
                boolean ai = rnd.nextBoolean();
                boolean bi = rnd.nextBoolean();
                d.same("subMap(" + a + "," + ai + "," + b + "," + bi + ") " + at, () -> new ArrayList<>(j.subMap(a, ai, b, bi).entrySet()),
                        () -> new ArrayList<>(st.subMap(a, ai, b, bi).entrySet()));
                d.same("headMap(" + b + "," + bi + ") " + at, () -> new ArrayList<>(j.headMap(b, bi).keySet()), () -> new ArrayList<>(st.headMap(b, bi).keySet()));
                d.same("tailMap(" + a + "," + ai + ") " + at, () -> new ArrayList<>(j.tailMap(a, ai).keySet()), () -> new ArrayList<>(st.tailMap(a, ai).keySet()));
                d.same("subMap.put(" + a + ") " + at, () -> j.subMap(a, true, b, true).put(a, val), () -> st.subMap(a, true, b, true).put(a, val));
                d.same("headMap(null) " + at, () -> j.headMap(null), () -> st.headMap(null));
            }
            case 22 -> {
                // iterator remove of every other entry in part of the view
                int every = 2 + rnd.nextInt(3);
                d.same("iterator.remove " + at, () -> removeEvery(j.entrySet().iterator(), every), () -> removeEvery(st.entrySet().iterator(), every));
                d.same("keySet.iterator.remove " + at, () -> removeEvery(j.keySet().iterator(), every + 3),
                        () -> removeEvery(st.keySet().iterator(), every + 3));
            }
            case 23 -> {
                // setValue writes through on the store's entries (the skip-list map's iterator entries are immutable: do it with put)
                for (Map.Entry<Integer, String> e : st.entrySet()) {
                    if (rnd.nextInt(4) == 0) {
                        String nv = e.getValue() + "s";
                        assertEquals(j.get(e.getKey()), e.setValue(nv), "setValue returns the old value, " + at);
                        j.put(e.getKey(), nv);
                        assertEquals(nv, st.get(e.getKey()), "setValue wrote through, " + at);
                        d.checks++;
                    }
                }
            }
            case 24 -> {
                NavigableSet<Integer> jk = j.navigableKeySet();
                NavigableSet<Integer> sk = st.navigableKeySet();
                d.same("keySet.ceiling " + at, () -> jk.ceiling(k), () -> sk.ceiling(k));
                d.same("keySet.first " + at, jk::first, sk::first);
                d.same("keySet.pollLast " + at, jk::pollLast, sk::pollLast);
                d.same("keySet.headSet " + at, () -> new ArrayList<>(jk.headSet(k)), () -> new ArrayList<>(sk.headSet(k)));
                d.same("keySet.descendingSet " + at, () -> new ArrayList<>(jk.descendingSet()), () -> new ArrayList<>(sk.descendingSet()));
                d.same("keySet.contains " + at, () -> jk.contains(k), () -> sk.contains(k));
                d.same("keySet.remove " + at, () -> jk.remove(k), () -> sk.remove(k));
                d.same("keySet.add " + at, () -> jk.add(3), () -> sk.add(3));
            }
            case 25 -> d.same("containsValue " + at, () -> j.containsValue(val), () -> st.containsValue(val));
            case 26 -> d.same("containsValue(null) " + at, () -> j.containsValue(null), () -> st.containsValue(null));
            case 27 -> d.same("merge null value " + at, () -> j.merge(5, null, (a, b) -> a), () -> st.merge(5, null, (a, b) -> a));
            case 28 -> d.same("merge null function " + at, () -> j.merge(5, val, null), () -> st.merge(5, val, null));
            case 29 -> d.same("put null value " + at, () -> j.put(5, null), () -> st.put(5, null));
            case 30 -> {
                if (rnd.nextInt(8) == 0) {
                    d.same("clear " + at, () -> {
                        j.clear();
                        return j.size();
                    }, () -> {
                        st.clear();
                        return st.size();
                    });
                }
            }
            case 31 -> d.same("replaceAll " + at, () -> {
                j.replaceAll((x, a) -> a.length() > 5 ? "r" : a + "r");
                return new ArrayList<>(j.entrySet());
            }, () -> {
                st.replaceAll((x, a) -> a.length() > 5 ? "r" : a + "r");
                return new ArrayList<>(st.entrySet());
            });
            case 32 -> d.same("getOrDefault " + at, () -> j.getOrDefault(k, "dflt"), () -> st.getOrDefault(k, "dflt"));
            default -> d.same("comparator " + at, () -> j.comparator() == null ? "natural" : List.of(j.comparator().compare(1, 2)),
                    () -> st.comparator() == null ? "natural" : List.of(st.comparator().compare(1, 2)));
        }
    }

    /** Walks {@code it}, removing every {@code every}-th element; returns what it removed. */
    static <T> List<T> removeEvery(Iterator<T> it, int every) {
        List<T> removed = new ArrayList<>();
        for (int i = 0; it.hasNext(); i++) {
            T t = it.next();
            if (i % every == 0) {
                it.remove();
                removed.add(t);
            }
        }
        return removed;
    }
}
