package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.HeapLockedException;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The writer lock as the commands see it: one writer per pool file whatever the path (a link or a
 * second path to an open pool is "in use"), a lock file that is not a plain file of the pool's
 * owner is refused and never written through, and {@code check --repair} holds the lock from its
 * check to the end of its repair.
 */
class WriterLockTest {
    private final List<Path> files = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        for (Path p : files.reversed()) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            TestPools.delete(p);
        }
    }

    private Path track(Path p) {
        files.add(p);
        return p;
    }

    /** A symlink, a hard link and a path through another directory to {@code pool}. */
    private List<Path> aliases(Path pool) throws IOException {
        Path sym = track(pool.resolveSibling(pool.getFileName() + ".sym"));
        Path hard = track(pool.resolveSibling(pool.getFileName() + ".hard"));
        Path dir = track(pool.resolveSibling(pool.getFileName() + ".d"));
        Files.createSymbolicLink(sym, pool);
        Files.createLink(hard, pool);
        Files.createDirectories(dir);
        return List.of(sym, hard, Path.of(dir + "/../" + pool.getFileName()));
    }

    /** Every command that writes refuses every alias of the pool, naming the holder's pid; returns how many. */
    private static int expectInUse(List<Path> aliases, String pid) {
        int n = 0;
        for (Path a : aliases) {
            for (String[] cmd : new String[][] {{"recover", a.toString()}, {"check", "--repair", a.toString()}, {"check", a.toString()}}) {
                TestPools.Run r = TestPools.run(cmd);
                assertEquals(Ferrite.EXIT_USAGE, r.exit(), String.join(" ", cmd) + ": " + r);
                assertTrue(r.err().contains("is in use: open for writing by " + pid), String.join(" ", cmd) + ": " + r);
                n++;
            }
            TestPools.Run info = TestPools.run("info", a.toString());
            assertTrue(info.out().contains("writer lock: held by " + pid), a + ": " + info);
        }
        return n;
    }

    @Test
    void aPoolOpenInThisJvmIsInUseThroughEveryPath() throws Exception {
        Path p = track(TestPools.bank("alias-jvm", 2));
        List<Path> aliases = aliases(p);
        int n;
        try (Heap h = Heap.open(p, TestPools.options())) {
            n = expectInUse(aliases, "pid " + ProcessHandle.current().pid());
            h.getClass();
        }
        assertEquals(Ferrite.EXIT_CLEAN, TestPools.run("recover", aliases.get(1).toString()).exit());
        System.out.println("writer lock (one JVM): " + n + " commands refused over " + aliases.size() + " aliases");
    }

    @Test
    void aPoolOpenInAnotherJvmIsInUseThroughEveryPath() throws Exception {
        Path p = track(TestPools.bank("alias-child", 2));
        List<Path> aliases = aliases(p);
        List<Path> others = new ArrayList<>(List.of(p, aliases.get(0), aliases.get(2)));
        String java = ProcessHandle.current().info().command().orElseThrow();
        // the child opens the pool by its hard link, whose lock-file sidecar is not the plain path's
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Xmx128m", "-cp",
                System.getProperty("java.class.path"), LockHolder.class.getName(), aliases.get(1).toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        int n;
        try {
            BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("ready", in.readLine());
            n = expectInUse(others, "pid " + child.pid());
        } finally {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        assertEquals(Ferrite.EXIT_REPAIRED, TestPools.run("recover", p.toString()).exit(), "the child was killed: recovery");
        System.out.println("writer lock (two JVMs): " + n + " commands refused over " + others.size() + " paths");
    }

    @Test
    void aLockFileThatIsASymlinkIsRefusedByEveryWritingCommand() throws Exception {
        byte[] precious = "someone's data, not a lock file\n".repeat(20).getBytes(StandardCharsets.UTF_8);
        Path p = track(TestPools.crashed("lock-sym", 3, 2));
        Path victim = track(p.resolveSibling(p.getFileName() + ".victim"));
        Files.write(victim, precious);
        Files.deleteIfExists(LockProbe.lockFile(p));
        Files.createSymbolicLink(LockProbe.lockFile(p), victim);
        byte[] pool = Files.readAllBytes(p);
        int n = 0;
        for (String[] cmd : new String[][] {{"recover", p.toString()}, {"check", "--repair", p.toString()}}) {
            TestPools.Run r = TestPools.run(cmd);
            assertEquals(Ferrite.EXIT_USAGE, r.exit(), String.join(" ", cmd) + ": " + r);
            assertTrue(r.err().contains(LockProbe.lockFile(p) + " is a symbolic link"), String.join(" ", cmd) + ": " + r);
            assertTrue(java.util.Arrays.equals(precious, Files.readAllBytes(victim)), String.join(" ", cmd) + " wrote through the link");
            assertTrue(java.util.Arrays.equals(pool, Files.readAllBytes(p)), String.join(" ", cmd) + " changed the pool it refused");
            n++;
        }
        System.out.println("lock file symlink: " + n + " commands refused, target unchanged");
    }

    @Test
    void checkRepairHoldsTheWriterLockFromTheCheckToTheEndOfTheRepair() {
        Path p = track(TestPools.bank("repair-lock", 3));
        Ref lost;
        try (Heap h = Heap.open(p, TestPools.options()); Tx tx = h.begin()) {
            lost = tx.allocate(TestPools.ACCOUNT);
            tx.setLong(lost, TestPools.ACCOUNT.field("id"), 99);
            tx.commit();
        }
        // Between the check (which found the account leaked) and the repair, a writer starts and
        // links the account into the bank: the repair must not free it, so the writer must be refused.
        AtomicReference<Throwable> writer = new AtomicReference<>();
        CheckCommand.beforeRepair = () -> {
            try (Heap h = Heap.open(p, TestPools.options()); Tx tx = h.begin()) {
                Ref bank = tx.root(TestPools.BANK);
                Ref a = h.ref(lost.offset());
                tx.setRef(a, TestPools.ACCOUNT.field("next"), tx.getRef(bank, TestPools.BANK.field("first")));
                tx.setRef(bank, TestPools.BANK.field("first"), a);
                tx.commit();
            } catch (RuntimeException e) {
                writer.set(e);
            }
        };
        try {
            TestPools.Run r = TestPools.run("check", "--repair", p.toString());
            assertTrue(writer.get() instanceof HeapLockedException, "a writer opened the pool between the check and the repair: "
                    + writer.get() + "; " + r);
            assertTrue(writer.get().getMessage().contains("pid " + ProcessHandle.current().pid()), writer.get().getMessage());
            assertEquals(Ferrite.EXIT_REPAIRED, r.exit(), r.toString());
        } finally {
            CheckCommand.beforeRepair = () -> { };
        }
        TestPools.Run after = TestPools.run("check", p.toString());
        assertEquals(Ferrite.EXIT_CLEAN, after.exit(), after.toString());
    }
}
