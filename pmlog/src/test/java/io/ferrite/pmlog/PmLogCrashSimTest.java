package io.ferrite.pmlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ferrite.media.CrashSimMedia;
import io.ferrite.media.Media;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * Crash simulation (DESIGN.md §10): concurrent appenders on crashsim media; at every fence, at
 * least 64 images of what a power failure could leave; each must recover to exactly a prefix of
 * the appended records that includes every record whose append had returned durable, and must
 * deliver no record with a bad CRC. Replay an image with the seed printed on failure
 * ({@code -Dferrite.crashsim.seed=...}: the image seeds are derived from it, fence and index).
 */
class PmLogCrashSimTest {
    private static final long CAPACITY = 32 * 1024;
    private static final int THREADS = 3;
    private static final int RECORDS_PER_THREAD = Integer.getInteger("ferrite.crashsim.records", 700);
    private static final int IMAGES_PER_FENCE = Integer.getInteger("ferrite.crashsim.images", 64);
    private static final long TIME_BUDGET_NANOS = Duration.ofSeconds(45).toNanos();
    private static final int MIN_IMAGES = 10_000;
    /** Images per crash point on which a second run appends up to a stale record, then reopens. */
    private static final int SECOND_RUN_IMAGES = 4;

    @Test
    void everyCrashImageRecoversAPrefixHoldingEveryAcknowledgedRecord() throws Exception {
        long seed = Long.getLong("ferrite.crashsim.seed", System.nanoTime());
        long t0 = System.nanoTime();
        CrashSimMedia media = CrashSimMedia.inMemory(PmLog.regionLength(CAPACITY));
        AtomicReference<PmLog> ref = new AtomicReference<>();
        PmLogOptions opts = PmLogOptions.defaults().maxRecordSize(2048).fullWaitTimeout(Duration.ofSeconds(30))
                .onFull(() -> ref.get().reclaim(ref.get().durableLsn()));
        PmLog log = PmLog.format(media, 0, media.size(), opts);
        ref.set(log);

        ConcurrentHashMap<Long, Long> truth = new ConcurrentHashMap<>();
        AtomicLong maxAcked = new AtomicLong(-1);
        Checker checker = new Checker(seed, media.size(), maxAcked, t0);
        media.onCrashPoint(checker::check);

        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int stream = t;
            threads.add(Thread.ofPlatform().name("crashsim-appender-" + t).start(() -> {
                try {
                    go.await();
                    Random rnd = new Random(seed + stream);
                    long pendingAsync = -1;
                    for (int i = 0; i < RECORDS_PER_THREAD && failure.get() == null; i++) {
                        int len = 8 + (rnd.nextInt(16) == 0 ? rnd.nextInt(2041) : rnd.nextInt(300));
                        byte[] p = TestFiles.payload(stream, i, len);
                        short type = (short) (1 + stream);
                        if (rnd.nextInt(3) == 0) {
                            long lsn = log.appendAsync(p, type);
                            truth.put(lsn, id(stream, i));
                            pendingAsync = lsn;
                        } else {
                            long lsn = log.append(p, type);
                            truth.put(lsn, id(stream, i));
                            maxAcked.accumulateAndGet(lsn, Math::max);
                        }
                        if (pendingAsync >= 0 && rnd.nextInt(4) == 0) {
                            log.awaitDurable(pendingAsync);
                            maxAcked.accumulateAndGet(pendingAsync, Math::max);
                            pendingAsync = -1;
                        }
                    }
                    if (pendingAsync >= 0) {
                        log.awaitDurable(pendingAsync);
                        maxAcked.accumulateAndGet(pendingAsync, Math::max);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        media.onCrashPoint(null);
        if (failure.get() != null) {
            throw new AssertionError("seed=" + seed + ": an appender failed", failure.get());
        }
        if (checker.failure != null) {
            throw checker.failure;
        }
        long laps = log.tailLsn() / CAPACITY;
        log.close();

        // Every record any image recovered is the record appended at that LSN.
        assertEquals(THREADS * RECORDS_PER_THREAD, truth.size());
        for (Map.Entry<Long, Long> e : checker.observed.entrySet()) {
            assertEquals(truth.get(e.getKey()), e.getValue(), "seed=" + seed + ": an image recovered at lsn="
                    + e.getKey() + " a record that was not appended there");
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("pmlog crashsim: %d crash points, %d images checked (%d records recovered in all; "
                        + "%d records appended by %d threads over %d laps of a %d-byte ring; %d stale records behind "
                        + "a torn tail met by a next run and refused; seed %d; %d ms)%n",
                checker.crashPoints, checker.images, checker.recordsChecked, truth.size(), THREADS, laps, CAPACITY,
                checker.staleSituations, seed, ms);
        assertTrue(laps >= 3, "the ring must wrap several times, got " + laps + " laps");
        assertTrue(checker.images >= MIN_IMAGES || checker.outOfTime, "only " + checker.images + " images (seed " + seed + ")");
        assertTrue(checker.maxUnpersisted > 0, "no crash point had unpersisted words: the test proves nothing");
    }

    static long id(int stream, int seq) {
        return ((long) stream << 32) | seq;
    }

    /** Runs inside the media's fence (serialized): builds and checks the images of one crash point. */
    static final class Checker {
        final long seed;
        final AtomicLong maxAcked;
        final long t0;
        final Media image;
        final Map<Long, Long> observed = new HashMap<>();
        final CRC32C crc = new CRC32C();
        long crashPoints;
        long images;
        long recordsChecked;
        long maxUnpersisted;
        long staleSituations;
        boolean outOfTime;
        AssertionError failure;

        Checker(long seed, long size, AtomicLong maxAcked, long t0) {
            this.seed = seed;
            this.maxAcked = maxAcked;
            this.t0 = t0;
            this.image = Media.inMemory(size);
        }

        void check(CrashSimMedia.CrashPoint cp) {
            if (failure != null || outOfTime) {
                return;
            }
            if (System.nanoTime() - t0 > TIME_BUDGET_NANOS) {
                outOfTime = true;
                return;
            }
            long acked = maxAcked.get(); // every append that returned before this fence is in the shadow
            crashPoints++;
            maxUnpersisted = Math.max(maxUnpersisted, cp.unpersistedWords());
            for (int i = 0; i < IMAGES_PER_FENCE && failure == null; i++) {
                long imageSeed = seed ^ (cp.fence() * 0x9E3779B97F4A7C15L) ^ (i * 0xC2B2AE3D27D4EB4FL);
                cp.writeImage(new Random(imageSeed), image.segment());
                try {
                    checkImage(acked);
                    if (i < SECOND_RUN_IMAGES) {
                        secondRun();
                    }
                } catch (AssertionError | RuntimeException e) {
                    failure = new AssertionError("seed=" + seed + " fence=" + cp.fence() + " image=" + i
                            + " imageSeed=" + imageSeed + ": " + e.getMessage(), e);
                }
                images++;
            }
        }

        /**
         * The next run after this crash: if a record with a valid CRC and the LSN of its position
         * survives beyond the recovered tail (a stale record), append one record that ends exactly
         * where it begins, reopen, and check that the stale record is refused (epoch rule).
         */
        private void secondRun() {
            long tail;
            long stale = -1;
            int before;
            try (PmLog log = PmLog.open(image, 0, image.size(), PmLogOptions.defaults())) {
                tail = log.tailLsn();
                before = (int) log.recoveryInfo().records();
                long ringBase = LogHeaderDescriptor.HEADER_LENGTH;
                long p = tail % CAPACITY;
                long limit = Math.min(CAPACITY - p, LogRecordDescriptor.recordLength(log.maxRecordSize()));
                for (long d = LogRecordDescriptor.HEADER_LENGTH; d + LogRecordDescriptor.HEADER_LENGTH <= limit; d += 8) {
                    long rec = ringBase + p + d;
                    if (image.segment().get(LogRecordDescriptor.U64, rec + LogRecordDescriptor.LSN_OFFSET) == tail + d
                            && crcValid(image.segment(), rec)) {
                        stale = tail + d;
                        break;
                    }
                }
                if (stale < 0) {
                    return;
                }
                int len = (int) (stale - tail) - LogRecordDescriptor.HEADER_LENGTH;
                byte[] b = TestFiles.payload(THREADS, 0, Math.max(len, 0));
                assertEquals(tail, log.append(b, (short) (1 + THREADS)));
                assertEquals(stale, log.durableLsn());
            }
            staleSituations++;
            try (PmLog log = PmLog.open(image, 0, image.size(), PmLogOptions.defaults())) {
                RecoveryInfo info = log.recoveryInfo();
                assertEquals(before + 1, info.records(), "the stale record at lsn=" + stale + " was accepted: " + info);
                assertEquals(stale, info.tailLsn(), info.toString());
            }
        }

        private boolean crcValid(MemorySegment seg, long rec) {
            long len = seg.get(LogRecordDescriptor.U32, rec + LogRecordDescriptor.LENGTH_OFFSET) & 0xFFFF_FFFFL;
            if (seg.get(LogRecordDescriptor.U16, rec + LogRecordDescriptor.TYPE_OFFSET) == LogRecordDescriptor.PADDING_TYPE) {
                len = 0;
            }
            if (rec + LogRecordDescriptor.HEADER_LENGTH + len > seg.byteSize()) {
                return false;
            }
            byte[] covered = new byte[LogRecordDescriptor.CRC_COVERED_HEADER_LENGTH + (int) len];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, rec + LogRecordDescriptor.CRC_COVERED_OFFSET, covered, 0,
                    covered.length);
            crc.reset();
            crc.update(covered);
            return seg.get(LogRecordDescriptor.U32, rec + LogRecordDescriptor.CRC_OFFSET) == (int) crc.getValue();
        }

        private void checkImage(long acked) {
            try (PmLog log = PmLog.open(image, 0, image.size(), PmLogOptions.defaults())) {
                RecoveryInfo info = log.recoveryInfo();
                if (acked >= info.headLsn() && info.tailLsn() <= acked) {
                    fail("the record at lsn=" + acked + " was acknowledged durable but is lost: " + info);
                }
                long[] expect = {info.headLsn()};
                long[] n = {0};
                MemorySegment seg = image.segment();
                log.read(info.headLsn(), (lsn, type, s, off, len) -> {
                    assertTrue(lsn >= expect[0], "records out of order at lsn=" + lsn);
                    // The CRC of what is delivered, recomputed here from the image bytes.
                    byte[] covered = new byte[LogRecordDescriptor.CRC_COVERED_HEADER_LENGTH + len];
                    long rec = off - LogRecordDescriptor.PAYLOAD_OFFSET;
                    MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, rec + LogRecordDescriptor.CRC_COVERED_OFFSET,
                            covered, 0, covered.length);
                    crc.reset();
                    crc.update(covered);
                    assertEquals(seg.get(LogRecordDescriptor.U32, rec + LogRecordDescriptor.CRC_OFFSET), (int) crc.getValue(),
                            "record with a bad CRC delivered at lsn=" + lsn);
                    assertEquals(lsn, seg.get(LogRecordDescriptor.U64, rec + LogRecordDescriptor.LSN_OFFSET));
                    // The payload is one that was appended: (stream, seq, length) and its bytes.
                    assertTrue(len >= 8, "payload too short at lsn=" + lsn);
                    int stream = s.get(ValueLayout.JAVA_INT_UNALIGNED, off);
                    int seq = s.get(ValueLayout.JAVA_INT_UNALIGNED, off + 4);
                    assertTrue(stream >= 0 && stream < THREADS && type == 1 + stream, "bad stream at lsn=" + lsn);
                    byte[] want = TestFiles.payload(stream, seq, len);
                    assertEquals(-1, MemorySegment.mismatch(s, off, off + len, MemorySegment.ofArray(want), 0, len),
                            "payload differs at lsn=" + lsn);
                    Long prev = observed.putIfAbsent(lsn, id(stream, seq));
                    if (prev != null && prev != id(stream, seq)) {
                        fail("two images recovered different records at lsn=" + lsn);
                    }
                    expect[0] = lsn + LogRecordDescriptor.recordLength(len);
                    n[0]++;
                    return true;
                });
                assertEquals(info.records(), n[0], "records delivered vs recovered: " + info);
                recordsChecked += n[0];
            }
        }
    }
}
