package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.pmlog.PmLog;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Checkpoints move past every record that is durable and applied, whatever other threads did
 * last: a thread that stayed idle while others filled the log must not hold the checkpoint back
 * when it commits again (its bound is what it can still write, not its last, long-reclaimed LSN).
 */
class CheckpointProgressTest {
    static final PType FILL = PType.builder("CFill").int64("n").bytes("pad", 4000).build();
    static final PField FILL_N = FILL.field("n");
    static final PField FILL_PAD = FILL.field("pad");

    @Test
    void anIdleThreadDoesNotStallCheckpointsWhenItCommitsAgain() throws Exception {
        try (Pools p = new Pools("idle-stall")) {
            HeapOptions o = Pools.options().logFullTimeout(Duration.ofSeconds(2));
            try (Heap h = Heap.create(p.path, Pools.SIZE, o)) {
                Ref fill = h.root(FILL);
                PmLog log = h.log();
                int big = 200_000;
                CountDownLatch registered = new CountDownLatch(1);
                CountDownLatch filled = new CountDownLatch(1);
                AtomicReference<Throwable> idleError = new AtomicReference<>();
                Thread idle = new Thread(() -> {
                    try {
                        try (Tx tx = h.begin()) { // registers this thread with the heap, then idles
                            tx.setLong(fill, FILL_N, -1);
                            tx.commit();
                        }
                        registered.countDown();
                        assertTrue(filled.await(30, TimeUnit.SECONDS));
                        try (Tx tx = h.begin()) { // a large commit into a log that has less room
                            tx.allocateBytes(new byte[big]);
                            tx.commit();
                        }
                    } catch (Throwable e) {
                        idleError.set(e);
                    }
                }, "idle committer");
                idle.start();
                try {
                    assertTrue(registered.await(30, TimeUnit.SECONDS));
                    // another thread fills the log (its own full-log checkpoints reclaim as it goes)
                    // until less room is left than the idle thread's next record needs
                    int commits = 0;
                    byte[] pad = new byte[4000];
                    while (log.tailLsn() - log.headLsn() <= log.capacity() - big && commits < 10_000) {
                        try (Tx tx = h.begin()) {
                            pad[commits % pad.length]++;
                            tx.setBytes(fill, FILL_PAD, pad);
                            tx.setLong(fill, FILL_N, commits);
                            tx.commit();
                        }
                        commits++;
                    }
                    assertTrue(log.tailLsn() - log.headLsn() > log.capacity() - big, "the log holds less room than " + big);
                    filled.countDown();
                    idle.join(30_000);
                    assertFalse(idle.isAlive());
                    assertNull(idleError.get(), () -> "the idle thread's commit failed: " + idleError.get());
                    for (int i = 0; i < 200; i++) { // and the filling thread goes on
                        try (Tx tx = h.begin()) {
                            tx.setBytes(fill, FILL_PAD, pad);
                            tx.commit();
                        }
                    }
                    System.out.println("checkpoint progress: " + commits + " commits filled the log, then an idle thread"
                            + " committed " + big + " bytes; checkpoint LSN " + h.stats().checkpointLsn());
                } finally {
                    filled.countDown();
                    idle.join(30_000);
                }
            }
        }
    }
}
