package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.testsupport.ChildJvm;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Process kill over growth: a child JVM commits into a pool that grows by 4 slabs about every 8
 * commits and prints each commit and each new pool size after they return; the parent kills it
 * with SIGKILL at a random moment, reopens the pool and checks that every printed commit is there,
 * the pool is at least the last printed size and no larger than its file, and the list is whole.
 * Kills land at random points, many of them inside or next to a growth (the child grows
 * continually), not at chosen fences: the crash simulation covers every fence.
 */
class GrowthKillTest {
    static final PType NODE = PType.builder("GKNode").int64("key").int64("check").pointer("next", "GKNode")
            .pointer("data", PType.ANY_BLOB).build();
    static final PType ROOT = PType.builder("GKRoot").pointer("head", "GKNode").int64("n").build();
    static final int SLAB = 16 * 1024;
    static final long INITIAL = (2L << 20) + 4 * SLAB;
    static final long MAX = 256L << 20;

    static HeapOptions options(long checkpointMs) {
        return HeapOptions.defaults().slabSize(SLAB).logCapacity(256 * 1024).maxSize(MAX).growthIncrement(4 * SLAB)
                .checkpointInterval(java.time.Duration.ofMillis(checkpointMs));
    }

    /** The child: commits forever, printing "C n" after commit n returns and "S size" when the pool grew. */
    public static void main(String[] args) {
        Path path = Path.of(args[0]);
        HeapOptions o = options(Long.parseLong(args[1]));
        try (Heap h = Files.exists(path) ? Heap.open(path, o) : Heap.create(path, INITIAL, o)) {
            Ref root = h.root(ROOT);
            long size = h.poolSize();
            while (true) {
                long i;
                try (Tx tx = h.begin()) {
                    i = tx.getLong(root, ROOT.field("n")) + 1;
                    Ref x = tx.allocate(NODE);
                    tx.setLong(x, NODE.field("key"), i);
                    tx.setLong(x, NODE.field("check"), ~i);
                    tx.setRef(x, NODE.field("next"), tx.getRef(root, ROOT.field("head")));
                    tx.setRef(x, NODE.field("data"), tx.allocateBytes(new byte[6000 + (int) (i % 2000)]));
                    tx.setRef(root, ROOT.field("head"), x);
                    tx.setLong(root, ROOT.field("n"), i);
                    tx.commit();
                }
                System.out.println("C " + i);
                if (h.poolSize() != size) {
                    size = h.poolSize();
                    System.out.println("S " + size);
                }
                System.out.flush();
            }
        }
    }

    @Test
    void killedDuringGrowthTheLastPrintedSizeAndCommitsStay() throws Exception {
        int rounds = Integer.getInteger("ferrite.kill.rounds", 12);
        long seed = Long.getLong("ferrite.test.seed", System.nanoTime());
        System.out.println("GrowthKillTest seed=" + seed);
        Random rnd = new Random(seed);
        long lastPrinted = 0;
        long lastSize = INITIAL;
        int growthsSeen = 0;
        try (Pools p = new Pools("growkill")) {
            for (int round = 0; round < rounds; round++) {
                List<String> cmd = ChildJvm.command(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1"), GrowthKillTest.class,
                        p.path.toString(), String.valueOf(rnd.nextBoolean() ? 0 : 5));
                Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
                int wantLines = 1 + rnd.nextInt(300);
                long printed = -1;
                long printedSize = lastSize;
                int lines = 0;
                try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    String line;
                    while (lines < wantLines && System.nanoTime() < deadline && (line = r.readLine()) != null) {
                        if (line.startsWith("C ")) {
                            printed = Long.parseLong(line.substring(2));
                            lines++;
                        } else if (line.startsWith("S ")) {
                            printedSize = Long.parseLong(line.substring(2));
                            growthsSeen++;
                        }
                    }
                } finally {
                    ChildJvm.kill(child);
                }
                assertEquals(137, child.exitValue(), "killed by SIGKILL");
                assertTrue(printed > lastPrinted, "round " + round + ": the child made progress (" + printed + " after " + lastPrinted + ")");
                try (Heap h = Heap.open(p.path, options(0))) {
                    assertTrue(h.poolSize() >= printedSize, "round " + round + ": printed size " + printedSize + " but the pool is "
                            + h.poolSize());
                    assertTrue(h.poolSize() <= Files.size(p.path), "the pool fits its file");
                    Ref root = h.root(ROOT);
                    long n = h.getLong(root, ROOT.field("n"));
                    assertTrue(n >= printed, "round " + round + ": printed commit " + printed + " but the pool holds " + n);
                    long count = 0;
                    for (Ref x = h.getRef(root, ROOT.field("head")); x != null; x = h.getRef(x, NODE.field("next"))) {
                        assertTrue(h.isAllocated(x));
                        assertEquals(~h.getLong(x, NODE.field("key")), h.getLong(x, NODE.field("check")));
                        assertTrue(h.isAllocated(h.getRef(x, NODE.field("data"))));
                        count++;
                    }
                    assertEquals(n, count, "round " + round + ": every node of the list");
                    assertEquals(2 * count + 1, h.stats().liveObjects(), "round " + round + ": no leak");
                    lastPrinted = n;
                    lastSize = h.poolSize();
                }
            }
        }
        System.out.printf("GrowthKillTest: %d rounds of SIGKILL, %d growths printed, last commit %d, pool %,d bytes;"
                + " every printed commit and size present%n", rounds, growthsSeen, lastPrinted, lastSize);
        assertTrue(growthsSeen >= rounds, "the pool grew while the children ran: " + growthsSeen);
    }
}
