package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.media.CrashSimMedia;
import io.ferrite.media.Media;
import io.ferrite.pheap.Heap;
import io.ferrite.pheap.HeapOptions;
import io.ferrite.pheap.PField;
import io.ferrite.pheap.PType;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The pool-level half of the agreement (issue 9, defect 4): pheap crash images with two committer
 * threads (so group commits hold records of both); on each, {@code ferrite check} must end the log
 * where {@code Heap.open} recovers it and must find nothing wrong with the log, and on some,
 * {@code ferrite recover} must succeed and end the log at the same LSN. The rest of {@code check}'s
 * findings (heap structures) are other tests' business.
 */
class PoolLogVerdictMatchesHeapOpenOnCrashImagesTest {
    private static final long POOL = 4L << 20;
    private static final int THREADS = 2;
    private static final int TXS_PER_THREAD = 120;
    private static final int MAX_IMAGES = 600;
    private static final int RECOVER_EVERY = 10;
    private static final long TIME_BUDGET_NANOS = Duration.ofSeconds(25).toNanos();
    private static final Pattern LOG_ERROR = Pattern.compile("\"severity\"\\s*:\\s*\"error\"\\s*,\\s*\"area\"\\s*:\\s*\"log\"");

    /** One list per committer thread: each writes only its own fields of the root. */
    static final PType ROOT = PType.builder("LRoot").pointer("head0", "LNode").int64("txs0").pointer("head1", "LNode")
            .int64("txs1").build();
    static final PType NODE = PType.builder("LNode").int64("key").pointer("next", "LNode").build();

    @Test
    void checkAndRecoverEndTheLogWhereHeapOpenDoes() throws Exception {
        long seed = Long.getLong("ferrite.crashsim.seed", System.nanoTime());
        HeapOptions opts = HeapOptions.defaults().slabSize(16 * 1024).logCapacity(128 * 1024)
                .checkpointInterval(Duration.ZERO);
        Path file = TestPools.fresh("crashpool");
        Compare c = new Compare(seed, file, opts);
        try (CrashSimMedia media = CrashSimMedia.inMemory(POOL)) {
            Heap h = Heap.create(media, opts);
            h.register(NODE);
            h.register(ROOT);
            h.root(ROOT);
            media.onCrashPoint(c::crashPoint);
            Throwable failure = CrashImages.runTogether("crashpool-committer", THREADS, t -> {
                PField head = ROOT.field("head" + t);
                PField txs = ROOT.field("txs" + t);
                for (int i = 1; i <= TXS_PER_THREAD && c.failure == null; i++) {
                    try (Tx tx = h.begin()) {
                        Ref r = tx.root(ROOT);
                        Ref n = tx.allocate(NODE);
                        tx.setLong(n, NODE.field("key"), i);
                        tx.setRef(n, NODE.field("next"), tx.getRef(r, head));
                        tx.setRef(r, head, n);
                        tx.setLong(r, txs, i);
                        tx.commit();
                    }
                }
            });
            media.onCrashPoint(null);
            h.close();
            if (failure != null) {
                throw new AssertionError("seed=" + seed + ": a committer failed", failure);
            }
        } finally {
            TestPools.delete(file);
        }
        if (c.failure != null) {
            throw c.failure;
        }
        System.out.printf("cli check/recover vs Heap.open: %d pool crash images compared (%d also through recover), all end"
                + " the log at the same LSN and find no log error (%d with a torn record and intact records after it);"
                + " seed %d%n", c.images, c.recovered, c.tornGroups, seed);
        assertTrue(c.images >= 100, "only " + c.images + " images (seed " + seed + ")");
    }

    /** Runs inside the media's fence (serialized). */
    private static final class Compare {
        final Random rnd;
        final long seed;
        final Path file;
        final HeapOptions opts;
        final long t0 = System.nanoTime();
        long images;
        long recovered;
        long tornGroups;
        AssertionError failure;

        Compare(long seed, Path file, HeapOptions opts) {
            this.seed = seed;
            this.rnd = new Random(seed);
            this.file = file;
            this.opts = opts;
        }

        void crashPoint(CrashSimMedia.CrashPoint cp) {
            if (failure != null || images >= MAX_IMAGES || System.nanoTime() - t0 > TIME_BUDGET_NANOS) {
                return;
            }
            String where = "seed=" + seed + " fence=" + cp.fence();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment image = arena.allocate(cp.size(), 4096);
                cp.writeImage(rnd, image);
                CrashImages.write(file, image);
                long libraryTail;
                try (Heap r = Heap.open(Media.wrap(image), opts)) {
                    libraryTail = r.recoveryReport().toLsn();
                }
                TestPools.Run check = TestPools.runCheck("--json", file.toString());
                assertFalse(LOG_ERROR.matcher(check.out()).find(), where + ": check finds a log error: " + check.out());
                assertEquals(libraryTail, CrashImages.number(check.out(), "tailLsn"), where + ": check ends the log elsewhere: " + check.out());
                images++;
                if (check.out().contains("intact record(s) chained after it")) {
                    tornGroups++;
                }
                if (images % RECOVER_EVERY == 0) {
                    TestPools.Run rec = TestPools.run("recover", "--json", file.toString());
                    assertTrue(rec.exit() == Ferrite.EXIT_CLEAN || rec.exit() == Ferrite.EXIT_REPAIRED, where + ": " + rec);
                    assertEquals(libraryTail, CrashImages.number(rec.out(), "toLsn"), where + ": recover ends the log elsewhere: " + rec.out());
                    recovered++;
                }
            } catch (AssertionError | RuntimeException e) {
                failure = new AssertionError(where + ": " + e.getMessage(), e);
            }
        }
    }
}
