package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An empty slab left by an ended thread is retired exactly once, however many threads reap ended
 * threads at the same time (a checkpoint and any allocation that hits a full heap both reap). A
 * second retirement of a slab that another thread took meanwhile would zero a live slab's header
 * and table entry, and free its index while objects live in it.
 */
class SlabRetirementTest {
    static final PType SCRATCH = PType.builder("RScratch").int64("v").build();
    static final PType KEEP = PType.builder("RKeep").int64("key").pointer("next", "RKeep").bytes("pad", 2000).build();
    static final PField KEY = KEEP.field("key");
    static final PField NEXT = KEEP.field("next");
    static final PType ROOT = PType.builder("RRoot").pointer("head", "RKeep").int64("n").build();
    static final PField HEAD = ROOT.field("head");
    static final PField N = ROOT.field("n");

    @Test
    void concurrentReapersRetireAnEmptySlabOnce() throws Exception {
        int maxIterations = 300;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        try (Pools p = new Pools("retire-once")) {
            long committed = 0;
            int iterations = 0;
            try (Heap h = p.create()) {
                Ref root = h.root(ROOT);
                for (; iterations < maxIterations && System.nanoTime() - deadline < 0; iterations++) {
                    // a thread that empties its current slab and ends: that slab waits to be retired
                    Thread scratch = new Thread(() -> {
                        Ref s;
                        try (Tx tx = h.begin()) {
                            s = tx.allocate(SCRATCH);
                            tx.commit();
                        }
                        try (Tx tx = h.begin()) {
                            tx.free(s);
                            tx.commit();
                        }
                    });
                    scratch.start();
                    scratch.join();
                    // two reapers at once, and a thread that takes fresh slabs (a freed index is reused)
                    CyclicBarrier start = new CyclicBarrier(3);
                    List<Throwable> errors = new ArrayList<>();
                    long base = committed;
                    Runnable reaper = () -> {
                        await(start);
                        h.reapDeadThreads();
                        try (Tx tx = h.begin()) { // begin gives queued slabs back
                            tx.commit();
                        }
                    };
                    Runnable keeper = () -> {
                        await(start);
                        for (int i = 0; i < 4; i++) {
                            try (Tx tx = h.begin()) {
                                Ref k = tx.allocate(KEEP);
                                tx.setLong(k, KEY, base + i);
                                tx.setRef(k, NEXT, tx.getRef(root, HEAD));
                                tx.setRef(root, HEAD, k);
                                tx.setLong(root, N, tx.getLong(root, N) + 1);
                                tx.commit();
                            }
                        }
                    };
                    Thread[] ts = {new Thread(reaper), new Thread(reaper), new Thread(keeper)};
                    for (Thread t : ts) {
                        t.setUncaughtExceptionHandler((t0, e) -> {
                            synchronized (errors) {
                                errors.add(e);
                            }
                        });
                        t.start();
                    }
                    for (Thread t : ts) {
                        t.join();
                    }
                    assertEquals(List.of(), errors, "iteration " + iterations);
                    committed += 4;
                    HeapStats st = h.stats();
                    assertEquals(st.totalSlabs(), st.freeSlabs() + st.slabsInUse(), "iteration " + iterations
                            + ": free slabs + slabs in use must be all slabs (a slab retired twice counts as free twice): " + st);
                    assertAllKept(h, committed);
                }
            }
            try (Heap h = p.open()) {
                assertAllKept(h, committed);
                HeapStats st = h.stats();
                assertEquals(st.totalSlabs(), st.freeSlabs() + st.slabsInUse(), st.toString());
                assertTrue(h.verifyPointers().isClean(), "no pointer to a freed object after reopen");
            }
            System.out.println("slab retirement: " + iterations + " iterations of two concurrent reapers, " + committed
                    + " committed objects checked after reopen");
        }
    }

    /** Every committed object is in the list, allocated, with its key. */
    private static void assertAllKept(Heap h, long committed) {
        Ref root = h.root(ROOT);
        assertEquals(committed, h.getLong(root, N));
        long count = 0;
        for (Ref k = h.getRef(root, HEAD); k != null && count <= committed; k = h.getRef(k, NEXT)) {
            assertTrue(h.isAllocated(k), "committed object " + k + " (key " + h.getLong(k, KEY) + ") is not allocated");
            count++;
        }
        assertEquals(committed, count);
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
