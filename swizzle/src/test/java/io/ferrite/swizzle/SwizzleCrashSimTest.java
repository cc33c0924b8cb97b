package io.ferrite.swizzle;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.media.CrashSimMedia;
import io.ferrite.media.Media;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Crash simulation during swizzling (DESIGN.md section 10): at every fence of a swizzle, at least
 * {@value #IMAGES_PER_FENCE} images a power failure could leave; each is recovered at yet another
 * base (overlapping the previous range or not), sometimes crashing again during that recovery and
 * recovering the second image at a third base. Some crashes are process crashes: the recovery sees
 * every store of the crashed run while only the image is persistent, and then loses power. Every recovery must end with the original logical
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
                    recover(img, cm.segment(), imageSeed, b1, size, expected, 0,
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

    /**
     * Recovers one image at a new base, sometimes crashing during that recovery too. Closes
     * {@code img}. With {@code live} (the crashed run's visible memory) the crash may be a process
     * crash: the recovery then sees every store of the crashed run although only {@code img} is
     * persistent, and a power failure during or right after the recovery must still leave a
     * recoverable pool.
     */
    private void recover(Media img, MemorySegment live, long imageSeed, long previousBase, long size, long[] expected,
            int depth, String ctx) {
        Random r = new Random(imageSeed);
        long hint = img.segment().get(Pointers.WORD, TestPool.POOL_BASE_OFFSET);
        long b = switch (r.nextInt(8)) {
            case 0, 1 -> hint > 0 ? hint : previousBase;  // the address hint (pool base P) was free: the usual restart
            case 2 -> previousBase;                      // where the crashed run was going
            case 3 -> img.baseAddress();                 // wherever the kernel put it
            default -> Checks.pickBase(r, previousBase, size);
        };
        boolean processCrash = live != null && r.nextInt(3) == 0;
        String here = ctx + String.format(" recovered at 0x%x (depth %d%s)", b, depth,
                processCrash ? ", after a process crash" : "");
        images++;
        if (processCrash || depth < MAX_DEPTH && r.nextInt(3) == 0) {
            Media[] captured = new Media[2];
            int at = 1 + r.nextInt(12);
            long captureSeed = r.nextLong();
            try (CrashSimMedia cm2 = new CrashSimMedia(img)) {
                if (processCrash) {
                    cm2.segment().copyFrom(live); // visible: everything; persistent: only img
                }
                cm2.onCrashPoint(cp -> {
                    if (cp.fence() == at) {
                        captured[0] = cp.image(new Random(captureSeed));
                    }
                });
                TestPool q = TestPool.attach(cm2, b);
                Swizzler.swizzle(q, options(r));
                cm2.onCrashPoint(null);
                Checks.assertIntact(q, expected, here);
                if (processCrash) {
                    captured[1] = cm2.crashPoint().image(new Random(captureSeed + 1)); // power fails right after
                }
            }
            for (int c = 0; c < 2; c++) {
                if (captured[c] != null) {
                    nested++;
                    recover(captured[c], null, Checks.mix(imageSeed, depth + 1 + c), b, size, expected, depth + 1,
                            here + (c == 0 ? " crashed at its fence " + at : " lost power right after"));
                }
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
