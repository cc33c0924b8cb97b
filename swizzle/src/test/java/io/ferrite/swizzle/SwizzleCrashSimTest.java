package io.ferrite.swizzle;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.media.CrashSimMedia;
import io.ferrite.media.Media;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Crash simulation during swizzling (DESIGN.md section 10): at every fence of a swizzle, at least
 * {@value #IMAGES_PER_FENCE} images a power failure could leave; each is recovered at yet another
 * base (overlapping the previous range or not), sometimes crashing again during that recovery and
 * recovering the second image at a third base. Every recovery must end with the original logical
 * graph, every slab at the new base and verification clean.
 *
 * <p>{@code -Dferrite.swizzle.crashImages=N} sets the minimum number of images (default 10,000);
 * {@code -Dferrite.swizzle.crashSeed=S} the first scenario seed. Every failure names the scenario
 * seed, the fence and the image seed.
 */
class SwizzleCrashSimTest {
    static final int IMAGES_PER_FENCE = 16;
    static final int SLAB_SIZE = 2048;
    static final int SLABS = 24;
    static final int MAX_DEPTH = 3;

    private long crashPoints;
    private long images;
    private long nested;

    @Test
    void everyCrashImageRecoversAtAnyBase() {
        long minImages = Long.getLong("ferrite.swizzle.crashImages", 10_000);
        long seed0 = Long.getLong("ferrite.swizzle.crashSeed", 0x5EEDL);
        long t0 = System.nanoTime();
        int scenarios = 0;
        while (images < minImages) {
            scenario(seed0 + scenarios);
            scenarios++;
        }
        System.out.printf("swizzle crashsim: %d crash points, %d images checked (%d recovered after a second crash), "
                + "%d scenarios, %.1f s%n", crashPoints, images, nested, scenarios, (System.nanoTime() - t0) / 1e9);
        assertTrue(images >= minImages);
        assertTrue(crashPoints * IMAGES_PER_FENCE <= images);
    }

    private void scenario(long seed) {
        Random rnd = new Random(seed);
        long size = TestPool.sizeFor(SLAB_SIZE, SLABS);
        long b0 = Checks.randomBase(rnd);
        try (CrashSimMedia cm = CrashSimMedia.inMemory(size)) {
            TestPool p0 = TestPool.random(cm, b0, SLAB_SIZE, SLABS, rnd);
            long[] expected = p0.logical();
            if (rnd.nextInt(6) == 0) {
                // a stale pool base: the swizzle must first move P to where the slabs are
                p0.setPoolBaseRaw(Checks.pickBase(rnd, b0, size));
                cm.persist(TestPool.POOL_BASE_OFFSET, 8);
            }
            long b1 = Checks.pickBase(rnd, b0, size);
            TestPool p1 = TestPool.attach(cm, b1);
            SwizzleOptions opts = options(rnd);
            String ctx = String.format("scenario seed=%d (0x%x -> 0x%x, %d threads)", seed, b0, b1, opts.parallelism());
            cm.onCrashPoint(cp -> {
                crashPoints++;
                for (int k = 0; k < IMAGES_PER_FENCE; k++) {
                    long imageSeed = Checks.mix(Checks.mix(seed, cp.fence()), k);
                    Media img = cp.image(new Random(imageSeed));
                    recover(img, imageSeed, b1, size, expected, 0,
                            ctx + " fence=" + cp.fence() + " image=" + k + " imageSeed=" + imageSeed);
                }
            });
            Swizzler.swizzle(p1, opts);
            cm.onCrashPoint(null);
            Checks.assertIntact(p1, expected, ctx + " (no crash)");
        }
    }

    private static SwizzleOptions options(Random rnd) {
        return SwizzleOptions.defaults().parallelism(1 + rnd.nextInt(2))
                .batchBytes(rnd.nextInt(3) == 0 ? 4L * SLAB_SIZE : 1)
                .flushChunkBytes(rnd.nextBoolean() ? 64 + 8 * rnd.nextInt(64) : SwizzleOptions.FLUSH_CHUNK_BYTES_DEFAULT);
    }

    /** Recovers one image at a new base, sometimes crashing during that recovery too. Closes {@code img}. */
    private void recover(Media img, long imageSeed, long previousBase, long size, long[] expected, int depth, String ctx) {
        Random r = new Random(imageSeed);
        long b = r.nextInt(4) == 0 ? img.baseAddress() : Checks.pickBase(r, previousBase, size);
        String here = ctx + String.format(" recovered at 0x%x (depth %d)", b, depth);
        images++;
        if (depth < MAX_DEPTH && r.nextInt(3) == 0) {
            Media[] captured = new Media[1];
            int at = 1 + r.nextInt(12);
            long captureSeed = r.nextLong();
            try (CrashSimMedia cm2 = new CrashSimMedia(img)) {
                cm2.onCrashPoint(cp -> {
                    if (cp.fence() == at) {
                        captured[0] = cp.image(new Random(captureSeed));
                    }
                });
                TestPool q = TestPool.attach(cm2, b);
                Swizzler.swizzle(q, options(r));
                cm2.onCrashPoint(null);
                Checks.assertIntact(q, expected, here);
            }
            if (captured[0] != null) {
                nested++;
                recover(captured[0], Checks.mix(imageSeed, depth + 1), b, size, expected, depth + 1,
                        here + " crashed at its fence " + at);
            }
        } else {
            try (img) {
                TestPool q = TestPool.attach(img, b);
                Swizzler.swizzle(q, options(r));
                Checks.assertIntact(q, expected, here);
            }
        }
    }
}
