package io.ferrite.store;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.junit.jupiter.api.Test;

/**
 * {@link PersistentMap} against {@link ConcurrentHashMap}, operation by operation over seeded
 * random sequences: the {@link ConcurrentMap} operations, the key/value/entry views and their
 * iterators ({@code remove}, {@code setValue}), {@code equals}/{@code hashCode}, and the
 * exceptions thrown (null keys, values and functions). Each step's outcome must be the JDK's.
 */
class MapContractTest {
    static final int OPS = Integer.getInteger("ferrite.store.contractOps", 3000);

    @Test
    void matchesConcurrentHashMap() {
        long seed = ModelTest.seed("MapContractTest");
        Random rnd = new Random(seed);
        Differ d = new Differ("MapContractTest");
        try (TestPools p = new TestPools("contract-map"); Store s = p.create(TestPools.context())) {
            PersistentMap<Integer, String> pm = s.map("m", Integer.class, String.class);
            ConcurrentMap<Integer, String> st = pm;
            ConcurrentHashMap<Integer, String> j = new ConcurrentHashMap<>();
            for (int op = 0; op < OPS; op++) {
                Integer k = rnd.nextInt(12) == 0 ? null : rnd.nextInt(60);
                String val = rnd.nextInt(15) == 0 ? null : "v" + rnd.nextInt(5);
                String at = "op " + op + " key " + k + " value " + val + " seed " + seed;
                switch (rnd.nextInt(24)) {
                    case 0, 1, 2 -> d.same("put " + at, () -> j.put(k, val), () -> st.put(k, val));
                    case 3 -> d.same("get " + at, () -> j.get(k), () -> st.get(k));
                    case 4 -> d.same("remove " + at, () -> j.remove(k), () -> st.remove(k));
                    case 5 -> d.same("containsKey " + at, () -> j.containsKey(k), () -> st.containsKey(k));
                    case 6 -> d.same("putIfAbsent " + at, () -> j.putIfAbsent(k, val), () -> st.putIfAbsent(k, val));
                    case 7 -> d.same("replace " + at, () -> j.replace(k, val), () -> st.replace(k, val));
                    case 8 -> d.same("replace3 " + at, () -> j.replace(k, "v1", val), () -> st.replace(k, "v1", val));
                    case 9 -> d.same("remove2 " + at, () -> j.remove(k, val), () -> st.remove(k, val));
                    case 10 -> {
                        boolean nullFn = rnd.nextInt(10) == 0;
                        d.same("merge " + at, () -> j.merge(k, val, nullFn ? null : (a, b) -> a.length() > 6 ? null : a + b),
                                () -> st.merge(k, val, nullFn ? null : (a, b) -> a.length() > 6 ? null : a + b));
                    }
                    case 11 -> d.same("compute " + at, () -> j.compute(k, (x, a) -> a == null ? "c" : null), () -> st.compute(k, (x, a) -> a == null ? "c" : null));
                    case 12 -> d.same("computeIfAbsent " + at, () -> j.computeIfAbsent(k, x -> x % 3 == 0 ? null : "a"),
                            () -> st.computeIfAbsent(k, x -> x % 3 == 0 ? null : "a"));
                    case 13 -> d.same("computeIfPresent " + at, () -> j.computeIfPresent(k, (x, a) -> a.length() > 4 ? null : a + "!"),
                            () -> st.computeIfPresent(k, (x, a) -> a.length() > 4 ? null : a + "!"));
                    case 14 -> {
                        d.same("size " + at, j::size, st::size);
                        d.same("isEmpty " + at, j::isEmpty, st::isEmpty);
                        d.same("hashCode " + at, j::hashCode, st::hashCode);
                        d.same("equals " + at, () -> j.equals(st), () -> st.equals(j));
                        d.same("equals HashMap " + at, () -> new HashMap<>(j), () -> new HashMap<>(st));
                    }
                    case 15 -> {
                        d.same("entrySet " + at, () -> new HashSet<>(j.entrySet()), () -> new HashSet<>(st.entrySet()));
                        d.same("keySet " + at, () -> new HashSet<>(j.keySet()), () -> new HashSet<>(st.keySet()));
                        d.same("values " + at, () -> new HashSet<>(j.values()), () -> new HashSet<>(st.values()));
                        d.same("values.size " + at, () -> j.values().size(), () -> st.values().size());
                    }
                    case 16 -> d.same("containsValue " + at, () -> j.containsValue(val), () -> st.containsValue(val));
                    case 17 -> {
                        // iterator remove: remove the entries with an even key, through each map's own iterator
                        d.same("iterator.remove " + at, () -> removeEven(j), () -> removeEven(st));
                    }
                    case 18 -> {
                        // setValue writes through, on both maps
                        d.same("setValue " + at, () -> setValues(j), () -> setValues(st));
                    }
                    case 19 -> d.same("keySet.remove " + at, () -> j.keySet().remove(k), () -> st.keySet().remove(k));
                    case 20 -> d.same("entrySet.contains/remove " + at, () -> List2.of(j.entrySet().contains(Map.entry(7, "v1")),
                            j.entrySet().remove(Map.entry(7, "v1"))), () -> List2.of(st.entrySet().contains(Map.entry(7, "v1")),
                            st.entrySet().remove(Map.entry(7, "v1"))));
                    case 21 -> d.same("replaceAll " + at, () -> {
                        j.replaceAll((x, a) -> a.length() > 5 ? "r" : a + "r");
                        return new HashMap<>(j);
                    }, () -> {
                        st.replaceAll((x, a) -> a.length() > 5 ? "r" : a + "r");
                        return new HashMap<>(st);
                    });
                    case 22 -> d.same("getOrDefault " + at, () -> j.getOrDefault(k, "d"), () -> st.getOrDefault(k, "d"));
                    default -> {
                        if (rnd.nextInt(10) == 0) {
                            d.same("clear " + at, () -> {
                                j.clear();
                                return j.size();
                            }, () -> {
                                st.clear();
                                return st.size();
                            });
                        }
                    }
                }
            }
            assertEquals(new HashMap<>(j), new HashMap<>(pm));
            Map<Integer, String> one = new ConcurrentHashMap<>(Map.of(1, "a"));
            pm.clear();
            pm.put(1, "a");
            assertEquals(one.toString(), pm.toString(), "toString as java.util: {k=v}");
            d.print(OPS);
        }
    }

    /** The two-element outcome of contains-then-remove. */
    private static final class List2 {
        static java.util.List<Boolean> of(boolean a, boolean b) {
            return java.util.List.of(a, b);
        }
    }

    private static HashSet<Integer> removeEven(Map<Integer, String> m) {
        HashSet<Integer> removed = new HashSet<>();
        for (var it = m.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, String> e = it.next();
            if (e.getKey() % 2 == 0 && e.getKey() % 5 == 0) {
                it.remove();
                removed.add(e.getKey());
            }
        }
        return removed;
    }

    private static HashMap<Integer, String> setValues(Map<Integer, String> m) {
        for (Map.Entry<Integer, String> e : m.entrySet()) {
            if (e.getKey() % 7 == 0) {
                e.setValue("set" + e.getKey());
            }
        }
        return new HashMap<>(m);
    }
}
