package io.ferrite.pmlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The tailing reader: bounded polls of durable records, and waiting for the durable LSN without spinning. */
class LogTailingReaderTest {
    private static final int APPENDERS = 2;
    private static final int RECORDS_PER_APPENDER = 3_000;
    private static final long BOUND_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final TestFiles files = new TestFiles();

    @AfterEach
    void cleanUp() {
        files.close();
    }

    private static int lengthOf(int seq) {
        return 8 + (seq * 37) % 200;
    }

    @Test
    void tailingReaderSeesEveryRecordOnceInOrderAndOnlyDurableOnes() throws Exception {
        // A 64 KiB ring that the reader reclaims behind itself: the appenders wrap it many times
        // (padding records included) and wait for space when the reader falls behind.
        try (PmLog log = PmLog.create(files.file("tail.log"), 64 * 1024, PmLogOptions.defaults())) {
            LogReader reader = log.reader();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> appenders = new ArrayList<>();
            for (int t = 0; t < APPENDERS; t++) {
                int stream = t;
                Thread a = new Thread(() -> {
                    try {
                        start.await();
                        for (int seq = 0; seq < RECORDS_PER_APPENDER; seq++) {
                            byte[] p = TestFiles.payload(stream, seq, lengthOf(seq));
                            if (seq % 3 == 0) {
                                log.awaitDurable(log.appendAsync(p, (short) 5));
                            } else {
                                log.append(p, (short) 5);
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "appender-" + t);
                a.start();
                appenders.add(a);
            }
            int[] nextSeq = new int[APPENDERS];
            long[] lastLsn = {-1};
            long[] delivered = {0};
            long[] polls = {0};
            long[] waits = {0};
            RecordHandler check = (lsn, type, seg, off, len) -> {
                assertTrue(lsn < log.durableLsn(), "delivered lsn=" + lsn + " not below durable=" + log.durableLsn());
                assertTrue(lsn > lastLsn[0], "lsn=" + lsn + " after " + lastLsn[0]);
                lastLsn[0] = lsn;
                byte[] b = seg.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE);
                int stream = (b[0] & 0xFF) | (b[1] & 0xFF) << 8 | (b[2] & 0xFF) << 16 | (b[3] & 0xFF) << 24;
                int seq = (b[4] & 0xFF) | (b[5] & 0xFF) << 8 | (b[6] & 0xFF) << 16 | (b[7] & 0xFF) << 24;
                assertEquals(nextSeq[stream], seq, "stream " + stream + " at lsn=" + lsn + ": each record once, in order");
                assertArrayEquals(TestFiles.payload(stream, seq, lengthOf(seq)), b, "payload at lsn=" + lsn);
                nextSeq[stream]++;
                delivered[0]++;
                return true;
            };
            start.countDown();
            long next = 0;
            long deadline = System.nanoTime() + BOUND_NANOS;
            while (delivered[0] < (long) APPENDERS * RECORDS_PER_APPENDER) {
                if (failure.get() != null) {
                    fail("an appender failed", failure.get());
                }
                if (System.nanoTime() - deadline > 0) {
                    fail("tailing did not finish within the bound: delivered " + delivered[0] + ", next=" + next
                            + ", " + log.describe());
                }
                long after = reader.poll(next, check, 16);
                polls[0]++;
                if (after == next) {
                    waits[0]++;
                    reader.awaitDurable(next, 100, TimeUnit.MILLISECONDS);
                } else {
                    log.reclaim(after);
                }
                next = after;
            }
            for (Thread a : appenders) {
                a.join(TimeUnit.SECONDS.toMillis(60));
                assertFalse(a.isAlive(), a.getName() + " did not finish");
            }
            assertNull(failure.get());
            assertEquals(next, reader.poll(next, (lsn, type, seg, off, len) -> fail("nothing more"), 16));
            assertTrue(next > 2 * log.capacity(), "the ring wrapped: next=" + next);
            System.out.println("pmlog tailing: " + delivered[0] + " records from " + APPENDERS
                    + " appenders tailed once each in LSN order (" + polls[0] + " polls, " + waits[0]
                    + " waits, " + next / log.capacity() + " laps of the ring)");
        }
    }

    @Test
    void pollDeliversAtMostLimitRecordsAndReturnsWhereToGoOn() {
        try (PmLog log = PmLog.create(files.file("limit.log"), 64 * 1024, PmLogOptions.defaults())) {
            List<Long> lsns = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                lsns.add(log.append(TestFiles.payload(0, i, 40), (short) 3));
            }
            List<Long> seen = new ArrayList<>();
            RecordHandler h = (lsn, type, seg, off, len) -> seen.add(lsn);
            long next = log.reader().poll(0, h, 3);
            assertEquals(lsns.subList(0, 3), seen);
            assertEquals(lsns.get(3), next);
            next = log.reader().poll(next, h, 100);
            assertEquals(lsns, seen);
            assertEquals(log.durableLsn(), next);
            assertEquals(next, log.reader().poll(next, h, 1), "nothing durable beyond: poll returns where it was");
            // A record appended but not yet durable is not delivered.
            long async = log.appendAsync(TestFiles.payload(0, 99, 40), (short) 3);
            assertEquals(async, next);
            assertEquals(next, log.reader().poll(next, h, 5));
            log.awaitDurable(async);
            assertEquals(log.durableLsn(), log.reader().poll(next, h, 5));
            assertEquals(11, seen.size());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> log.reader().poll(0, h, 0));
            assertTrue(e.getMessage().contains("limit=0"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> log.reader().poll(log.durableLsn() + 64, h, 1));
            assertTrue(e.getMessage().contains("beyond the durable end"), e.getMessage());
        }
    }

    /** The waiter sleeps (parked on the condition), it does not spin. */
    private static void awaitSleeping(Thread waiter) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND_NANOS;
        while (waiter.getState() != Thread.State.TIMED_WAITING && System.nanoTime() - deadline < 0) {
            Thread.sleep(1);
        }
        assertEquals(Thread.State.TIMED_WAITING, waiter.getState());
    }

    @Test
    void awaitDurableSleepsUntilAnAppendMakesARecordDurable() throws Exception {
        try (PmLog log = PmLog.create(files.file("wait.log"), 64 * 1024, PmLogOptions.defaults())) {
            log.append(TestFiles.payload(0, 0, 16), (short) 1);
            long before = log.durableLsn();
            assertEquals(before, log.reader().awaitDurable(before - 1, 1, TimeUnit.HOURS), "already durable: at once");
            assertEquals(before, log.reader().awaitDurable(before, 0, TimeUnit.SECONDS), "timeout 0: at once");
            AtomicLong woke = new AtomicLong(-1);
            Thread waiter = new Thread(() -> woke.set(log.reader().awaitDurable(before, 10, TimeUnit.MINUTES)), "waiter");
            waiter.start();
            try {
                awaitSleeping(waiter);
                assertEquals(-1, woke.get());
                long lsn = log.append(TestFiles.payload(0, 1, 16), (short) 1);
                waiter.join(TimeUnit.SECONDS.toMillis(60));
                assertFalse(waiter.isAlive(), "the append did not wake the waiter");
                assertEquals(lsn + LogRecordDescriptor.recordLength(16), woke.get(),
                        "woken by the append, with the durable LSN after it");
            } finally {
                waiter.interrupt();
                waiter.join(TimeUnit.SECONDS.toMillis(60));
            }
        }
    }

    @Test
    void awaitDurableReturnsWhenTheLogCloses() throws Exception {
        PmLog log = PmLog.create(files.file("close.log"), 64 * 1024, PmLogOptions.defaults());
        AtomicLong woke = new AtomicLong(-1);
        Thread waiter = new Thread(() -> woke.set(log.reader().awaitDurable(0, 10, TimeUnit.MINUTES)), "waiter");
        waiter.start();
        try {
            awaitSleeping(waiter);
            log.close();
            waiter.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(waiter.isAlive(), "close did not wake the waiter");
            assertEquals(0, woke.get());
        } finally {
            log.close();
            waiter.interrupt();
            waiter.join(TimeUnit.SECONDS.toMillis(60));
        }
    }
}
