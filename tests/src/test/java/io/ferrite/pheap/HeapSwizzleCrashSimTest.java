package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.media.CrashSimMedia;
import io.ferrite.media.Media;
import io.ferrite.swizzle.RecordedBaseDescriptor;
import io.ferrite.swizzle.SwizzleOptions;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Crash simulation of a heap-level relocation (DESIGN.md section 10): a pool holding a random
 * graph (built through transactions; sometimes left by a crash with redo records still to replay)
 * is copied into fresh crashsim media, which lives at another address, and opened there: replay,
 * checkpoint, swizzle, slab retirement. At every fence of that open at least
 * {@value #IMAGES_PER_FENCE} images of what a power failure could leave are opened again, each
 * at yet another address (a fresh in-memory copy); a third of them crash once more during that
 * recovery, and the image of that second crash is recovered as well. Every recovery ends with
 * the model's graph, every slab at the new base and verification clean.
 *
 * <p>{@code -Dferrite.heapSwizzle.crashImages=N} sets the minimum number of images (default 2,000;
 * swizzle's own SwizzleCrashSimTest checks over 10,000 more on its synthetic pools);
 * {@code -Dferrite.test.seed=S} the first scenario seed.
 */
class HeapSwizzleCrashSimTest {
    static final int IMAGES_PER_FENCE = 16;
    static final long SIZE = 6L << 20;

    private long crashPoints;
    private long images;
    private long nested;
    /** Images in which some slab is between two states of a swizzle (SHIFT or MIXED). */
    private long midSwizzle;

    static HeapOptions options(Random rnd) {
        return HeapOptions.defaults().slabSize(32 * 1024).logCapacity(1024 * 1024).checkpointInterval(Duration.ZERO)
                .swizzleParallelism(1 + rnd.nextInt(2));
    }

    @Test
    void everyImageOfARelocatingOpenRecovers() {
        long minImages = Long.getLong("ferrite.heapSwizzle.crashImages", 2_000);
        long seed0 = Long.getLong("ferrite.test.seed", System.nanoTime());
        System.out.println("HeapSwizzleCrashSimTest seed=" + seed0 + " (rerun with -Dferrite.test.seed=" + seed0 + ")");
        String oldBatch = System.getProperty(SwizzleOptions.BATCH_BYTES_PROP_NAME);
        long t0 = System.nanoTime();
        int scenarios = 0;
        try {
            while (images < minImages) {
                // small batches: more fences inside the swizzle, so more crash points
                System.setProperty(SwizzleOptions.BATCH_BYTES_PROP_NAME, scenarios % 2 == 0 ? "1" : String.valueOf(256 * 1024));
                scenario(seed0 + scenarios, scenarios % 3 != 2);
                scenarios++;
            }
        } finally {
            if (oldBatch == null) {
                System.clearProperty(SwizzleOptions.BATCH_BYTES_PROP_NAME);
            } else {
                System.setProperty(SwizzleOptions.BATCH_BYTES_PROP_NAME, oldBatch);
            }
        }
        System.out.printf("heap swizzle crashsim: %d crash points, %d images checked (%d caught mid-swizzle, %d recovered "
                + "after a second crash), %d scenarios, %.1f s%n", crashPoints, images, midSwizzle, nested, scenarios,
                (System.nanoTime() - t0) / 1e9);
        assertTrue(images >= crashPoints * IMAGES_PER_FENCE);
        assertTrue(midSwizzle > images / 10, "images with slabs half-way through a swizzle: " + midSwizzle);
    }

    private void scenario(long seed, boolean crashed) {
        Random rnd = new Random(seed);
        HeapRelocationTest model = new HeapRelocationTest();
        String ctx = "scenario seed " + seed + (crashed ? " (log to replay)" : " (clean close)");
        try (Media m0 = Media.inMemory(SIZE)) {
            Heap h = Heap.create(m0, options(rnd));
            for (int i = 0; i < 12; i++) {
                model.mutate(h, rnd, 30);
            }
            if (crashed) {
                h.checkpoint();
                for (int i = 0; i < 4; i++) {
                    model.mutate(h, rnd, 15);
                }
                h.crashForTesting();
            } else {
                h.close();
            }
            long oldBase = m0.baseAddress();
            Media m1 = Media.inMemory(SIZE); // another address: the open relocates
            m1.segment().copyFrom(m0.segment());
            try (CrashSimMedia cm = new CrashSimMedia(m1)) {
                String at = ctx + String.format(" 0x%x -> 0x%x", oldBase, cm.baseAddress());
                cm.onCrashPoint(cp -> {
                    crashPoints++;
                    for (int k = 0; k < IMAGES_PER_FENCE; k++) {
                        long imageSeed = seed * 1_000_003L + cp.fence() * 131L + k;
                        recover(cp.image(new Random(imageSeed)), model, imageSeed, 0,
                                at + " fence " + cp.fence() + " image " + k + " (image seed " + imageSeed + ")");
                    }
                });
                Heap r = Heap.open(cm, options(rnd));
                cm.onCrashPoint(null);
                try {
                    assertTrue(r.recoveryReport().relocated(), at + ": " + r.recoveryReport());
                    model.assertGraph(r, at + " (no crash)");
                } finally {
                    r.crashForTesting();
                }
            }
        }
    }

    /** Opens one image (closing it), sometimes crashing that open too and recovering its image. */
    private void recover(Media img, HeapRelocationTest model, long imageSeed, int depth, String ctx) {
        Random r = new Random(imageSeed ^ 0x9E3779B97F4A7C15L);
        images++;
        PoolSwizzleView v = PoolSwizzleView.read(img);
        for (int s = 0; s < v.slabCount(); s++) {
            if (v.slabType(s) >= 0 && RecordedBaseDescriptor.state(v.recordedBase(s)) != RecordedBaseDescriptor.STATE_AT) {
                midSwizzle++;
                break;
            }
        }
        if (depth == 0 && r.nextInt(3) == 0) {
            Media[] captured = new Media[1];
            int at = 1 + r.nextInt(8);
            long captureSeed = r.nextLong();
            try (CrashSimMedia cm2 = new CrashSimMedia(img)) {
                cm2.onCrashPoint(cp -> {
                    if (cp.fence() == at) {
                        captured[0] = cp.image(new Random(captureSeed));
                    }
                });
                Heap h = open(cm2, r, ctx);
                cm2.onCrashPoint(null);
                try {
                    model.assertGraph(h, ctx);
                } finally {
                    h.crashForTesting();
                }
            }
            if (captured[0] != null) {
                nested++;
                recover(captured[0], model, captureSeed, depth + 1, ctx + ", recovery crashed at its fence " + at);
            }
        } else {
            try (img) {
                Heap h = open(img, r, ctx);
                try {
                    model.assertGraph(h, ctx);
                } finally {
                    h.crashForTesting();
                }
            }
        }
    }

    private static Heap open(Media m, Random r, String ctx) {
        try {
            return Heap.open(m, options(r));
        } catch (RuntimeException e) {
            throw new AssertionError(ctx + ": the image does not open", e);
        }
    }
}
