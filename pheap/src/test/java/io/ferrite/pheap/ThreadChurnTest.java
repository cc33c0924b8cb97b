package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Threads that come and go (a pool of short-lived workers, a virtual thread per request) each take
 * a current slab per type on their first allocation. When a thread has ended, its partly used
 * slabs must serve the next threads before the heap reports itself full: many more short-lived
 * threads than the pool has slabs, each allocating one small object (and, in the second case,
 * freeing it again so that its slab ends up empty), must all succeed.
 */
class ThreadChurnTest {
    static final PType ITEM = PType.builder("ChurnItem").int64("key").pointer("next", "ChurnItem").build();
    static final PField KEY = ITEM.field("key");
    static final PField NEXT = ITEM.field("next");
    static final PType ROOT = PType.builder("ChurnRoot").pointer("head", "ChurnItem").int64("n").build();
    static final PField HEAD = ROOT.field("head");
    static final PField N = ROOT.field("n");

    @Test
    void endedThreadsGiveTheirPartlyUsedSlabsToTheNextOnes() throws Exception {
        try (Pools p = new Pools("churn-keep"); Heap h = p.create()) {
            int threads = (int) (3 * h.stats().totalSlabs());
            Ref root = h.root(ROOT);
            for (int i = 0; i < threads; i++) {
                long key = i;
                runThread(() -> {
                    try (Tx tx = h.begin()) {
                        Ref item = tx.allocate(ITEM);
                        tx.setLong(item, KEY, key);
                        tx.setRef(item, NEXT, tx.getRef(root, HEAD));
                        tx.setRef(root, HEAD, item);
                        tx.setLong(root, N, tx.getLong(root, N) + 1);
                        tx.commit();
                    }
                }, "keep " + i + " of " + threads);
            }
            assertEquals(threads, h.getLong(root, N));
            long seen = 0;
            for (Ref n = h.getRef(root, HEAD); n != null; n = h.getRef(n, NEXT)) {
                assertEquals(threads - 1 - seen, h.getLong(n, KEY));
                seen++;
            }
            assertEquals(threads, seen);
            System.out.printf("thread churn (partly used slabs): %d threads, one object each, %d slabs%n",
                    threads, h.stats().totalSlabs());
        }
    }

    @Test
    void endedThreadsEmptySlabsAreRetiredBeforeTheHeapIsFull() throws Exception {
        try (Pools p = new Pools("churn-empty"); Heap h = p.create()) {
            int threads = (int) (3 * h.stats().totalSlabs());
            for (int i = 0; i < threads; i++) {
                runThread(() -> {
                    Ref item;
                    try (Tx tx = h.begin()) {
                        item = tx.allocate(ITEM);
                        tx.commit();
                    }
                    try (Tx tx = h.begin()) {
                        tx.free(item);
                        tx.commit();
                    }
                }, "scratch " + i + " of " + threads);
            }
            assertEquals(0, h.stats().liveObjects());
            System.out.printf("thread churn (empty slabs): %d threads, %d slabs%n", threads, h.stats().totalSlabs());
        }
    }

    @Test
    void aGrowingPoolReusesTheSlabsOfEndedThreadsBeforeItGrows() throws Exception {
        try (Pools p = new Pools("churn-grow");
                Heap h = Heap.create(p.path, Pools.options().maxSize(64L << 20))) {
            long initial = h.poolSize();
            int threads = (int) (3 * h.stats().totalSlabs());
            for (int i = 0; i < threads; i++) {
                runThread(() -> {
                    try (Tx tx = h.begin()) {
                        tx.allocate(ITEM);
                        tx.commit();
                    }
                }, "grow " + i + " of " + threads);
            }
            assertEquals(initial, h.poolSize(), threads + " threads of one small object each grew the pool from "
                    + initial + " bytes (slabs of ended threads were left unused)");
            System.out.printf("thread churn (growing pool): %d threads, pool stayed at %d bytes%n", threads, initial);
        }
    }

    private static void runThread(Runnable body, String name) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, name);
        t.start();
        t.join(60_000);
        assertTrue(!t.isAlive(), name + " hangs");
        if (failure.get() != null) {
            throw new AssertionError(name + ": " + failure.get(), failure.get());
        }
    }
}
