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
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
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
    private static final Pattern TAIL = Pattern.compile("\"tailLsn\"\\s*:\\s*(\\d+)");
    private static final Pattern TO = Pattern.compile("\"toLsn\"\\s*:\\s*(\\d+)");
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
            CountDownLatch go = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                PField head = ROOT.field("head" + t);
                PField txs = ROOT.field("txs" + t);
                threads.add(Thread.ofPlatform().name("crashpool-committer-" + t).start(() -> {
                    try {
                        go.await();
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
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }));
            }
            go.countDown();
            for (Thread t : threads) {
                t.join(Duration.ofSeconds(120));
            }
            media.onCrashPoint(null);
            h.close();
            if (failure.get() != null) {
                throw new AssertionError("seed=" + seed + ": a committer failed", failure.get());
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
                write(image.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                long libraryTail;
                try (Heap r = Heap.open(Media.wrap(image), opts)) {
                    libraryTail = r.recoveryReport().toLsn();
                }
                TestPools.Run check = TestPools.runCheck("--json", file.toString());
                assertFalse(LOG_ERROR.matcher(check.out()).find(), where + ": check finds a log error: " + check.out());
                assertEquals(libraryTail, group(TAIL, check.out()), where + ": check ends the log elsewhere: " + check.out());
                images++;
                if (check.out().contains("intact record(s) chained after it")) {
                    tornGroups++;
                }
                if (images % RECOVER_EVERY == 0) {
                    TestPools.Run rec = TestPools.run("recover", "--json", file.toString());
                    assertTrue(rec.exit() == Ferrite.EXIT_CLEAN || rec.exit() == Ferrite.EXIT_REPAIRED, where + ": " + rec);
                    assertEquals(libraryTail, group(TO, rec.out()), where + ": recover ends the log elsewhere: " + rec.out());
                    recovered++;
                }
            } catch (AssertionError | RuntimeException e) {
                failure = new AssertionError(where + ": " + e.getMessage(), e);
            }
        }

        private static long group(Pattern p, String s) {
            Matcher m = p.matcher(s);
            assertTrue(m.find(), p + " not in " + s);
            return Long.parseLong(m.group(1));
        }

        private void write(byte[] bytes) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(bytes));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
