package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.testsupport.ChildJvm;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Process kill: a child JVM runs transactions on a pool and prints each commit as it returns; the
 * parent kills it with SIGKILL at a random moment, reopens the pool and checks that every printed
 * commit is there (and that the heap is consistent), then starts the next child on the same pool.
 */
class KillTest {
    static final PType NODE = PType.builder("KNode").int64("key").int64("check").pointer("next", "KNode")
            .pointer("data", PType.ANY_BLOB).build();
    static final PType ROOT = PType.builder("KRoot").pointer("head", "KNode").int64("n").build();

    /** The child: commits forever, printing "C n" after commit n returns. */
    public static void main(String[] args) {
        Path path = Path.of(args[0]);
        HeapOptions o = HeapOptions.defaults().slabSize(64 * 1024).logCapacity(256 * 1024)
                .checkpointInterval(java.time.Duration.ofMillis(Long.parseLong(args[1])));
        try (Heap h = java.nio.file.Files.exists(path) ? Heap.open(path, o) : Heap.create(path, Pools.SIZE, o)) {
            Ref root = h.root(ROOT);
            PField key = NODE.field("key");
            PField check = NODE.field("check");
            PField next = NODE.field("next");
            PField data = NODE.field("data");
            PField head = ROOT.field("head");
            PField n = ROOT.field("n");
            while (true) {
                long i;
                try (Tx tx = h.begin()) {
                    i = tx.getLong(root, n) + 1;
                    Ref old = tx.getRef(root, head);
                    if (i % 4 == 0 && old != null) {
                        // drop the head: keeps the pool from filling up
                        tx.setRef(root, head, tx.getRef(old, next));
                        Ref d = tx.getRef(old, data);
                        if (d != null) {
                            tx.free(d);
                        }
                        tx.free(old);
                    } else {
                        Ref x = tx.allocate(NODE);
                        tx.setLong(x, key, i);
                        tx.setLong(x, check, ~i);
                        tx.setRef(x, next, old);
                        if (i % 3 == 0) {
                            tx.setRef(x, data, tx.allocateString("k" + i));
                        }
                        tx.setRef(root, head, x);
                    }
                    tx.setLong(root, n, i);
                    tx.commit();
                }
                System.out.println("C " + i);
                System.out.flush();
            }
        }
    }

    @Test
    void anotherProcessHoldingThePoolIsNamed() throws Exception {
        try (Pools p = new Pools("holder")) {
            assertEquals(java.util.Optional.empty(), Heap.lockHolder(p.path));
            Process child = new ProcessBuilder(ChildJvm.command(List.of("-Xmx256m"), KillTest.class, p.path.toString(), "0")).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String first = r.readLine();
                assertNotNull(first, "the child started committing");
                HeapLockedException e = assertThrows(HeapLockedException.class, p::open);
                assertTrue(e.getMessage().contains("another process") && e.getMessage().contains("pid " + child.pid())
                        && e.getMessage().contains(p.path.toString()), e.getMessage());
                java.util.Optional<String> who = Heap.lockHolder(p.path);
                assertTrue(who.isPresent() && who.get().startsWith("pid " + child.pid()) && who.get().contains("thread 'main'"),
                        who.toString());
            } finally {
                child.destroyForcibly();
                child.waitFor(30, TimeUnit.SECONDS);
            }
            assertEquals(java.util.Optional.empty(), Heap.lockHolder(p.path), "the lock died with the holder");
            p.open().close(); // the lock died with the holder
        }
    }

    @Test
    void killedChildrenLoseNoPrintedCommit() throws Exception {
        int rounds = Integer.getInteger("ferrite.kill.rounds", 20);
        long seed = Long.getLong("ferrite.test.seed", System.nanoTime());
        System.out.println("KillTest seed=" + seed);
        Random rnd = new Random(seed);
        long lastPrinted = 0;
        try (Pools p = new Pools("kill")) {
            for (int round = 0; round < rounds; round++) {
                List<String> cmd = ChildJvm.command(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1"), KillTest.class, p.path.toString(),
                        String.valueOf(rnd.nextBoolean() ? 0 : 5));
                Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
                int wantLines = 1 + rnd.nextInt(400);
                long printed = -1;
                int lines = 0;
                try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    String line;
                    while (lines < wantLines && System.nanoTime() < deadline && (line = r.readLine()) != null) {
                        if (line.startsWith("C ")) {
                            printed = Long.parseLong(line.substring(2));
                            lines++;
                        }
                    }
                    // SIGKILL on Linux; lines the child printed after the last one read are not known
                    // to us (the JDK closes the pipe), which only makes the check weaker
                    child.destroyForcibly();
                    assertTrue(child.waitFor(30, TimeUnit.SECONDS));
                    assertEquals(137, child.exitValue(), "killed by SIGKILL");
                }
                assertTrue(printed > lastPrinted, "round " + round + ": the child made progress (" + printed + " after " + lastPrinted + ")");
                lastPrinted = printed;
                try (Heap h = p.open()) {
                    Ref root = h.root(ROOT);
                    long n = h.getLong(root, ROOT.field("n"));
                    assertTrue(n >= printed, "round " + round + ": printed commit " + printed + " but the pool holds " + n);
                    long count = 0;
                    for (Ref x = h.getRef(root, ROOT.field("head")); x != null; x = h.getRef(x, NODE.field("next"))) {
                        assertTrue(h.isAllocated(x));
                        assertEquals(~h.getLong(x, NODE.field("key")), h.getLong(x, NODE.field("check")));
                        Ref d = h.getRef(x, NODE.field("data"));
                        count += d == null ? 1 : 2;
                    }
                    assertEquals(count + 1, h.stats().liveObjects(), "round " + round + ": no leak");
                    lastPrinted = n;
                }
            }
        }
        System.out.printf("KillTest: %d rounds of SIGKILL, last commit %d, every printed commit present%n", rounds, lastPrinted);
    }
}
