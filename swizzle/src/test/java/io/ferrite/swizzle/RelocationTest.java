package io.ferrite.swizzle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.media.Media;
import io.ferrite.media.MediaOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A random graph in a pool file on /dev/shm, closed and mapped again many times at other
 * addresses: overlapping the old range by less than the pool size (address hint old ± delta),
 * forced elsewhere ({@code avoidAddress}), and at the same address. After each open and swizzle
 * the logical graph equals the original; between relocations some pointers are rewritten at the
 * current base, so later relocations also move pointers written after an earlier swizzle.
 */
class RelocationTest {
    static final int SLAB_SIZE = 16 * 1024;
    static final int SLABS = 48;
    static final int ROUNDS = 40;

    private final Path file = Path.of(System.getProperty("java.io.tmpdir", "/dev/shm"),
            "ferrite-swizzle-reloc-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + ".pool");

    @AfterEach
    void delete() throws IOException {
        Files.deleteIfExists(file);
    }

    @Test
    void graphSurvivesManyRelocationsIncludingOverlappingRanges() {
        long seed = Long.getLong("ferrite.swizzle.relocSeed", 42);
        Random rnd = new Random(seed);
        long size = TestPool.sizeFor(SLAB_SIZE, SLABS);
        long[] expected;
        long base;
        // a quiet part of the address space, so that hints next to the old range are free
        long quiet = 0x3a00_0000_0000L + ((long) rnd.nextInt(1 << 16) << 24);
        try (Media m = Media.create(file, size, MediaOptions.defaults().addressHint(quiet))) {
            base = m.baseAddress();
            TestPool p = TestPool.random(m, base, SLAB_SIZE, SLABS, rnd);
            expected = p.logical();
            Checks.assertIntact(p, expected, "fresh pool");
        }
        int overlapping = 0;
        int disjoint = 0;
        int same = 0;
        for (int round = 0; round < ROUNDS; round++) {
            // hints keep the pool in its quiet range; the last round forces relocation wherever the kernel likes
            int how = round == ROUNDS - 1 ? 3 : rnd.nextInt(6);
            how = how == 3 && round != ROUNDS - 1 ? 4 : how;
            MediaOptions o = MediaOptions.defaults();
            long delta = (1 + rnd.nextInt((int) (size / Checks.PAGE) - 1)) * Checks.PAGE;
            switch (how) {
                case 0, 1 -> o.addressHint(base + delta);
                case 2 -> o.addressHint(base - delta);
                case 3 -> o.avoidAddress(base);
                case 4 -> o.addressHint(base + (rnd.nextBoolean() ? 1 : -1) * (size + delta * (1 + rnd.nextInt(64))));
                default -> o.addressHint(base);
            }
            String ctx = "seed=" + seed + " round=" + round;
            try (Media m = Media.open(file, o)) {
                long now = m.baseAddress();
                TestPool p = TestPool.attach(m, now);
                SwizzleReport r = Swizzler.swizzle(p, SwizzleOptions.defaults().parallelism(1 + round % 2)
                        .batchBytes(rnd.nextBoolean() ? SLAB_SIZE : 1L << 20));
                if (how == 3) {
                    assertNotEquals(base, now, ctx + ": avoidAddress must force relocation");
                }
                if (now == base) {
                    same++;
                    assertTrue(r.nothingToDo(), ctx + ": " + r);
                } else {
                    assertNotEquals(0, r.pointers(), ctx + ": " + r);
                    if (Math.abs(now - base) < size) {
                        overlapping++;
                        assertEquals(0, r.onePassSlabs(), ctx + ": overlapping ranges cannot move in one pass: " + r);
                    } else {
                        disjoint++;
                        assertEquals(0, r.twoPassSlabs(), ctx + ": disjoint ranges move in one pass: " + r);
                    }
                }
                assertEquals(0, r.suspectWords(), ctx + ": " + r);
                Checks.assertIntact(p, expected, ctx + String.format(" 0x%x -> 0x%x", base, now));
                p.mutate(rnd, 20);
                expected = p.logical();
                base = now;
            }
        }
        System.out.printf("swizzle relocation: %d rounds: %d overlapping, %d disjoint, %d at the same base%n", ROUNDS,
                overlapping, disjoint, same);
        assertTrue(overlapping >= ROUNDS / 5, "too few overlapping relocations: " + overlapping);
        assertTrue(disjoint >= 1, "no disjoint relocation");
    }
}
