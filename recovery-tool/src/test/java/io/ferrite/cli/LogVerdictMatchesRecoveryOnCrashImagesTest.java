package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.media.CrashSimMedia;
import io.ferrite.media.Media;
import io.ferrite.pmlog.LogRecordDescriptor;
import io.ferrite.pmlog.PmLog;
import io.ferrite.pmlog.PmLogOptions;
import io.ferrite.pmlog.RecoveryInfo;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The tool and the library must never disagree about a crashed log (issue 9, defect 4). The crash
 * images of pmlog's crash simulation (concurrent appenders, SYNC and ASYNC mixed, group commit, a
 * ring that wraps), and on some images the next run that appends exactly up to a stale record and
 * is killed: on each, {@code ferrite log --verify} must call the log sound (exit 0, as
 * {@code PmLog.open} always recovers it) and end it at the LSN, with the record count, that
 * {@code PmLog.open} recovers. Replay with {@code -Dferrite.crashsim.seed=...}.
 */
class LogVerdictMatchesRecoveryOnCrashImagesTest {
    private static final long CAPACITY = 32 * 1024;
    private static final int THREADS = 3;
    private static final int RECORDS_PER_THREAD = 400;
    private static final int IMAGES_PER_FENCE = 6;
    private static final int MAX_IMAGES = 4_000;
    private static final long TIME_BUDGET_NANOS = Duration.ofSeconds(25).toNanos();

    @Test
    void theToolEndsEveryCrashImageWhereRecoveryEndsIt() throws Exception {
        long seed = Long.getLong("ferrite.crashsim.seed", System.nanoTime());
        Path file = TestPools.DIR.resolve("ferrite-cli-test-crashlog-" + UUID.randomUUID() + ".log");
        CrashSimMedia media = CrashSimMedia.inMemory(PmLog.regionLength(CAPACITY));
        AtomicReference<PmLog> ref = new AtomicReference<>();
        PmLogOptions opts = PmLogOptions.defaults().maxRecordSize(2048).fullWaitTimeout(Duration.ofSeconds(30))
                .onFull(() -> ref.get().reclaim(ref.get().durableLsn()));
        Compare c = new Compare(seed, file, media.size());
        try {
            PmLog log = PmLog.format(media, 0, media.size(), opts);
            ref.set(log);
            media.onCrashPoint(c::crashPoint);
            Throwable failure = CrashImages.runTogether("crashlog-appender", THREADS, stream -> {
                Random rnd = new Random(seed + stream);
                long pending = -1;
                for (int i = 0; i < RECORDS_PER_THREAD && c.failure == null; i++) {
                    byte[] p = new byte[8 + (rnd.nextInt(16) == 0 ? rnd.nextInt(2041) : rnd.nextInt(300))];
                    rnd.nextBytes(p);
                    if (rnd.nextInt(3) == 0) {
                        pending = log.appendAsync(p, (short) (1 + stream));
                    } else {
                        log.append(p, (short) (1 + stream));
                    }
                    if (pending >= 0 && rnd.nextInt(4) == 0) {
                        log.awaitDurable(pending);
                        pending = -1;
                    }
                }
                if (pending >= 0) {
                    log.awaitDurable(pending);
                }
            });
            media.onCrashPoint(null);
            log.close();
            if (failure != null) {
                throw new AssertionError("seed=" + seed + ": an appender failed", failure);
            }
        } finally {
            Files.deleteIfExists(file);
            c.image.close();
        }
        if (c.failure != null) {
            throw c.failure;
        }
        System.out.printf("cli log verdict vs pmlog recovery: %d crash images compared, all agree (%d torn tails, %d of them"
                        + " with intact records chained after the torn one; %d next runs appended up to a stale record and"
                        + " were killed, %d images ended at a stale record; seed %d)%n", c.images, c.torn, c.tornWithIntact,
                c.restarts, c.staleEnds, seed);
        assertTrue(c.images >= 500, "only " + c.images + " images compared (seed " + seed + ")");
        assertTrue(c.staleEnds > 0, "no image ended at a stale record: the restart case was not covered (seed " + seed + ")");
    }

    /** Runs inside the media's fence (serialized). */
    private static final class Compare {
        final long seed;
        final Path file;
        final Media image;
        final long t0 = System.nanoTime();
        long images;
        long torn;
        long tornWithIntact;
        long staleEnds;
        long restarts;
        AssertionError failure;

        Compare(long seed, Path file, long size) {
            this.seed = seed;
            this.file = file;
            this.image = Media.inMemory(size);
        }

        void crashPoint(CrashSimMedia.CrashPoint cp) {
            if (failure != null || images >= MAX_IMAGES || System.nanoTime() - t0 > TIME_BUDGET_NANOS) {
                return;
            }
            for (int i = 0; i < IMAGES_PER_FENCE && failure == null; i++) {
                long imageSeed = seed ^ (cp.fence() * 0x9E3779B97F4A7C15L) ^ (i * 0xC2B2AE3D27D4EB4FL);
                cp.writeImage(new Random(imageSeed), image.segment());
                String where = "seed=" + seed + " fence=" + cp.fence() + " image=" + i;
                try {
                    compare(where);
                    if (i == 0 && restartUpToAStaleRecord()) {
                        restarts++;
                        compare(where + " after a next run that appended up to a stale record");
                    }
                } catch (AssertionError | RuntimeException e) {
                    failure = new AssertionError(where + ": " + e.getMessage(), e);
                }
            }
        }

        /** The tool on the image (as a file) against the library on a copy of it. */
        private void compare(String where) {
            CrashImages.write(file, image.segment());
            StringWriter o = new StringWriter();
            StringWriter e = new StringWriter();
            int exit = Ferrite.runCommand(new LogCommand(), new String[] {"--verify", "--json", file.toString()},
                    new PrintWriter(o, true), new PrintWriter(e, true));
            RecoveryInfo lib;
            try (Media copy = Media.inMemory(image.size())) {
                copy.segment().copyFrom(image.segment());
                try (PmLog log = PmLog.open(copy, 0, copy.size(), PmLogOptions.defaults())) {
                    lib = log.recoveryInfo();
                }
            }
            String out = o.toString();
            assertEquals(0, exit, "PmLog.open recovers this log (" + lib + "), ferrite log --verify says: " + out + e);
            assertEquals(lib.tailLsn(), CrashImages.number(out, "tailLsn"), "end LSN: library " + lib + ", tool " + out);
            assertEquals(lib.records(), CrashImages.number(out, "recordCount"), "records: library " + lib + ", tool " + out);
            images++;
            String stop = CrashImages.lastString(out, "stop");
            if (stop.equals("STALE_EPOCH")) {
                staleEnds++;
            } else if (stop.equals("TORN_RECORD")) {
                torn++;
                if (CrashImages.number(out, "intactAfterTorn") > 0) {
                    tornWithIntact++;
                }
            }
        }

        /**
         * The next run after this crash: if an intact record of the crashed run sits beyond the recovered
         * end, append one record that ends exactly where it begins, then "kill" the run (no close).
         */
        private boolean restartUpToAStaleRecord() {
            PmLog log = PmLog.open(image, 0, image.size(), PmLogOptions.defaults());
            long tail = log.tailLsn();
            long p = tail % CAPACITY;
            long limit = Math.min(CAPACITY - p, LogRecordDescriptor.recordLength(log.maxRecordSize()));
            long ringBase = io.ferrite.pmlog.LogHeaderDescriptor.HEADER_LENGTH;
            for (long d = LogRecordDescriptor.HEADER_LENGTH; d + LogRecordDescriptor.HEADER_LENGTH <= limit; d += 8) {
                long rec = ringBase + p + d;
                if (image.segment().get(LogRecordDescriptor.U64, rec + LogRecordDescriptor.LSN_OFFSET) == tail + d) {
                    log.append(new byte[(int) d - LogRecordDescriptor.HEADER_LENGTH], (short) 9);
                    // killed: the record is durable, the log is never closed (nothing else is written)
                    return true;
                }
            }
            return false;
        }
    }
}
