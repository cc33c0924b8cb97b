package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link Heap#lockHolder(Path)} in the writer's own JVM: it names this process and leaves the
 * writer's lock on the pool file in place (a probe must not drop it). The
 * case of another process holding the lock is in {@code KillTest} (in tests/).
 */
class LockHolderTest {
    @Test
    void nobodyHoldsAPoolWithoutALockFileAndTheProbeCreatesNone() {
        try (Pools p = new Pools("holder-none")) {
            assertEquals(Optional.empty(), Heap.lockHolder(p.path));
            assertFalse(Files.exists(Heap.lockFile(p.path)), "the probe must not create the lock file");
        }
    }

    @Test
    void theHoldersOwnJvmIsNamedAndKeepsItsLock() throws Exception {
        try (Pools p = new Pools("holder-self")) {
            try (Heap h = p.create()) {
                assertTrue(holdsFlock(p.path), "the heap locks the pool file " + p.path);
                for (int i = 0; i < 3; i++) {
                    Optional<String> who = Heap.lockHolder(p.path);
                    assertTrue(who.isPresent() && who.get().startsWith("pid " + ProcessHandle.current().pid())
                            && who.get().contains("this process") && who.get().contains(Heap.lockFile(p.path).toString()), who.toString());
                    assertTrue(holdsFlock(p.path), "asking who holds the lock dropped it");
                }
                // a relative spelling of the same pool is the same pool
                Path relative = Path.of("").toAbsolutePath().relativize(p.path);
                assertTrue(Heap.lockHolder(relative).isPresent());
                h.getClass();
            }
            assertEquals(Optional.empty(), Heap.lockHolder(p.path), "closed: the lock file stays but nobody holds it");
            assertTrue(Files.exists(Heap.lockFile(p.path)));
        }
    }

    /** Whether /proc/locks lists an exclusive flock of this process on the file (by inode). */
    private static boolean holdsFlock(Path file) throws Exception {
        long ino = ((Number) Files.getAttribute(file, "unix:ino")).longValue();
        String me = " " + ProcessHandle.current().pid() + " ";
        return Files.readAllLines(Path.of("/proc/locks")).stream()
                .anyMatch(l -> l.contains(me) && l.contains("FLOCK") && l.contains("WRITE") && l.trim().split("\\s+").length > 5 && l.trim().split("\\s+")[5].endsWith(":" + ino));
    }
}
