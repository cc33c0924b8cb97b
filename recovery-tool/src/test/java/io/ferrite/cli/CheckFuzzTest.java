package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ferrite.pheap.format.Superblock;
import io.ferrite.pheap.format.SuperblockDescriptor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A seeded mutator over two base images made by the library (a cleanly closed bank and a crashed
 * one with redo records to replay): bit flips, runs of random bytes, zeroed blocks and truncation,
 * aimed at the superblocks, the type registry, the slab table, the log header and records, and
 * the slab headers, bitmaps and objects. {@code ferrite check} runs over every mutated pool in
 * this JVM, each under a time bound: it must answer 0, 4 or 8 with no uncaught exception and no
 * "internal error". Every fifth pool also gets {@code check --repair}: a pool that checked clean
 * must come out byte for byte unchanged, and a repair that says "repaired" must leave a pool that
 * checks clean.
 *
 * <p>{@code -Dferrite.fuzz.pools=N} (default 2000) and {@code -Dferrite.fuzz.seed=S} replay or
 * widen a run; a failure names the seed and the pool number.
 */
class CheckFuzzTest {
    static final int POOLS = Integer.getInteger("ferrite.fuzz.pools", 2000);
    static final long SEED = Long.getLong("ferrite.fuzz.seed", 20261121L);
    static final Duration BOUND = Duration.ofSeconds(20);

    /** [start, end) ranges of one base image, by structure. */
    record Regions(long[][] ranges, String[] names) {
    }

    @Test
    void checkSurvivesMutatedPools() throws Exception {
        Path cleanPool = TestPools.bank("fuzz-base", 20);
        Path crashPool = TestPools.crashed("fuzz-crash", 20, 30);
        Path work = TestPools.fresh("fuzz");
        try {
            byte[][] bases = {Files.readAllBytes(cleanPool), Files.readAllBytes(crashPool)};
            Regions[] regions = {regions(bases[0]), regions(bases[1])};
            Random rnd = new Random(SEED);
            long t0 = System.nanoTime();
            int[] exits = new int[9];
            int repairs = 0;
            int repaired = 0;
            int cleanRepairs = 0;
            for (int i = 0; i < POOLS; i++) {
                int b = rnd.nextInt(2);
                byte[] img = bases[b].clone();
                String what = mutate(img, regions[b], rnd);
                long size = what.startsWith("truncate") ? Long.parseLong(what.substring(what.indexOf('@') + 1)) : img.length;
                write(work, img, size);
                String ctx = "seed " + SEED + " pool " + i + " (" + (b == 0 ? "clean" : "crashed") + " base, " + what + ")";
                TestPools.Run r = bounded(ctx, work.toString());
                verdict(ctx, r);
                exits[r.exit()]++;
                if (i % 5 == 0) {
                    repairs++;
                    byte[] before = r.exit() == 0 ? Files.readAllBytes(work) : null;
                    TestPools.Run rep = bounded(ctx, "--repair", work.toString());
                    verdict(ctx + " --repair", rep);
                    TestPools.Run after = bounded(ctx, work.toString());
                    verdict(ctx + " check after --repair", after);
                    if (r.exit() == 0) {
                        cleanRepairs++;
                        assertEquals(0, rep.exit(), ctx + ": --repair on a clean pool: " + rep);
                        assertArrayEquals(before, Files.readAllBytes(work), ctx + ": --repair changed a clean pool");
                    }
                    if (rep.exit() == 1) {
                        repaired++;
                        assertEquals(0, after.exit(), ctx + ": repaired, but check after the repair: " + after + "\nrepair: " + rep);
                    }
                    if (rep.exit() == 0) {
                        assertEquals(0, after.exit(), ctx + ": --repair said clean, check says: " + after);
                    }
                    TestPools.delete(work);
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("cli fuzz: %d mutated pools checked (exit 0: %d, 4: %d, 8: %d; --repair on %d of them: %d repaired,"
                    + " %d clean pools left unchanged) in %.1f s, seed %d%n", POOLS, exits[0], exits[4], exits[8], repairs, repaired,
                    cleanRepairs, secs, SEED);
            assertTrue(exits[4] > POOLS / 4, "the mutator should damage most pools: " + Arrays.toString(exits));
        } finally {
            TestPools.delete(cleanPool);
            TestPools.delete(crashPool);
            TestPools.delete(work);
        }
    }

    private static TestPools.Run bounded(String ctx, String... args) {
        return assertTimeoutPreemptively(BOUND, () -> TestPools.runCheck(args), () -> ctx + ": `ferrite check " + String.join(" ", args)
                + "` did not finish within " + BOUND);
    }

    private static void verdict(String ctx, TestPools.Run r) {
        if (r.exit() != 0 && r.exit() != 1 && r.exit() != 4 && r.exit() != 8) {
            fail(ctx + ": exit " + r.exit() + ": " + r);
        }
        assertFalse(r.err().contains("internal error"), () -> ctx + ": " + r);
        assertFalse(r.err().contains("\tat "), () -> ctx + ": " + r);
    }

    static void write(Path p, byte[] img, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(img, 0, (int) size);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
    }

    static Regions regions(byte[] img) {
        MemorySegment s = java.lang.foreign.Arena.ofAuto().allocate(img.length, 8);
        MemorySegment.copy(MemorySegment.ofArray(img), 0, s, 0, img.length);
        Superblock a = Superblock.read(s, SuperblockDescriptor.A_OFFSET);
        Superblock b = Superblock.read(s, SuperblockDescriptor.B_OFFSET);
        Superblock sb = a.sequence() >= b.sequence() ? a : b;
        long regUsed = s.get(io.ferrite.pheap.format.Le.U64, sb.registryOffset() + 16);
        long ring = sb.logOffset() + 4096;
        // the used part of the ring: up to the last non-zero byte (the pool is small and young)
        long ringEnd = ring;
        for (long o = sb.logOffset() + sb.logLength() - 8; o >= ring; o -= 8) {
            if (s.get(io.ferrite.pheap.format.Le.U64, o) != 0) {
                ringEnd = o + 8;
                break;
            }
        }
        long slabsUsed = sb.slabAreaOffset() + 3L * sb.slabSize();
        return new Regions(new long[][] {
            {0, SuperblockDescriptor.LENGTH},
            {SuperblockDescriptor.B_OFFSET, SuperblockDescriptor.B_OFFSET + SuperblockDescriptor.LENGTH},
            {sb.registryOffset(), sb.registryOffset() + 64 + regUsed},
            {sb.slabTableOffset(), sb.slabTableOffset() + 32L * sb.slabCount()},
            {sb.logOffset(), sb.logOffset() + 256},
            {ring, Math.max(ring + 64, ringEnd + 64)},
            {sb.slabAreaOffset(), slabsUsed},
            {0, img.length}},
            new String[] {"superblock A", "superblock B", "registry", "slab table", "log header", "log records", "slabs", "anywhere"});
    }

    /** Mutates {@code img} in place; returns what it did (a truncation is "truncate ...@size"). */
    static String mutate(byte[] img, Regions r, Random rnd) {
        int[] weights = {14, 10, 18, 14, 6, 18, 14, 6};
        int pick = rnd.nextInt(100);
        int region = 0;
        for (int acc = weights[0]; pick >= acc; acc += weights[++region]) {
            // find the region
        }
        long[] range = r.ranges[region];
        int len = (int) (range[1] - range[0]);
        int kind = rnd.nextInt(10);
        if (kind < 5) {
            int flips = 1 + rnd.nextInt(3);
            StringBuilder sb = new StringBuilder("bit flips in " + r.names[region] + ":");
            for (int f = 0; f < flips; f++) {
                int at = (int) range[0] + rnd.nextInt(len);
                int bit = rnd.nextInt(8);
                img[at] ^= (byte) (1 << bit);
                sb.append(' ').append(at).append('.').append(bit);
            }
            return sb.toString();
        } else if (kind < 8) {
            int n = 1 + rnd.nextInt(Math.min(64, len));
            int at = (int) range[0] + rnd.nextInt(len - n + 1);
            for (int k = 0; k < n; k++) {
                img[at + k] = (byte) rnd.nextInt(256);
            }
            return "random run of " + n + " bytes in " + r.names[region] + " at " + at;
        } else if (kind < 9) {
            int n = Math.min(len, 8 << rnd.nextInt(9));
            int at = (int) range[0] + (rnd.nextInt(len - n + 1) & ~7);
            Arrays.fill(img, at, at + n, (byte) 0);
            return "zeroed " + n + " bytes in " + r.names[region] + " at " + at;
        }
        long cut = rnd.nextBoolean() ? range[0] + rnd.nextInt(len) : 1 + rnd.nextInt(img.length - 1);
        return "truncate to " + cut + " bytes @" + cut;
    }
}
