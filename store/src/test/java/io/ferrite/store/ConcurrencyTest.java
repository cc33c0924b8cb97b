package io.ferrite.store;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.store.LinearizabilityChecker.Kind;
import io.ferrite.store.LinearizabilityChecker.Op;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Several threads on one map: final state, no torn reads while buckets split under lock-free
 * readers, conserved totals under concurrent transfers, and small recorded histories checked for
 * linearizability.
 */
class ConcurrencyTest {
    static final int THREADS = 3;

    interface Body {
        void run(int thread) throws Exception;
    }

    static void runThreads(int n, Body body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int id = i;
            Thread t = new Thread(() -> {
                try {
                    body.run(id);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "store-test-" + i);
            ts.add(t);
            t.start();
        }
        for (Thread t : ts) {
            t.join(120_000);
            assertFalse(t.isAlive(), t.getName() + " did not finish");
        }
        if (failure.get() != null) {
            throw new AssertionError("a thread failed", failure.get());
        }
    }

    @Test
    void writersAndLockFreeReadersWhileBucketsSplit() throws Exception {
        try (TestPools p = new TestPools("conc-split"); Store s = p.create(TestPools.context())) {
            PersistentMap<String, String> m = s.map("m", String.class, String.class);
            int perThread = 3000;
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicLong reads = new AtomicLong();
            Thread reader = new Thread(() -> {
                Random rnd = new Random(7);
                while (writing.get()) {
                    String k = "t" + rnd.nextInt(THREADS) + "-" + rnd.nextInt(perThread);
                    String v = m.get(k);
                    if (v != null && !v.startsWith(k + "=")) {
                        throw new AssertionError("torn or foreign value for " + k + ": " + v);
                    }
                    reads.incrementAndGet();
                }
            });
            AtomicReference<Throwable> readerFailure = new AtomicReference<>();
            reader.setUncaughtExceptionHandler((t, e) -> readerFailure.set(e));
            reader.start();
            runThreads(THREADS, id -> {
                Random rnd = new Random(id);
                for (int i = 0; i < perThread; i++) {
                    String k = "t" + id + "-" + i;
                    m.put(k, k + "=" + i);
                    if (rnd.nextInt(4) == 0) {
                        String old = "t" + id + "-" + rnd.nextInt(i + 1);
                        m.remove(old);
                        m.put(old, old + "=again");
                    }
                }
            });
            writing.set(false);
            reader.join();
            assertNull(readerFailure.get(), () -> "reader failed: " + readerFailure.get());
            assertEquals(THREADS * perThread, m.size());
            for (int t = 0; t < THREADS; t++) {
                for (int i = 0; i < perThread; i++) {
                    String k = "t" + t + "-" + i;
                    String v = m.get(k);
                    assertTrue(v.equals(k + "=" + i) || v.equals(k + "=again"), k + " -> " + v);
                }
            }
            assertEquals(THREADS * perThread, m.entrySet().stream().count());
            System.out.println("ConcurrencyTest: " + reads.get() + " lock-free reads during " + THREADS * perThread + " inserts");
        }
    }

    @Test
    void concurrentTransfersConserveTheTotal() throws Exception {
        try (TestPools p = new TestPools("conc-transfer"); Store s = p.create(TestPools.context())) {
            PersistentMap<String, Long> acc = s.map("accounts", String.class, Long.class);
            int accounts = 20;
            for (int i = 0; i < accounts; i++) {
                acc.put("a" + i, 1000L);
            }
            runThreads(THREADS, id -> {
                Random rnd = new Random(100 + id);
                for (int i = 0; i < 400; i++) {
                    String from = "a" + rnd.nextInt(accounts);
                    String to = "a" + rnd.nextInt(accounts);
                    long amount = rnd.nextInt(50);
                    s.inTransaction(tx -> {
                        long f = acc.get(from);
                        if (f >= amount && !from.equals(to)) {
                            acc.put(from, f - amount);
                            acc.put(to, acc.get(to) + amount);
                        }
                    });
                }
            });
            long total = 0;
            for (long v : acc.values()) {
                assertTrue(v >= 0);
                total += v;
            }
            assertEquals(accounts * 1000L, total);
        }
        // and after a restart the total still holds (checked in the docs example too)
    }

    @Test
    void recordedHistoriesAreLinearizable() throws Exception {
        try (TestPools p = new TestPools("conc-lin"); Store s = p.create(TestPools.context())) {
            PersistentMap<String, String> m = s.map("lin", String.class, String.class);
            int rounds = 150;
            int opsPerThread = 5;
            List<Op> all = Collections.synchronizedList(new ArrayList<>());
            CyclicBarrier barrier = new CyclicBarrier(THREADS);
            Map<Integer, List<Op>> perRound = new ConcurrentHashMap<>();
            runThreads(THREADS, id -> {
                Random rnd = new Random(1000 + id);
                for (int r = 0; r < rounds; r++) {
                    barrier.await();
                    List<Op> mine = new ArrayList<>();
                    for (int i = 0; i < opsPerThread; i++) {
                        String k = "r" + r + "-k" + rnd.nextInt(2);
                        int what = rnd.nextInt(3);
                        String v = "v" + id + "." + i;
                        long t0 = System.nanoTime();
                        String res = switch (what) {
                            case 0 -> m.put(k, v);
                            case 1 -> m.get(k);
                            default -> m.remove(k);
                        };
                        long t1 = System.nanoTime();
                        mine.add(new Op(id, what == 0 ? Kind.PUT : what == 1 ? Kind.GET : Kind.REMOVE, k, what == 0 ? v : null, res, t0, t1));
                    }
                    perRound.computeIfAbsent(r, x -> Collections.synchronizedList(new ArrayList<>())).addAll(mine);
                    all.addAll(mine);
                }
            });
            int checked = 0;
            for (Map.Entry<Integer, List<Op>> e : perRound.entrySet()) {
                String bad = LinearizabilityChecker.check(e.getValue());
                assertNull(bad, "round " + e.getKey() + " is not linearizable: " + bad);
                checked++;
            }
            assertEquals(rounds, checked);
            assertEquals(rounds * THREADS * opsPerThread, all.size());
            // the checker itself rejects a history that is not linearizable
            List<Op> wrong = List.of(new Op(0, Kind.PUT, "k", "a", null, 0, 10), new Op(1, Kind.GET, "k", null, null, 20, 30));
            assertNotNull(LinearizabilityChecker.check(wrong));
            List<Op> fine = List.of(new Op(0, Kind.PUT, "k", "a", null, 0, 30), new Op(1, Kind.GET, "k", null, null, 10, 20));
            assertNull(LinearizabilityChecker.check(fine));
            Map<String, String> fin = new HashMap<>(m);
            assertEquals(fin.size(), m.size());
            System.out.println("ConcurrencyTest: " + checked + " histories of " + THREADS * opsPerThread + " operations are linearizable");
        }
    }
    @Test
    void transactionsLockingInOppositeOrderDoNotDeadlock() throws Exception {
        try (TestPools p = new TestPools("conc-deadlock"); Store s = p.create(TestPools.context())) {
            PersistentMap<String, Long> acc = s.map("accounts", String.class, Long.class);
            PersistentSortedMap<Long, String> log = s.sortedMap("log", Long.class, String.class);
            acc.put("a", 100L);
            acc.put("b", 100L);
            java.util.concurrent.CountDownLatch bothHoldOne = new java.util.concurrent.CountDownLatch(2);
            java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
            runThreads(2, id -> {
                String first = id == 0 ? "a" : "b";
                String second = id == 0 ? "b" : "a";
                s.inTransaction(tx -> {
                    attempts.incrementAndGet();
                    acc.put(first, acc.get(first) - 10);          // takes first's stripe
                    if (bothHoldOne.getCount() > 0) {
                        bothHoldOne.countDown();
                        try {
                            bothHoldOne.await(5, java.util.concurrent.TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    acc.put(second, acc.get(second) + 10);        // waits for the other's stripe
                    log.put((long) id, first + "->" + second);
                });
            });
            assertEquals(100L, acc.get("a"));
            assertEquals(100L, acc.get("b"));
            assertEquals(2, log.size());
            assertTrue(attempts.get() >= 2, "attempts " + attempts.get());
            System.out.println("ConcurrencyTest: opposite-order transactions finished after " + attempts.get() + " attempts");
        }
    }

    @Test
    void rangeScansDuringConcurrentWritesSeeStableKeysExactlyOnce() throws Exception {
        try (TestPools p = new TestPools("conc-scan"); Store s = p.create(TestPools.context())) {
            PersistentSortedMap<Long, String> m = s.sortedMap("m", Long.class, String.class);
            for (long k = 0; k < 2000; k += 2) {
                m.put(k, "stable");                                 // even keys stay throughout
            }
            AtomicBoolean scanning = new AtomicBoolean(true);
            Thread writer = new Thread(() -> {
                Random rnd = new Random(3);
                while (scanning.get()) {
                    long k = rnd.nextInt(1000) * 2L + 1;            // odd keys come and go
                    if (rnd.nextBoolean()) {
                        m.put(k, "churn");
                    } else {
                        m.remove(k);
                    }
                }
            });
            writer.start();
            try {
                for (int round = 0; round < 5; round++) {
                    long prev = -1;
                    int stable = 0;
                    for (Map.Entry<Long, String> e : m.range(null, null)) {
                        assertTrue(e.getKey() > prev, "keys in strictly increasing order");
                        prev = e.getKey();
                        if (e.getKey() % 2 == 0) {
                            assertEquals("stable", e.getValue());
                            stable++;
                        }
                    }
                    assertEquals(1000, stable, "every stable key exactly once");
                    int hashStable = 0;
                    for (Map.Entry<Long, String> e : m.entrySet()) {
                        hashStable += e.getKey() % 2 == 0 ? 1 : 0;
                    }
                    assertEquals(1000, hashStable);
                }
            } finally {
                scanning.set(false);
                writer.join();
            }
        }
    }

    @Test
    void hashMapIterationDuringConcurrentWritesSeesStableKeysExactlyOnce() throws Exception {
        try (TestPools p = new TestPools("conc-iter"); Store s = p.create(TestPools.context())) {
            PersistentMap<Long, Long> m = s.map("m", Long.class, Long.class);
            for (long k = 0; k < 3000; k += 2) {
                m.put(k, k);
            }
            AtomicBoolean iterating = new AtomicBoolean(true);
            Thread writer = new Thread(() -> {
                Random rnd = new Random(5);
                while (iterating.get()) {
                    long k = rnd.nextInt(4000) * 2L + 1;            // odd keys come and go, buckets split
                    if (rnd.nextInt(3) > 0) {
                        m.set(k, k);
                    } else {
                        m.delete(k);
                    }
                }
            });
            writer.start();
            try {
                for (int round = 0; round < 5; round++) {
                    java.util.Set<Long> seen = new java.util.HashSet<>();
                    for (Map.Entry<Long, Long> e : m.entrySet()) {
                        assertTrue(seen.add(e.getKey()), "key " + e.getKey() + " returned twice");
                        assertEquals(e.getKey(), e.getValue());
                    }
                    for (long k = 0; k < 3000; k += 2) {
                        assertTrue(seen.contains(k), "stable key " + k + " missed");
                    }
                }
            } finally {
                iterating.set(false);
                writer.join();
            }
        }
    }
    @Test
    void compoundOperationsAreAtomicOnBothMaps() throws Exception {
        try (TestPools p = new TestPools("conc-merge"); Store s = p.create(TestPools.context())) {
            PersistentMap<String, Long> hm = s.map("h", String.class, Long.class);
            PersistentSortedMap<String, Long> sm = s.sortedMap("s", String.class, Long.class);
            int perThread = 300;
            runThreads(THREADS, id -> {
                for (int i = 0; i < perThread; i++) {
                    String k = "counter-" + (i % 5);
                    hm.merge(k, 1L, Long::sum);
                    sm.compute(k, (kk, v) -> v == null ? 1L : v + 1);
                    hm.computeIfAbsent("first-" + (i % 7), kk -> (long) id);
                }
            });
            for (int c = 0; c < 5; c++) {
                assertEquals(THREADS * perThread / 5, hm.get("counter-" + c), "hash-map merges lost");
                assertEquals(THREADS * perThread / 5, sm.get("counter-" + c), "sorted-map computes lost");
            }
            assertEquals(5 + 7, hm.size());
            assertTrue(hm.replace("counter-0", (long) THREADS * perThread / 5, -1L));
            assertFalse(sm.remove("counter-1", 12345L));
            assertTrue(sm.remove("counter-1", (long) THREADS * perThread / 5));
            assertEquals(-1L, hm.get("counter-0"));
            assertNull(sm.get("counter-1"));
        }
    }
}
