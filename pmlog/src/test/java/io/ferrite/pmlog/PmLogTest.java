package io.ferrite.pmlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.media.Media;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PmLogTest {
    private final TestFiles files = new TestFiles();

    @AfterEach
    void cleanUp() {
        files.close();
    }

    /** One record as read back. */
    record Rec(long lsn, short type, byte[] payload) {
    }

    static List<Rec> readAll(PmLog log, long from) {
        List<Rec> out = new ArrayList<>();
        log.read(from, (lsn, type, seg, off, len) -> {
            out.add(new Rec(lsn, type, seg.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE)));
            return true;
        });
        return out;
    }

    @Test
    void appendAndReadBack() {
        try (PmLog log = PmLog.create(files.file("a.log"), 64 * 1024, PmLogOptions.defaults())) {
            assertEquals(0, log.headLsn());
            assertEquals(0, log.durableLsn());
            assertEquals(0, log.tailLsn());
            long l0 = log.append(TestFiles.payload(1, 0, 64), (short) 7);
            long l1 = log.append(new byte[0], (short) 8);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment s = a.allocate(100);
                s.copyFrom(MemorySegment.ofArray(TestFiles.payload(1, 2, 100)));
                long l2 = log.append(s, (short) 9);
                assertEquals(0, l0);
                assertEquals(LogRecordDescriptor.recordLength(64), l1);
                assertEquals(l1 + LogRecordDescriptor.recordLength(0), l2);
                assertEquals(l2 + LogRecordDescriptor.recordLength(100), log.durableLsn());
                assertEquals(log.durableLsn(), log.tailLsn());
            }
            List<Rec> recs = readAll(log, 0);
            assertEquals(3, recs.size());
            assertEquals(7, recs.get(0).type());
            assertArrayEquals(TestFiles.payload(1, 0, 64), recs.get(0).payload());
            assertEquals(0, recs.get(1).payload().length);
            assertArrayEquals(TestFiles.payload(1, 2, 100), recs.get(2).payload());
            // Reading from the middle, and stopping early.
            assertEquals(2, readAll(log, recs.get(1).lsn()).size());
            AtomicInteger seen = new AtomicInteger();
            long next = log.read(0, (lsn, type, seg, off, len) -> seen.incrementAndGet() < 1);
            assertEquals(1, seen.get());
            assertEquals(recs.get(1).lsn(), next);
            // The payload view is read-only.
            assertThrows(IllegalArgumentException.class, () -> log.read(0, (lsn, type, seg, off, len) -> {
                seg.set(ValueLayout.JAVA_BYTE, off, (byte) 1);
                return true;
            }));
        }
    }

    @Test
    void asyncAppendThenAwait() {
        try (PmLog log = PmLog.create(files.file("a.log"), 64 * 1024, PmLogOptions.defaults())) {
            long last = -1;
            for (int i = 0; i < 100; i++) {
                last = log.appendAsync(TestFiles.payload(2, i, i), (short) 1);
            }
            log.awaitDurable(last);
            assertTrue(log.durableLsn() > last);
            assertEquals(100, readAll(log, 0).size());
            long tail = log.tailLsn();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> log.awaitDurable(tail + 8));
            assertTrue(e.getMessage().contains("tail="), e.getMessage());
        }
    }

    @Test
    void wrapsAroundManyLapsWithReclaim() {
        Random rnd = new Random(7);
        long capacity = 4096;
        try (Media m = Media.inMemory(PmLog.regionLength(capacity));
             PmLog log = PmLog.format(m, 0, m.size(), PmLogOptions.defaults().fullPolicy(PmLogOptions.FullPolicy.FAIL))) {
            assertEquals(capacity / 2 - 24, log.maxRecordSize());
            List<byte[]> expected = new ArrayList<>();
            List<Long> lsns = new ArrayList<>();
            int reclaimedUpTo = 0;
            for (int i = 0; i < 3000; i++) {
                int len = rnd.nextInt(10) == 0 ? rnd.nextInt(log.maxRecordSize() + 1) : rnd.nextInt(200);
                byte[] p = TestFiles.payload(3, i, len);
                long lsn;
                try {
                    lsn = log.append(p, (short) (i & 0x7FFF));
                } catch (LogFullException full) {
                    // Verify everything retained, then reclaim all but the last few records.
                    List<Rec> recs = readAll(log, log.headLsn());
                    assertEquals(expected.size() - reclaimedUpTo, recs.size());
                    for (int k = 0; k < recs.size(); k++) {
                        assertEquals(lsns.get(reclaimedUpTo + k), recs.get(k).lsn());
                        assertArrayEquals(expected.get(reclaimedUpTo + k), recs.get(k).payload());
                    }
                    reclaimedUpTo = Math.max(reclaimedUpTo, expected.size() - 1);
                    log.reclaim(lsns.get(reclaimedUpTo));
                    assertEquals((long) lsns.get(reclaimedUpTo), log.headLsn());
                    try {
                        lsn = log.append(p, (short) (i & 0x7FFF));
                    } catch (LogFullException stillFull) {
                        reclaimedUpTo = expected.size();
                        log.reclaim(log.durableLsn());
                        lsn = log.append(p, (short) (i & 0x7FFF));
                    }
                }
                expected.add(p);
                lsns.add(lsn);
            }
            assertTrue(log.tailLsn() > 50 * capacity, "laps: " + log.tailLsn() / capacity);
            // Gap-free: each LSN is the previous one plus its length, padding and skips aside.
            for (int i = 1; i < lsns.size(); i++) {
                long prevEnd = lsns.get(i - 1) + LogRecordDescriptor.recordLength(expected.get(i - 1).length);
                long gap = lsns.get(i) - prevEnd;
                assertTrue(gap == 0 || (gap < LogRecordDescriptor.recordLength(expected.get(i).length)
                        && lsns.get(i) % capacity == 0), "gap " + gap + " before lsn " + lsns.get(i));
            }
        }
    }

    @Test
    void paddingAtTheRingEnd() {
        long cap = 2048;
        try (Media m = Media.inMemory(PmLog.regionLength(cap))) {
            try (PmLog log = PmLog.format(m, 0, m.size(), PmLogOptions.defaults().fullPolicy(PmLogOptions.FullPolicy.FAIL))) {
                assertEquals(1000, log.maxRecordSize());
                assertEquals(0, log.append(new byte[1000], (short) 1));     // [0, 1024)
                long b = log.append(new byte[992], (short) 1);              // [1024, 2048): 1016 bytes, one line padded
                assertEquals(1024, b);
                assertEquals(2048, log.durableLsn());
                assertEquals(2048, log.tailLsn());
                log.reclaim(b);
                long c = log.append(new byte[8], (short) 1);                // the next lap: [2048, 2112)
                assertEquals(2048, c);
                log.reclaim(c);
                long d = log.append(new byte[1000], (short) 1);             // [2112, 3136): 960 bytes left
                assertEquals(2112, d);
                assertEquals(List.of(2048L, 2112L), readAll(log, c).stream().map(Rec::lsn).toList());
                log.reclaim(log.durableLsn());                              // head 3136
                long e = log.append(new byte[1000], (short) 1);             // needs 1024: padding fills [3136, 4096)
                assertEquals(4096, e);
                assertEquals(List.of(4096L), readAll(log, 3136).stream().map(Rec::lsn).toList(),
                        "reading from a padding record's LSN skips it");
            }
            long pad = LogHeaderDescriptor.HEADER_LENGTH + 3136 % cap;
            assertEquals(LogRecordDescriptor.PADDING_TYPE, m.segment().get(LogRecordDescriptor.U16,
                    pad + LogRecordDescriptor.TYPE_OFFSET));
            assertEquals(cap - 3136 % cap - LogRecordDescriptor.HEADER_LENGTH,
                    m.segment().get(LogRecordDescriptor.U32, pad + LogRecordDescriptor.LENGTH_OFFSET));
            try (PmLog log = PmLog.open(m, 0, m.size(), PmLogOptions.defaults())) {
                RecoveryInfo info = log.recoveryInfo();
                assertEquals(3136, info.headLsn());
                assertEquals(1, info.records(), info.toString());
                assertEquals(4096 + 1024, info.tailLsn());
            }
        }
    }

    @Test
    void reclaimAndReadErrorsCarryTheValues() {
        try (PmLog log = PmLog.create(files.file("a.log"), 8192, PmLogOptions.defaults())) {
            long a = log.append(TestFiles.payload(4, 0, 40), (short) 1);
            long b = log.append(TestFiles.payload(4, 1, 40), (short) 1);
            long c = log.append(TestFiles.payload(4, 2, 40), (short) 1);
            log.reclaim(b);
            assertEquals(b, log.headLsn());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> log.read(a, (l, t, s, o, n) -> true));
            assertTrue(e.getMessage().contains("lsn=" + a) && e.getMessage().contains("head=" + b), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> log.read(b + 8, (l, t, s, o, n) -> true));
            assertTrue(e.getMessage().contains("not a record boundary"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> log.read(log.durableLsn() + 64, (l, t, s, o, n) -> true));
            assertTrue(e.getMessage().contains("durable="), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> log.reclaim(c + 8));
            assertTrue(e.getMessage().contains("not a record boundary"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> log.reclaim(log.durableLsn() + 8));
            assertTrue(e.getMessage().contains("durable="), e.getMessage());
            log.reclaim(a); // behind the head: nothing to do
            assertEquals(b, log.headLsn());
            assertEquals(2, readAll(log, b).size());
            log.reclaim(log.durableLsn());
            assertEquals(0, readAll(log, log.headLsn()).size());
        }
    }

    @Test
    void reopenRecoversEverythingAndBumpsTheEpoch() {
        var path = files.file("r.log");
        List<byte[]> written = new ArrayList<>();
        long tail;
        long head;
        try (PmLog log = PmLog.create(path, 16 * 1024, PmLogOptions.defaults())) {
            assertEquals(1, log.epoch());
            for (int i = 0; i < 200; i++) {
                byte[] p = TestFiles.payload(5, i, i % 90);
                long lsn = log.append(p, (short) 2);
                written.add(p);
                if (i == 150) {
                    log.reclaim(lsn);
                }
            }
            tail = log.tailLsn();
            head = log.headLsn();
        }
        try (PmLog log = PmLog.open(path, PmLogOptions.defaults())) {
            RecoveryInfo info = log.recoveryInfo();
            assertEquals(2, log.epoch());
            assertEquals(head, info.headLsn());
            assertEquals(tail, info.tailLsn());
            assertEquals(50, info.records());
            assertEquals(0, info.bytesIgnored(), info.toString());
            assertFalse(info.droppedTail());
            assertEquals(tail, log.durableLsn());
            List<Rec> recs = readAll(log, log.headLsn());
            assertEquals(50, recs.size());
            for (int k = 0; k < recs.size(); k++) {
                assertArrayEquals(written.get(150 + k), recs.get(k).payload());
            }
            log.append(TestFiles.payload(5, 999, 10), (short) 3);
        }
        try (PmLog log = PmLog.open(path, PmLogOptions.defaults())) {
            assertEquals(3, log.epoch());
            assertEquals(51, log.recoveryInfo().records());
        }
    }

    @Test
    void regionLogLeavesTheRestOfTheMediaAlone() {
        long capacity = 8192;
        long off = 8192;
        try (Media m = Media.create(files.file("pool"), off + PmLog.regionLength(capacity) + 4096,
                io.ferrite.media.MediaOptions.defaults())) {
            m.segment().fill((byte) 0x5A);
            try (PmLog log = PmLog.format(m, off, PmLog.regionLength(capacity), PmLogOptions.defaults())) {
                for (int i = 0; i < 500; i++) {
                    long lsn = log.append(TestFiles.payload(6, i, 50), (short) 1);
                    if (i % 50 == 49) {
                        log.reclaim(lsn);
                    }
                }
            }
            for (long i = 0; i < off; i++) {
                assertEquals(0x5A, m.segment().get(ValueLayout.JAVA_BYTE, i));
            }
            for (long i = off + PmLog.regionLength(capacity); i < m.size(); i++) {
                assertEquals(0x5A, m.segment().get(ValueLayout.JAVA_BYTE, i));
            }
            try (PmLog log = PmLog.open(m, off, PmLog.regionLength(capacity), PmLogOptions.defaults())) {
                assertEquals(1, log.recoveryInfo().records());
                assertFalse(m.segment().scope().isAlive() == false);
            }
            assertTrue(m.segment().scope().isAlive(), "a region log must not close the caller's media");
        }
    }

    @Test
    void oversizedRecordIsRefusedWhole() {
        try (PmLog log = PmLog.create(files.file("a.log"), 64 * 1024, PmLogOptions.defaults().maxRecordSize(1000))) {
            assertEquals(1000, log.maxRecordSize());
            log.append(new byte[1000], (short) 1);
            long tail = log.tailLsn();
            RecordTooLargeException e = assertThrows(RecordTooLargeException.class, () -> log.append(new byte[1001], (short) 1));
            assertTrue(e.getMessage().contains("1001") && e.getMessage().contains("maxRecordSize=1000"), e.getMessage());
            assertEquals(tail, log.tailLsn());
            assertEquals(1, readAll(log, 0).size());
        }
        assertThrows(IllegalArgumentException.class,
                () -> PmLog.create(files.file("b.log"), 4096, PmLogOptions.defaults().maxRecordSize(4096)));
        assertThrows(IllegalArgumentException.class,
                () -> PmLog.create(files.file("c.log"), 1000, PmLogOptions.defaults()));
    }

    @Test
    void paddingTypeIsReserved() {
        try (PmLog log = PmLog.create(files.file("a.log"), 4096, PmLogOptions.defaults())) {
            assertThrows(IllegalArgumentException.class, () -> log.append(new byte[8], LogRecordDescriptor.PADDING_TYPE));
        }
    }

    @Test
    void fullLogFailsWithTheValuesAfterCallingTheHook() {
        AtomicInteger hook = new AtomicInteger();
        PmLogOptions o = PmLogOptions.defaults().fullPolicy(PmLogOptions.FullPolicy.FAIL).onFull(hook::incrementAndGet);
        try (PmLog log = PmLog.create(files.file("a.log"), 4096, o)) {
            int n = 0;
            LogFullException e = null;
            while (e == null) {
                try {
                    log.append(new byte[100], (short) 1);
                    n++;
                } catch (LogFullException full) {
                    e = full;
                }
            }
            assertEquals(4096 / 128, n);
            assertEquals(1, hook.get());
            String msg = e.getMessage();
            for (String k : new String[] {"lsn=", "head=0", "durable=" + log.durableLsn(), "capacity=4096", "size=128"}) {
                assertTrue(msg.contains(k), k + " missing in: " + msg);
            }
            assertFalse(e.hint().isEmpty());
        }
    }

    @Test
    void fullLogWaitsForReclaim() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            AtomicReference<PmLog> ref = new AtomicReference<>();
            AtomicInteger hook = new AtomicInteger();
            PmLogOptions o = PmLogOptions.defaults().fullPolicy(PmLogOptions.FullPolicy.WAIT)
                    .fullWaitTimeout(Duration.ofSeconds(10)).onFull(hook::incrementAndGet);
            try (PmLog log = PmLog.create(files.file("a.log"), 4096, o)) {
                ref.set(log);
                for (int i = 0; i < 32; i++) {
                    log.append(new byte[100], (short) 1);
                }
                CountDownLatch started = new CountDownLatch(1);
                Thread reclaimer = Thread.ofPlatform().start(() -> {
                    try {
                        started.await();
                        Thread.sleep(200);
                    } catch (InterruptedException ignored) {
                        return;
                    }
                    log.reclaim(log.durableLsn());
                });
                started.countDown();
                long t0 = System.nanoTime();
                long lsn = log.append(new byte[100], (short) 1);
                long waitedMs = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(4096, lsn);
                assertTrue(waitedMs >= 150, "waited " + waitedMs + " ms");
                assertEquals(1, hook.get());
                reclaimer.join();
            }
            // And the timeout: nobody reclaims.
            PmLogOptions o2 = PmLogOptions.defaults().fullWaitTimeout(Duration.ofMillis(300));
            try (PmLog log = PmLog.create(files.file("b.log"), 4096, o2)) {
                for (int i = 0; i < 32; i++) {
                    log.append(new byte[100], (short) 1);
                }
                long t0 = System.nanoTime();
                assertThrows(LogFullException.class, () -> log.append(new byte[100], (short) 1));
                long waitedMs = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(waitedMs >= 250 && waitedMs < 5000, "waited " + waitedMs + " ms");
            }
        });
    }

    @Test
    void onFullHookCanReclaim() {
        AtomicReference<PmLog> ref = new AtomicReference<>();
        PmLogOptions o = PmLogOptions.defaults().fullPolicy(PmLogOptions.FullPolicy.FAIL)
                .onFull(() -> ref.get().reclaim(ref.get().durableLsn()));
        try (PmLog log = PmLog.create(files.file("a.log"), 4096, o)) {
            ref.set(log);
            for (int i = 0; i < 1000; i++) {
                log.append(TestFiles.payload(7, i, 100), (short) 1);
            }
            assertTrue(log.tailLsn() > 20 * 4096);
        }
    }

    @Test
    void concurrentAppendersGetUniqueGapFreeLsns() throws Exception {
        int threads = 4;
        int perThread = 5000;
        var path = files.file("c.log");
        ConcurrentHashMap<Long, byte[]> byLsn = new ConcurrentHashMap<>();
        try (PmLog log = PmLog.create(path, 8L << 20, PmLogOptions.defaults())) {
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> ts = new ArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                ts.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                        Random rnd = new Random(id);
                        for (int i = 0; i < perThread; i++) {
                            byte[] p = TestFiles.payload(id, i, 8 + rnd.nextInt(200));
                            long lsn = (i % 3 == 0) ? log.appendAsync(p, (short) id) : log.append(p, (short) id);
                            if (i % 3 == 0 && i % 2 == 0) {
                                log.awaitDurable(lsn);
                                assertTrue(log.durableLsn() > lsn);
                            }
                            assertTrue(byLsn.put(lsn, p) == null, "lsn " + lsn + " handed out twice");
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            go.countDown();
            for (Thread t : ts) {
                t.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertEquals(threads * perThread, byLsn.size());
            long tail = log.tailLsn();
            log.awaitDurable(tail - 8);
            verifyGapFree(log, byLsn, threads * perThread);
        }
        try (PmLog log = PmLog.open(path, PmLogOptions.defaults())) {
            assertEquals(threads * perThread, log.recoveryInfo().records());
            verifyGapFree(log, byLsn, threads * perThread);
        }
    }

    /**
     * Many threads, a small ring that wraps dozens of times, reclaim from the onFull hook: the hook
     * first reads everything retained and checks it (gap-free, payloads intact, each thread's
     * records in its order); in the end every record was seen exactly once.
     */
    @Test
    void concurrentAppendersOnASmallWrappingRing() throws Exception {
        int threads = 4;
        int perThread = 3000;
        int[] nextSeq = new int[threads];
        long[] seen = {0};
        AtomicReference<PmLog> ref = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Object hookLock = new Object();
        Runnable verifyAndReclaim = () -> {
            synchronized (hookLock) {
                PmLog log = ref.get();
                long[] expect = {log.headLsn()};
                long end = log.read(log.headLsn(), (lsn, type, seg, off, len) -> {
                    assertTrue(lsn == expect[0] || lsn % log.capacity() == 0, "gap before lsn " + lsn);
                    int stream = seg.get(ValueLayout.JAVA_INT_UNALIGNED, off);
                    int seq = seg.get(ValueLayout.JAVA_INT_UNALIGNED, off + 4);
                    assertEquals(stream + 1, type);
                    assertEquals(nextSeq[stream], seq, "thread " + stream + " records out of order at lsn " + lsn);
                    assertArrayEquals(TestFiles.payload(stream, seq, len), seg.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE));
                    nextSeq[stream]++;
                    seen[0]++;
                    expect[0] = lsn + LogRecordDescriptor.recordLength(len);
                    return true;
                });
                log.reclaim(end);
            }
        };
        PmLogOptions o = PmLogOptions.defaults().maxRecordSize(1000).onFull(verifyAndReclaim);
        try (PmLog log = PmLog.create(files.file("w.log"), 16 * 1024, o)) {
            ref.set(log);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                ts.add(Thread.ofPlatform().start(() -> {
                    try {
                        Random rnd = new Random(id);
                        for (int i = 0; i < perThread; i++) {
                            byte[] p = TestFiles.payload(id, i, 8 + rnd.nextInt(rnd.nextInt(8) == 0 ? 992 : 120));
                            if (i % 4 == 0) {
                                log.awaitDurable(log.appendAsync(p, (short) (id + 1)));
                            } else {
                                log.append(p, (short) (id + 1));
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            for (Thread t : ts) {
                t.join();
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            verifyAndReclaim.run();
            assertEquals((long) threads * perThread, seen[0]);
            assertTrue(log.tailLsn() > 20 * log.capacity(), "laps: " + log.tailLsn() / log.capacity());
        }
    }

    private static void verifyGapFree(PmLog log, ConcurrentHashMap<Long, byte[]> byLsn, int count) {
        long[] expectNext = {0};
        int[] n = {0};
        int[] lastSeq = new int[16];
        java.util.Arrays.fill(lastSeq, -1);
        long end = log.read(0, (lsn, type, seg, off, len) -> {
            assertEquals(expectNext[0], lsn, "gap before lsn " + lsn);
            byte[] want = byLsn.get(lsn);
            assertArrayEquals(want, seg.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE), "payload at lsn " + lsn);
            int seq = MemorySegment.ofArray(want).get(ValueLayout.JAVA_INT_UNALIGNED, 4);
            assertTrue(seq > lastSeq[type], "a thread's records are in its order");
            lastSeq[type] = seq;
            expectNext[0] = lsn + LogRecordDescriptor.recordLength(len);
            n[0]++;
            return true;
        });
        assertEquals(count, n[0]);
        assertEquals(log.durableLsn(), end);
    }

    /** Media whose fence takes a while (and frees the CPU): appenders must share fences. */
    static final class SlowFenceMedia extends io.ferrite.media.ForwardingMedia {
        final java.util.concurrent.atomic.LongAdder fences = new java.util.concurrent.atomic.LongAdder();

        SlowFenceMedia(Media delegate) {
            super(delegate);
        }

        @Override
        public void fence() {
            fences.increment();
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
        }
    }

    @Test
    void groupCommitSharesFencesBetweenAppenders() throws Exception {
        // A fence of 5 ms: long enough for the other threads to be scheduled even on a busy machine.
        int threads = 4;
        int perThread = 40;
        try (SlowFenceMedia m = new SlowFenceMedia(Media.inMemory(PmLog.regionLength(1 << 20)));
             PmLog log = PmLog.format(m, 0, m.size(), PmLogOptions.defaults())) {
            long f0 = m.fences.sum();
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                ts.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < perThread; i++) {
                        log.append(TestFiles.payload(id, i, 64), (short) 1);
                    }
                }));
            }
            for (Thread t : ts) {
                t.join();
            }
            double perFence = (double) threads * perThread / (m.fences.sum() - f0);
            assertTrue(perFence >= 1.3, "records per fence: " + perFence + " (no group commit?)");
            assertEquals(threads * perThread, readAll(log, 0).size());
        }
    }

    @Test
    void hotPathDoesNotAllocate() {
        var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        AtomicReference<PmLog> ref = new AtomicReference<>();
        PmLogOptions o = PmLogOptions.defaults().onFull(() -> ref.get().reclaim(ref.get().durableLsn()));
        try (Media m = Media.inMemory(PmLog.regionLength(4 << 20));
             PmLog log = PmLog.format(m, 0, m.size(), o);
             Arena arena = Arena.ofConfined()) {
            ref.set(log);
            MemorySegment payload = arena.allocate(64);
            byte[] array = new byte[64];
            long[] sum = {0};
            RecordHandler handler = (lsn, type, seg, off, len) -> {
                sum[0] += seg.get(ValueLayout.JAVA_BYTE, off) + len;
                return true;
            };
            long tid = Thread.currentThread().threadId();
            long best = Long.MAX_VALUE;
            for (int round = 0; round < 8; round++) {
                log.reclaim(log.durableLsn());
                long from = log.durableLsn();
                long before = mx.getThreadAllocatedBytes(tid);
                for (int i = 0; i < 5_000; i++) {
                    log.append(payload, (short) 1);
                    log.append(array, (short) 2);
                }
                log.read(from, handler);
                best = Math.min(best, mx.getThreadAllocatedBytes(tid) - before);
            }
            // 10,000 appends and their read: nothing per record (a few objects of the
            // allocation accounting itself, or one onFull reclaim, are tolerated).
            assertTrue(best < 2_000, "allocated " + best + " bytes for 10,000 appends + reads");
        }
    }

    @Test
    void aFailedCopyBecomesPaddingAndTheLogGoesOn() {
        try (PmLog log = PmLog.create(files.file("a.log"), 8192, PmLogOptions.defaults())) {
            long a = log.append(TestFiles.payload(8, 0, 16), (short) 1);
            MemorySegment gone;
            try (Arena arena = Arena.ofConfined()) {
                gone = arena.allocate(40);
            }
            assertThrows(IllegalStateException.class, () -> log.append(gone, (short) 1));
            long b = log.append(TestFiles.payload(8, 1, 16), (short) 1);
            assertEquals(a + LogRecordDescriptor.recordLength(16) + LogRecordDescriptor.recordLength(40), b);
            assertTrue(log.durableLsn() > b);
            List<Rec> recs = readAll(log, 0);
            assertEquals(2, recs.size());
            assertEquals(b, recs.get(1).lsn());
        }
    }

    @Test
    void payloadWriterWritesInPlace() {
        try (PmLog log = PmLog.create(files.file("a.log"), 8192, PmLogOptions.defaults())) {
            byte[] want = TestFiles.payload(9, 0, 77);
            long a = log.append(77, (short) 5, (seg, off, len) -> MemorySegment.copy(want, 0, seg, ValueLayout.JAVA_BYTE, off, len));
            assertThrows(ArithmeticException.class, () -> log.append(10, (short) 5, (seg, off, len) -> {
                throw new ArithmeticException("writer failed");
            }));
            long b = log.appendAsync(0, (short) 6, (seg, off, len) -> { });
            log.awaitDurable(b);
            List<Rec> recs = readAll(log, a);
            assertEquals(2, recs.size());
            assertArrayEquals(want, recs.get(0).payload());
            assertEquals(5, recs.get(0).type());
            assertEquals(0, recs.get(1).payload().length);
            assertThrows(RecordTooLargeException.class, () -> log.append(log.maxRecordSize() + 1, (short) 1, (s, o, n) -> { }));
        }
    }

    @Test
    void closedLogRefusesAppends() {
        PmLog log = PmLog.create(files.file("a.log"), 4096, PmLogOptions.defaults());
        log.append(new byte[8], (short) 1);
        log.close();
        log.close();
        assertThrows(IllegalStateException.class, () -> log.append(new byte[8], (short) 1));
    }
}
