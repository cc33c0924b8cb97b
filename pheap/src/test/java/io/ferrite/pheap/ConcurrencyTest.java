package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;

/**
 * Threads commit concurrently (per-thread lists, allocation and free, SYNC and ASYNC) while the
 * background checkpointer runs every few milliseconds; then the heap crashes and every SYNC
 * commit must be there, with no object allocated twice and none leaked.
 */
class ConcurrencyTest {
    static final PType NODE = PType.builder("TNode").int64("key").pointer("next", "TNode").build();
    static final PField KEY = NODE.field("key");
    static final PField NEXT = NODE.field("next");
    static final PType LIST = PType.builder("TList").pointer("head", "TNode").int64("n").build();
    static final PField HEAD = LIST.field("head");
    static final PField N = LIST.field("n");
    static final PType ROOT = PType.builder("TRoot").pointer("l0", "TList").pointer("l1", "TList").pointer("l2", "TList").build();

    @Test
    void concurrentCommitsWithBackgroundCheckpoints() throws Exception {
        int threads = 3;
        int perThread = 3000;
        try (Pools p = new Pools("conc")) {
            Heap h = Heap.create(p.path, Pools.SIZE, Pools.options().checkpointInterval(Duration.ofMillis(3)));
            Ref root = h.root(ROOT);
            Ref[] lists = new Ref[threads];
            try (Tx tx = h.begin()) {
                for (int t = 0; t < threads; t++) {
                    lists[t] = tx.allocate(LIST);
                    tx.setRef(root, ROOT.field("l" + t), lists[t]);
                }
                tx.commit();
            }
            Set<Long> offsets = ConcurrentHashMap.newKeySet();
            List<Throwable> errors = new ArrayList<>();
            CyclicBarrier start = new CyclicBarrier(threads);
            Thread[] ts = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                int id = t;
                ts[t] = new Thread(() -> {
                    try {
                        start.await();
                        Ref list = lists[id];
                        for (int i = 1; i <= perThread; i++) {
                            try (Tx tx = h.begin(i % 7 == 0 ? Durability.ASYNC : Durability.SYNC)) {
                                Ref head = tx.getRef(list, HEAD);
                                if (i % 10 == 0 && head != null && tx.getRef(head, NEXT) != null) {
                                    // pop the head
                                    tx.setRef(list, HEAD, tx.getRef(head, NEXT));
                                    tx.setLong(list, N, tx.getLong(list, N) - 1);
                                    tx.free(head);
                                    offsets.remove(head.offset());
                                } else {
                                    Ref n = tx.allocate(NODE);
                                    assertTrue(offsets.add(n.offset()), "allocated twice: " + n);
                                    tx.setLong(n, KEY, id * 1_000_000L + i);
                                    tx.setRef(n, NEXT, head);
                                    tx.setRef(list, HEAD, n);
                                    tx.setLong(list, N, tx.getLong(list, N) + 1);
                                }
                                tx.commit();
                            }
                        }
                        try (Tx tx = h.begin()) {
                            tx.commit();
                        }
                    } catch (Throwable e) {
                        synchronized (errors) {
                            errors.add(e);
                        }
                    }
                });
                ts[t].start();
            }
            for (Thread t : ts) {
                t.join();
            }
            assertEquals(List.of(), errors);
            assertTrue(h.stats().checkpoints() > 0);
            long live = h.stats().liveObjects();
            h.crashForTesting();
            try (Heap r = p.open()) {
                long total = 0;
                Set<Long> seen = new HashSet<>();
                for (int t = 0; t < threads; t++) {
                    Ref list = r.getRef(r.root(ROOT), ROOT.field("l" + t));
                    long n = r.getLong(list, N);
                    long count = 0;
                    for (Ref x = r.getRef(list, HEAD); x != null; x = r.getRef(x, NEXT)) {
                        assertTrue(r.isAllocated(x));
                        assertTrue(seen.add(x.offset()));
                        assertEquals(t, r.getLong(x, KEY) / 1_000_000L);
                        count++;
                    }
                    assertEquals(n, count, "list " + t);
                    total += count;
                }
                assertEquals(seen, offsets);
                assertEquals(1 + threads + total, r.stats().liveObjects(), "root + lists + nodes, nothing leaked");
                assertEquals(live, r.stats().liveObjects());
            }
        }
    }
}
