package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ferrite.media.Media;
import io.ferrite.media.MediaOptions;
import io.ferrite.swizzle.RecordedBaseDescriptor;
import io.ferrite.swizzle.VerifyReport;
import io.ferrite.testsupport.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * SIGKILL during the swizzle of a heap pool of {@code ferrite.heapSwizzle.killPoolMiB} (default
 * 256) MiB holding about two million 64-byte objects with two pointers each (random targets across
 * slabs, self-pointers, nulls): a child JVM opens it with forced relocation (so its open swizzles
 * every pointer) and the parent kills it with {@code kill -9} at a random moment of that open, then
 * opens the pool itself (at the recorded base, forced elsewhere, or at a range overlapping the
 * recorded one), verifies the pointers and samples the graph; the whole graph is compared at the
 * end. The first open is not killed: it measures how long the child's open and its swizzle take, and
 * the kills are then spread uniformly over that swizzle window. Rounds go on until at least {@code
 * ferrite.heapSwizzle.kills} (default 10) kills have been made and at least {@code
 * ferrite.heapSwizzle.midKills} (default 3) of them left the pool mid-swizzle, so the outcome does not
 * depend on the machine's speed; after {@code ferrite.heapSwizzle.maxRounds} (default 40) rounds the
 * test fails saying how many kills landed where. {@code -Dferrite.heapSwizzle.kill=false} skips it.
 */
class HeapSwizzleKillTest {
    static final PType CELL = PType.builder("KCell").int64("id").pointer("a", "KCell").pointer("b", "KCell").int64("x1")
            .int64("x2").int64("x3").int64("x4").int64("x5").build();
    static final PField ID = CELL.field("id");
    static final PField A = CELL.field("a");
    static final PField B = CELL.field("b");
    static final PType ROOT = PType.builder("KCRoot").pointer("first", "KCell").int64("n").build();

    static HeapOptions options() {
        return HeapOptions.defaults().checkpointInterval(java.time.Duration.ZERO);
    }

    /** The child: opens the pool with forced relocation, says when it starts and when it is done. */
    public static void main(String[] args) {
        Path path = Path.of(args[0]);
        // load the classes of a relocating open first, so that the open of the pool is mostly its swizzle
        try (Media m0 = Media.inMemory(8L << 20); Media m1 = Media.inMemory(8L << 20)) {
            try (Heap h = Heap.create(m0, options())) {
                try (Tx tx = h.begin()) {
                    tx.setRef(tx.root(ROOT), ROOT.field("first"), tx.allocate(CELL));
                    tx.commit();
                }
            }
            m1.segment().copyFrom(m0.segment());
            Heap.open(m1, options()).close();
        }
        System.out.println("opening");
        System.out.flush();
        try (Heap h = Heap.open(path, options().forceRelocation(true).swizzleParallelism(Integer.parseInt(args[1])))) {
            System.out.println("opened " + h.recoveryReport().swizzle().nanos() + " " + h.recoveryReport().swizzle());
            System.out.flush();
        }
        System.out.println("closed");
        System.out.flush();
    }

    @Test
    void killedRelocatingOpensRecover() throws Exception {
        assumeTrue(Boolean.parseBoolean(System.getProperty("ferrite.heapSwizzle.kill", "true")), "disabled");
        long poolMiB = Integer.getInteger("ferrite.heapSwizzle.killPoolMiB", 256);
        int minKills = Integer.getInteger("ferrite.heapSwizzle.kills", 10);
        int minMid = Integer.getInteger("ferrite.heapSwizzle.midKills", 3);
        int maxRounds = Integer.getInteger("ferrite.heapSwizzle.maxRounds", 40);
        long seed = Long.getLong("ferrite.test.seed", System.nanoTime());
        System.out.println("HeapSwizzleKillTest seed=" + seed);
        Random rnd = new Random(seed);
        long size = poolMiB << 20;
        long t0 = System.nanoTime();
        try (Pools p = new Pools("swizzle-kill")) {
            int n;
            long[] offs;
            int[] aIdx;
            int[] bIdx;
            try (Heap h = Heap.create(p.path, size, options())) {
                n = (int) ((size / 2) / CELL.size());
                offs = new long[n];
                aIdx = new int[n];
                bIdx = new int[n];
                build(h, rnd, offs, aIdx, bIdx);
            }
            long built = System.nanoTime();
            long fullOpenMs = -1;
            long swizzleMs = -1;
            int kills = 0;
            int midSwizzle = 0;
            int round = 0;
            boolean done = false;
            for (; !done; round++) {
                String ctx = "seed " + seed + " round " + round;
                Process child = new ProcessBuilder(ChildJvm.command(List.of("-Xmx128m", "-XX:TieredStopAtLevel=1"), HeapSwizzleKillTest.class,
                        p.path.toString(), String.valueOf(1 + rnd.nextInt(2)))).redirectErrorStream(true).start();
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                List<String> lines = new ArrayList<>();
                String line;
                long started = 0;
                while ((line = out.readLine()) != null) {
                    lines.add(line);
                    if (line.equals("opening")) {
                        started = System.nanoTime();
                        break;
                    }
                }
                assertTrue(started != 0, ctx + ": the child did not start: " + lines);
                boolean killed = false;
                if (round == 0) {
                    // a full relocating open, to learn how long it takes
                    while ((line = out.readLine()) != null) {
                        lines.add(line);
                        if (line.startsWith("opened")) {
                            fullOpenMs = Math.max(1, (System.nanoTime() - started) / 1_000_000);
                            swizzleMs = Math.max(1, Long.parseLong(line.split(" ")[1]) / 1_000_000);
                        }
                    }
                    assertTrue(child.waitFor(120, TimeUnit.SECONDS), ctx + ": the child hangs");
                    assertEquals(0, child.exitValue(), ctx + ": " + lines);
                    assertTrue(fullOpenMs > 0, ctx + ": " + lines);
                } else {
                    // aim at the swizzle, the last part of the open: uniformly over the window measured in round 0
                    long before = Math.max(0, fullOpenMs - swizzleMs);
                    Thread.sleep(before + rnd.nextLong(swizzleMs + 1));
                    killed = child.isAlive();
                    child.destroyForcibly(); // SIGKILL
                    assertTrue(child.waitFor(60, TimeUnit.SECONDS));
                }
                try {
                    while ((line = out.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException closedByKill) {
                    // the child's output ends with it
                }
                boolean opened = lines.stream().anyMatch(l -> l.startsWith("opened"));
                boolean mid = false;
                long recorded;
                try (Media m = Media.open(p.path, MediaOptions.defaults().readOnly(true))) {
                    PoolSwizzleView v = PoolSwizzleView.read(m);
                    recorded = v.poolBase();
                    for (int s = 0; s < v.slabCount() && !mid; s++) {
                        mid = v.slabType(s) >= 0 && v.recordedBase(s) != RecordedBaseDescriptor.at(recorded);
                    }
                }
                if (killed) {
                    kills++;
                    if (mid) {
                        midSwizzle++;
                    }
                }
                done = (kills >= minKills && midSwizzle >= minMid) || round + 1 >= maxRounds;
                HeapOptions o = options().swizzleParallelism(1 + rnd.nextInt(2));
                switch (rnd.nextInt(3)) {
                    case 0 -> { } // the recorded base as the hint: the usual restart
                    case 1 -> o.forceRelocation(true);
                    default -> o.forceRelocation(true).addressHint(recorded + (rnd.nextBoolean() ? 1 : -1) * ((size / 2) & ~4095L));
                }
                try (Heap h = Heap.open(p.path, o)) {
                    String here = ctx + String.format(" (child %s%s, reopened at 0x%x: %s)", killed ? "killed" : "finished",
                            mid ? " mid-swizzle" : "", h.baseAddress(), h.recoveryReport().swizzle());
                    assertTrue(!mid || h.recoveryReport().relocated(), here);
                    assertEquals(0, h.recoveryReport().swizzle().suspectWords(), here);
                    VerifyReport vr = h.verifyPointers(20);
                    assertTrue(vr.isClean(), here + ": " + vr + " " + vr.problems());
                    checkGraph(h, offs, aIdx, bIdx, done ? 1 : 97, here);
                }
            }
            String summary = String.format("heap swizzle kill: %d MiB pool, %,d objects, %d rounds, %d kills, %d during the "
                    + "swizzle (full relocating open in the child %d ms, its swizzle %d ms), build %.1f s, total %.1f s", poolMiB, n,
                    round, kills, midSwizzle, fullOpenMs, swizzleMs, (built - t0) / 1e9, (System.nanoTime() - t0) / 1e9);
            System.out.println(summary);
            assertTrue(kills >= minKills && midSwizzle >= minMid, "seed " + seed + ": after " + round + " rounds (the cap, "
                    + "ferrite.heapSwizzle.maxRounds=" + maxRounds + ") only " + kills + " kills of the " + minKills + " wanted, "
                    + midSwizzle + " of the " + minMid + " wanted mid-swizzle; the kills are aimed at the child's swizzle window "
                    + "measured in round 0, so the child's open timing varies a lot on this machine: " + summary);
        }
    }

    /** n cells: a to a random earlier cell (or null), b to itself or null; a few cells link forward. */
    private static void build(Heap h, Random rnd, long[] offs, int[] aIdx, int[] bIdx) {
        int n = offs.length;
        int perTx = 8192;
        for (int from = 0; from < n; from += perTx) {
            try (Tx tx = h.begin()) {
                Ref root = tx.root(ROOT);
                for (int i = from; i < Math.min(n, from + perTx); i++) {
                    Ref c = tx.allocate(CELL);
                    offs[i] = c.offset();
                    tx.setLong(c, ID, i);
                    aIdx[i] = i == 0 || rnd.nextInt(16) == 0 ? -1 : rnd.nextInt(i);
                    if (aIdx[i] >= 0) {
                        tx.setRef(c, A, new Ref(offs[aIdx[i]], CELL));
                    }
                    bIdx[i] = rnd.nextInt(3) == 0 ? -1 : i;
                    if (bIdx[i] >= 0) {
                        tx.setRef(c, B, c);
                    }
                }
                tx.setLong(root, ROOT.field("n"), Math.min(n, from + perTx));
                if (from == 0) {
                    tx.setRef(root, ROOT.field("first"), new Ref(offs[0], CELL));
                }
                tx.commit();
            }
        }
        try (Tx tx = h.begin()) {
            for (int k = 0; k < 4096; k++) {
                int i = rnd.nextInt(n);
                bIdx[i] = rnd.nextInt(n);
                tx.setRef(new Ref(offs[i], CELL), B, new Ref(offs[bIdx[i]], CELL));
            }
            tx.commit();
        }
    }

    private static void checkGraph(Heap h, long[] offs, int[] aIdx, int[] bIdx, int step, String ctx) {
        for (int i = 0; i < offs.length; i += step) {
            Ref c = new Ref(offs[i], CELL);
            assertEquals(i, h.getLong(c, ID), ctx + ": cell " + i);
            Ref a = h.getRef(c, A);
            assertEquals(aIdx[i] < 0 ? 0 : offs[aIdx[i]], a == null ? 0 : a.offset(), ctx + ": cell " + i + " a");
            Ref b = h.getRef(c, B);
            assertEquals(bIdx[i] < 0 ? 0 : offs[bIdx[i]], b == null ? 0 : b.offset(), ctx + ": cell " + i + " b");
        }
    }
}
