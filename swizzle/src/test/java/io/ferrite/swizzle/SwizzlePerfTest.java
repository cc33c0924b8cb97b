package io.ferrite.swizzle;

import static io.ferrite.swizzle.Pointers.WORD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ferrite.media.Media;
import io.ferrite.media.MediaOptions;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rough timing before the JMH bench exists: a pool of {@code ferrite.swizzle.perfObjects} (default
 * 10 million) 64-byte objects with two pointers each on /dev/shm, opened with forced relocation and
 * swizzled on 1 and 2 threads, against a raw loop that adds the same delta to the same words of a
 * fresh mapping. Runs only with {@code -Dferrite.swizzle.perf=true}.
 */
class SwizzlePerfTest {
    static final int SLAB_SIZE = 1 << 20;

    private final Path file = Path.of(System.getProperty("java.io.tmpdir", "/dev/shm"),
            "ferrite-swizzle-perf-" + ProcessHandle.current().pid() + ".pool");

    @AfterEach
    void delete() throws IOException {
        Files.deleteIfExists(file);
    }

    @Test
    void tenMillionObjects() throws Exception {
        assumeTrue(Boolean.getBoolean("ferrite.swizzle.perf"), "timing runs only with -Dferrite.swizzle.perf=true");
        long objects = Long.getLong("ferrite.swizzle.perfObjects", 10_000_000L);
        int perSlab = (SLAB_SIZE - TestPool.bitmapBytes(SLAB_SIZE)) / 64;
        int slabs = (int) ((objects + perSlab - 1) / perSlab);
        long size = TestPool.sizeFor(SLAB_SIZE, slabs);
        long t0 = System.nanoTime();
        try (Media m = Media.create(file, size, MediaOptions.defaults())) {
            build(m, slabs, perSlab, objects);
        }
        System.out.printf("perf: built %,d objects in %d slabs (%,d MiB) in %.2f s%n", objects, slabs, size >> 20,
                (System.nanoTime() - t0) / 1e9);
        int rounds = Integer.getInteger("ferrite.swizzle.perfRounds", 3);
        long[][] best = {{Long.MAX_VALUE, Long.MAX_VALUE}, {Long.MAX_VALUE, Long.MAX_VALUE}};
        for (int round = 0; round < rounds; round++) {
            for (int threads = 1; threads <= 2; threads++) {
                long base = baseOf();
                try (Media m = Media.open(file, MediaOptions.defaults().avoidAddress(base))) {
                    long t = System.nanoTime();
                    SwizzleReport r = Swizzler.swizzle(TestPool.attach(m, m.baseAddress()), threads);
                    long ns = System.nanoTime() - t;
                    assertEquals(2 * objects, r.pointers(), r.toString());
                    System.out.printf("perf: ferrite  %d thread(s): %6.0f ms  (%s)%n", threads, ns / 1e6, r);
                    best[0][threads - 1] = Math.min(best[0][threads - 1], ns);
                }
                try (Media m = Media.open(file, MediaOptions.defaults().avoidAddress(baseOf()))) {
                    long t = System.nanoTime();
                    raw(m, slabs, perSlab, threads, 4096L * (1 + round));
                    long ns = System.nanoTime() - t;
                    System.out.printf("perf: raw loop %d thread(s): %6.0f ms%n", threads, ns / 1e6);
                    best[1][threads - 1] = Math.min(best[1][threads - 1], ns);
                    raw(m, slabs, perSlab, 1, -4096L * (1 + round)); // undo
                }
            }
        }
        for (int t = 0; t < 2; t++) {
            System.out.printf("perf: best of %d, %d thread(s): ferrite %.0f ms, raw %.0f ms, ratio %.2f%n", rounds, t + 1,
                    best[0][t] / 1e6, best[1][t] / 1e6, (double) best[0][t] / best[1][t]);
        }
    }

    private long baseOf() {
        try (Media m = Media.open(file, MediaOptions.defaults())) {
            return TestPool.attach(m, m.baseAddress()).poolBase();
        }
    }

    private static void build(Media m, int slabs, int perSlab, long objects) {
        long base = m.baseAddress();
        TestPool p = TestPool.format(m, base, SLAB_SIZE, slabs);
        MemorySegment seg = m.segment();
        long x = 0x9E3779B97F4A7C15L;
        for (int s = 0; s < slabs; s++) {
            p.formatSlab(s, TestPool.CELL);
            long n = Math.min(perSlab, objects - (long) s * perSlab);
            long bitmap = p.slabsOffset() + (long) s * SLAB_SIZE;
            for (int w = 0; w * 64L < n; w++) {
                long bits = n - w * 64L >= 64 ? -1L : (1L << (n - w * 64L)) - 1;
                seg.set(WORD, bitmap + 8L * w, bits);
            }
            long obj = p.objectsOffset(s);
            for (int i = 0; i < n; i++, obj += 64) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                long t = Math.floorMod(x, objects);
                long target = p.objectsOffset((int) (t / perSlab)) + (t % perSlab) * 64;
                seg.set(WORD, obj, base + target);
                seg.set(WORD, obj + 8, base + obj);
                seg.set(WORD, obj + 16, i);
            }
        }
        m.persist(0, m.size());
    }

    /** The physical limit: add delta to every pointer word, no flush, no state, no checks. */
    private static void raw(Media m, int slabs, int perSlab, int threads, long delta) throws InterruptedException {
        TestPool p = TestPool.attach(m, m.baseAddress());
        MemorySegment seg = m.segment();
        Thread[] ts = new Thread[threads];
        for (int k = 0; k < threads; k++) {
            int from = slabs * k / threads;
            int to = slabs * (k + 1) / threads;
            ts[k] = Thread.ofPlatform().start(() -> {
                for (int s = from; s < to; s++) {
                    long obj = p.objectsOffset(s);
                    int n = p.objectCount(s);
                    for (int i = 0; i < n; i++, obj += 64) {
                        seg.set(WORD, obj, seg.get(WORD, obj) + delta);
                        seg.set(WORD, obj + 8, seg.get(WORD, obj + 8) + delta);
                    }
                }
            });
        }
        for (Thread t : ts) {
            t.join();
        }
    }
}
