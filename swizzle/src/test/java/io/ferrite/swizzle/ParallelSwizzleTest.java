package io.ferrite.swizzle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ferrite.media.Media;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Swizzling on several threads writes exactly the bytes a sequential swizzle writes. */
class ParallelSwizzleTest {
    static final int SLAB_SIZE = 4096;
    static final int SLABS = 64;

    @Test
    void parallelEqualsSequential() {
        for (long seed = 1; seed <= 12; seed++) {
            Random rnd = new Random(seed);
            long size = TestPool.sizeFor(SLAB_SIZE, SLABS);
            long b0 = Checks.randomBase(rnd);
            long b1 = Checks.pickBase(rnd, b0, size);
            try (Media a = Media.inMemory(size); Media b = Media.inMemory(size)) {
                TestPool pa = TestPool.random(a, b0, SLAB_SIZE, SLABS, rnd);
                long[] expected = pa.logical();
                if (seed % 3 == 0) {
                    // half-way through a swizzle to a third base: slabs in every state
                    StopMedia.swizzleAndStop(a, Checks.pickBase(rnd, b0, size), 3 + rnd.nextInt(20), 1);
                }
                b.segment().copyFrom(a.segment());
                SwizzleReport ra = Swizzler.swizzle(TestPool.attach(a, b1), 1);
                SwizzleReport rb = Swizzler.swizzle(TestPool.attach(b, b1),
                        SwizzleOptions.defaults().parallelism(2 + (int) (seed % 3)).batchBytes(seed % 2 == 0 ? 1 : 3 * SLAB_SIZE));
                String ctx = "seed=" + seed + String.format(" 0x%x -> 0x%x", b0, b1);
                assertEquals(-1, a.segment().mismatch(b.segment()), ctx + ": parallel result differs");
                assertEquals(ra.pointers(), rb.pointers(), ctx);
                assertEquals(ra.objects(), rb.objects(), ctx);
                assertEquals(ra.slabs(), rb.slabs(), ctx);
                Checks.assertIntact(TestPool.attach(b, b1), expected, ctx);
            }
        }
    }
}
