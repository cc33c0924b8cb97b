package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

/**
 * The {@code <pool>.lock} sidecar is written only when it is a plain file of the pool's owner
 * with one name: a symbolic link or a hard link planted there is refused with a message naming the
 * file, and whatever it points at keeps its bytes. A new sidecar is created 0600.
 */
class LockFileTest {
    private static final byte[] PRECIOUS = "someone's data, not a lock file\n".repeat(20).getBytes(StandardCharsets.UTF_8);

    @Test
    void aLockFileThatIsASymlinkIsRefusedAndItsTargetKeepsItsBytes() throws Exception {
        try (Pools p = new Pools("lock-sym"); Pools q = new Pools("lock-sym-new")) {
            Path victim = p.path.resolveSibling(p.path.getFileName() + ".victim");
            try {
                Files.write(victim, PRECIOUS);
                p.create().close();
                Files.delete(Heap.lockFile(p.path));
                Files.createSymbolicLink(Heap.lockFile(p.path), victim);
                HeapLockedException e = assertThrows(HeapLockedException.class, () -> p.open().close());
                assertTrue(e.getMessage().contains(Heap.lockFile(p.path).toString()) && e.getMessage().contains("symbolic link"),
                        e.getMessage());
                assertArrayEquals(PRECIOUS, Files.readAllBytes(victim), "open wrote through the lock file's symlink");
                // create: refused too, and no half-made pool is left behind
                Files.createSymbolicLink(Heap.lockFile(q.path), victim);
                e = assertThrows(HeapLockedException.class, () -> q.create().close());
                assertTrue(e.getMessage().contains(Heap.lockFile(q.path).toString()), e.getMessage());
                assertArrayEquals(PRECIOUS, Files.readAllBytes(victim), "create wrote through the lock file's symlink");
                assertFalse(Files.exists(q.path), "a refused create leaves no pool file");
            } finally {
                Files.deleteIfExists(victim);
            }
        }
    }

    @Test
    void aLockFileThatIsAHardLinkIsRefusedAndTheOtherNameKeepsItsBytes() throws Exception {
        try (Pools p = new Pools("lock-hard")) {
            Path victim = p.path.resolveSibling(p.path.getFileName() + ".victim");
            try {
                Files.write(victim, PRECIOUS);
                p.create().close();
                Files.delete(Heap.lockFile(p.path));
                Files.createLink(Heap.lockFile(p.path), victim);
                HeapLockedException e = assertThrows(HeapLockedException.class, () -> p.open().close());
                assertTrue(e.getMessage().contains(Heap.lockFile(p.path).toString()) && e.getMessage().contains("2 names"),
                        e.getMessage());
                assertArrayEquals(PRECIOUS, Files.readAllBytes(victim), "open truncated a file hard-linked as the lock file");
            } finally {
                Files.deleteIfExists(victim);
            }
        }
    }

    @Test
    void aNewLockFileIsCreatedOwnerOnly() throws Exception {
        try (Pools p = new Pools("lock-mode")) {
            try (Heap h = p.create()) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(Heap.lockFile(p.path))));
                h.getClass();
            }
        }
    }
}
