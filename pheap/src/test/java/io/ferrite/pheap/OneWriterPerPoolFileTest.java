package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One writer per pool file, whatever the path it is opened by: a symbolic link, a hard link, a
 * path through another directory ({@code dir/../pool}) or another mount point of the same file
 * ({@code /proc/self/root/...}) all name the same pool, so a second writer through any of them is
 * refused, in this JVM and from another one, and the refusal names the holder's pid.
 */
class OneWriterPerPoolFileTest {
    /** A child JVM: opens the pool at args[0] for writing, prints "ready", holds it until killed. */
    public static void main(String[] args) throws Exception {
        try (Heap h = Heap.open(Path.of(args[0]), Pools.options())) {
            System.out.println("ready");
            System.out.flush();
            Thread.sleep(TimeUnit.MINUTES.toMillis(10));
            h.getClass();
        }
    }

    /** The other names of {@code pool}: symlink, hardlink, a path through a sibling directory, one through /proc/self/root. */
    private static List<Path> aliases(Path pool, List<Path> cleanup) throws IOException {
        Path dir = pool.resolveSibling(pool.getFileName() + ".d");
        Files.createDirectories(dir);
        Path sym = pool.resolveSibling(pool.getFileName() + ".sym");
        Path hard = pool.resolveSibling(pool.getFileName() + ".hard");
        Files.createSymbolicLink(sym, pool);
        Files.createLink(hard, pool);
        cleanup.addAll(List.of(sym, hard, dir, Heap.lockFile(sym), Heap.lockFile(hard), PoolLock.lockFile(sym), PoolLock.lockFile(hard)));
        List<Path> all = new ArrayList<>(List.of(sym, hard, Path.of(dir + "/../" + pool.getFileName())));
        Path viaProc = Path.of("/proc/self/root" + pool.toAbsolutePath());
        if (Files.exists(viaProc)) {
            all.add(viaProc);
        }
        return all;
    }

    private static void delete(List<Path> paths) {
        for (Path p : paths.reversed()) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }
    }

    @Test
    void everyPathToAnOpenPoolIsRefusedInTheSameJvm() throws Exception {
        List<Path> cleanup = new ArrayList<>();
        try (Pools p = new Pools("alias-jvm")) {
            p.create().close();
            List<Path> aliases = aliases(p.path, cleanup);
            String me = "pid " + ProcessHandle.current().pid();
            int refused = 0;
            try (Heap h = p.open()) {
                for (Path a : aliases) {
                    HeapLockedException e = assertThrows(HeapLockedException.class, () -> Heap.open(a, Pools.options()).close(),
                            "a second writer through " + a + " while " + p.path + " is open");
                    assertTrue(e.getMessage().contains(me), e.getMessage());
                    Optional<String> who = Heap.lockHolder(a);
                    assertTrue(who.isPresent() && who.get().startsWith(me), a + ": " + who);
                    refused++;
                }
                h.getClass();
            }
            // and the other way round: the writer holds an alias, the plain path is refused
            for (Path a : aliases) {
                try (Heap h = Heap.open(a, Pools.options())) {
                    HeapLockedException e = assertThrows(HeapLockedException.class, () -> p.open().close(), "opened through " + a);
                    assertTrue(e.getMessage().contains(me), e.getMessage());
                    assertTrue(Heap.lockHolder(p.path).isPresent(), a.toString());
                    refused++;
                    h.getClass();
                }
            }
            assertEquals(Optional.empty(), Heap.lockHolder(p.path));
            p.open().close();
            System.out.println("one writer per pool file (one JVM): " + refused + " second writers refused over " + aliases.size()
                    + " aliases");
        } finally {
            delete(cleanup);
        }
    }

    @Test
    void everyPathToAPoolOpenInAnotherJvmIsRefusedAndNamesItsPid() throws Exception {
        List<Path> cleanup = new ArrayList<>();
        try (Pools p = new Pools("alias-child")) {
            p.create().close();
            List<Path> aliases = aliases(p.path, cleanup);
            int refused = 0;
            // the child opens the pool by its hard link: its lock-file sidecar is not the plain path's
            for (Path held : List.of(aliases.get(1), p.path)) {
                Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "--enable-native-access=ALL-UNNAMED", "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp",
                        System.getProperty("java.class.path"), OneWriterPerPoolFileTest.class.getName(), held.toString())
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    assertEquals("ready", r.readLine(), "the child opened " + held);
                    String pid = "pid " + child.pid();
                    List<Path> others = new ArrayList<>(aliases);
                    others.add(p.path);
                    others.remove(held);
                    for (Path a : others) {
                        HeapLockedException e = assertThrows(HeapLockedException.class, () -> Heap.open(a, Pools.options()).close(),
                                "a second writer through " + a + " while the child holds " + held);
                        assertTrue(e.getMessage().contains(pid), e.getMessage());
                        Optional<String> who = Heap.lockHolder(a);
                        assertNotNull(who);
                        assertTrue(who.isPresent() && who.get().startsWith(pid), a + ": " + who);
                        refused++;
                    }
                } finally {
                    child.destroyForcibly();
                    child.waitFor(30, TimeUnit.SECONDS);
                }
            }
            assertEquals(Optional.empty(), Heap.lockHolder(p.path), "the lock died with the child");
            p.open().close();
            System.out.println("one writer per pool file (two JVMs): " + refused + " second writers refused over " + aliases.size()
                    + " aliases");
        } finally {
            delete(cleanup);
        }
    }
}
