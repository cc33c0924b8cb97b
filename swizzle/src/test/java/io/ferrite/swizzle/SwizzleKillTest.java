package io.ferrite.swizzle;

import static io.ferrite.swizzle.Pointers.WORD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ferrite.media.Media;
import io.ferrite.media.MediaOptions;
import io.ferrite.testsupport.ChildJvm;
import io.ferrite.testsupport.TempPools;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * SIGKILL during the swizzle of a pool of {@code ferrite.swizzle.killPoolMiB} (default 256) MiB:
 * a child JVM maps the pool at another base and swizzles it on two threads; the parent kills it
 * with {@code kill -9} at a random moment, then maps the pool at yet another base (overlapping the
 * child's range, or not), swizzles and checks that the graph is the original one and verification
 * is clean. {@code ferrite.swizzle.kills} rounds (default 10). Skipped with
 * {@code -Dferrite.swizzle.kill=false}.
 */
class SwizzleKillTest {
    static final int SLAB_SIZE = 1 << 20;

    private final Path file = TempPools.fresh("ferrite-swizzle-kill-", "swizzle");

    @AfterEach
    void delete() {
        TempPools.delete(file);
    }

    @Test
    void killedSwizzlesRecoverAtAnyBase() throws Exception {
        assumeTrue(Boolean.parseBoolean(System.getProperty("ferrite.swizzle.kill", "true")), "disabled");
        int slabs = Integer.getInteger("ferrite.swizzle.killPoolMiB", 256);
        int kills = Integer.getInteger("ferrite.swizzle.kills", 10);
        long seed = Long.getLong("ferrite.swizzle.killSeed", 77);
        Random rnd = new Random(seed);
        long size = TestPool.sizeFor(SLAB_SIZE, slabs);
        long base = 0x3b00_0000_0000L + ((long) rnd.nextInt(1 << 12) << 32);
        long[] expected;
        try (Media m = Media.create(file, size, MediaOptions.defaults().addressHint(base))) {
            base = m.baseAddress();
            build(TestPool.format(m, base, SLAB_SIZE, slabs), rnd);
            expected = TestPool.attach(m, base).logical();
        }
        long fullRunMs = -1;
        int midSwizzle = 0;
        for (int round = 0; round <= kills; round++) {
            String ctx = "seed=" + seed + " round=" + round;
            long childHint = base + (rnd.nextBoolean() ? 1 : -1) * (rnd.nextBoolean() ? size / 2 : 2 * size);
            Process child = new ProcessBuilder(ChildJvm.command(List.of("-Xmx512m"), Child.class, file.toString(),
                    Long.toString(childHint))).redirectErrorStream(true).start();
            List<String> lines = new ArrayList<>();
            long childBase = 0;
            boolean killed = false;
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                String line;
                long started = 0;
                while ((line = out.readLine()) != null) {
                    lines.add(line);
                    if (line.startsWith("swizzling ")) {
                        childBase = Long.parseLong(line.substring("swizzling ".length()));
                        started = System.nanoTime();
                        break;
                    }
                }
                assertTrue(childBase != 0, ctx + ": child did not start: " + lines);
                if (round == 0) {
                    assertTrue(child.waitFor(120, TimeUnit.SECONDS), ctx + ": child hangs");
                    fullRunMs = Math.max(1, (System.nanoTime() - started) / 1_000_000);
                } else {
                    Thread.sleep(rnd.nextLong(fullRunMs * 6 / 5 + 1));
                    killed = child.isAlive();
                    ChildJvm.kill(child); // SIGKILL
                }
                try {
                    while ((line = out.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException closedByKill) {
                    // the child's output ends with it
                }
            } finally {
                ChildJvm.kill(child); // also when an assertion above failed
            }
            boolean finished = lines.contains("done");
            if (killed && !finished) {
                midSwizzle++;
            }
            // restart at yet another base: the hint (P), overlapping the child's range, or far away
            MediaOptions o = MediaOptions.defaults();
            long delta = (1 + rnd.nextInt((int) (size / Checks.PAGE) - 1)) * Checks.PAGE;
            switch (rnd.nextInt(3)) {
                case 0 -> o.addressHint(base);
                case 1 -> o.addressHint(childBase + (rnd.nextBoolean() ? delta : -delta));
                default -> o.avoidAddress(childBase);
            }
            try (Media m = Media.open(file, o)) {
                TestPool p = TestPool.attach(m, m.baseAddress());
                SwizzleReport r = Swizzler.swizzle(p, 1 + rnd.nextInt(2));
                assertEquals(0, r.suspectWords(), ctx + ": " + r);
                Checks.assertIntact(p, expected, ctx + String.format(" (child 0x%x %s, then 0x%x)", childBase,
                        finished ? "finished" : "killed", m.baseAddress()));
                base = m.baseAddress();
            }
        }
        System.out.printf("swizzle kill: %d MiB pool, %d kills, %d during the swizzle (full child swizzle %d ms)%n",
                slabs, kills, midSwizzle, fullRunMs);
        assertTrue(midSwizzle >= kills / 3, "too few kills landed during the swizzle: " + midSwizzle);
    }

    /** Mostly CELL slabs (64-byte objects, two pointers) with random targets; some NODE, PAIR, BLOB slabs. */
    private static void build(TestPool p, Random rnd) {
        MemorySegment seg = p.segment();
        long base = p.base();
        int slabs = p.slabCount();
        for (int s = 0; s < slabs; s++) {
            p.formatSlab(s, s % 16 == 5 ? TestPool.BLOB : TestPool.CELL);
        }
        List<long[]> cells = new ArrayList<>();
        for (int s = 0; s < slabs; s++) {
            int n = p.objectCount(s);
            for (int i = 0; i < n; i++) {
                if (s % 7 != 3 || rnd.nextInt(3) > 0) {
                    p.setAllocated(s, i, true);
                    p.writeKey(s, i);
                    if (p.slabType(s) == TestPool.CELL && (i & 63) == 0) {
                        cells.add(new long[] {s, i});
                    }
                }
            }
        }
        for (int s = 0; s < slabs; s++) {
            if (p.slabType(s) != TestPool.CELL) {
                continue;
            }
            for (int i = 0; i < p.objectCount(s); i++) {
                if (!p.isAllocated(s, i)) {
                    continue;
                }
                long obj = p.objectOffset(s, i);
                long[] t = cells.get(rnd.nextInt(cells.size()));
                seg.set(WORD, obj, rnd.nextInt(10) == 0 ? 0 : base + p.objectOffset((int) t[0], (int) t[1]));
                seg.set(WORD, obj + 8, base + obj); // self
            }
        }
        p.media().persist(0, seg.byteSize());
    }

    /** The child: maps the pool near the hint, says where, swizzles, says done. */
    public static final class Child {
        public static void main(String[] args) {
            Path file = Path.of(args[0]);
            long hint = Long.parseLong(args[1]);
            try (Media m = Media.open(file, MediaOptions.defaults().addressHint(hint))) {
                TestPool p = TestPool.attach(m, m.baseAddress());
                System.out.println("swizzling " + m.baseAddress());
                System.out.flush();
                Swizzler.swizzle(p, 2);
                System.out.println("done");
                System.out.flush();
            }
        }
    }
}
