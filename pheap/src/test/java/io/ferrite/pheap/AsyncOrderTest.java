package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/**
 * ASYNC changes when a commit is durable, not what later transactions see nor the order in which
 * commits take effect: a transaction that begins after an ASYNC commit returned sees it, and the
 * live heap, a clean close and crash recovery all end with the last committed value.
 */
class AsyncOrderTest {
    static final PType CELL = PType.builder("ACell").int64("x").build();
    static final PField X = CELL.field("x");

    @Test
    void aLaterTransactionSeesAnAsyncCommitAndRecoveryAgreesWithTheLiveHeap() throws Exception {
        for (boolean crash : new boolean[] {true, false}) {
            try (Pools p = new Pools("async-order")) {
                long seenByB;
                long direct;
                long live;
                try (Heap h = p.create()) {
                    Ref cell = h.root(CELL);
                    CountDownLatch committed = new CountDownLatch(1);
                    CountDownLatch done = new CountDownLatch(1);
                    Thread a = new Thread(() -> {
                        try (Tx tx = h.begin(Durability.ASYNC)) {
                            tx.setLong(cell, X, 1);
                            tx.commit();
                        }
                        committed.countDown();
                        try {
                            done.await(30, TimeUnit.SECONDS); // stays alive and begins nothing more
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }, "async committer");
                    a.start();
                    try {
                        assertTrue(committed.await(30, TimeUnit.SECONDS));
                        direct = h.getLong(cell, X);
                        try (Tx tx = h.begin(Durability.SYNC)) { // begins after A's commit returned
                            seenByB = tx.getLong(cell, X);
                            tx.setLong(cell, X, seenByB + 1);
                            tx.commit();
                        }
                        h.checkpoint();
                        live = h.getLong(cell, X);
                    } finally {
                        done.countDown();
                        a.join(30_000);
                    }
                    if (crash) {
                        h.crash();
                    }
                }
                long recovered;
                try (Heap h = p.open()) {
                    recovered = h.getLong(h.root(CELL), X);
                }
                String what = (crash ? "crash" : "clean close") + ": a direct read after A's ASYNC commit read " + direct
                        + ", B read " + seenByB + ", live after the checkpoint " + live + ", reopened " + recovered;
                assertEquals(List.of(1L, 1L, 2L, 2L), List.of(direct, seenByB, live, recovered), what);
            }
        }
    }

    @Test
    void asyncAndSyncIncrementsUnderOneLockLoseNothing() throws Exception {
        int threads = 3;
        int perThread = 400;
        try (Pools p = new Pools("async-incr")) {
            long live;
            try (Heap h = p.create()) {
                Ref cell = h.root(CELL);
                ReentrantLock isolation = new ReentrantLock(); // the caller's isolation, as the docs ask
                List<Throwable> errors = new ArrayList<>();
                Thread[] ts = new Thread[threads];
                for (int t = 0; t < threads; t++) {
                    ts[t] = new Thread(() -> {
                        for (int i = 0; i < perThread; i++) {
                            Durability d = ThreadLocalRandom.current().nextInt(3) == 0 ? Durability.SYNC : Durability.ASYNC;
                            isolation.lock();
                            try (Tx tx = h.begin(d)) {
                                tx.setLong(cell, X, tx.getLong(cell, X) + 1);
                                tx.commit();
                            } finally {
                                isolation.unlock();
                            }
                            if (i % 50 == 0) {
                                h.checkpoint();
                            }
                        }
                    });
                    ts[t].setUncaughtExceptionHandler((t0, e) -> {
                        synchronized (errors) {
                            errors.add(e);
                        }
                    });
                    ts[t].start();
                }
                for (Thread t : ts) {
                    t.join(60_000);
                }
                assertEquals(List.of(), errors);
                try (Tx tx = h.begin(Durability.SYNC)) { // a last SYNC commit makes every earlier one durable
                    tx.setLong(cell, X, tx.getLong(cell, X));
                    tx.commit();
                }
                live = h.getLong(cell, X);
                assertEquals((long) threads * perThread, live, "increments lost: a transaction read before an earlier ASYNC commit was applied");
                h.checkpoint();
                assertEquals(live, h.getLong(cell, X), "a checkpoint applied an earlier ASYNC record over a later commit");
                h.crash();
            }
            try (Heap h = p.open()) {
                assertEquals(live, h.getLong(h.root(CELL), X), "recovery disagrees with the live heap");
            }
            System.out.println("async order: " + threads * perThread + " increments (SYNC and ASYNC mixed) checked live and after recovery");
        }
    }
}
