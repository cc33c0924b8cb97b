package io.ferrite.cli;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.HeapLockedException;
import io.ferrite.pheap.PoolLock;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The pool's writer lock as the commands use it, through pheap (which owns the lock: an exclusive
 * flock on the pool file itself, so every path to a pool file is the same pool): probe it without
 * taking it ({@link Heap#lockHolder(Path)}) for the read-only commands, or take and hold it
 * ({@link Heap#lock(Path)}) for the commands that write, from their first read to their last write.
 */
final class LockProbe {
    private LockProbe() {
    }

    /** The lock file pheap uses for a pool. */
    static Path lockFile(Path pool) {
        return Heap.lockFile(pool);
    }

    /** Throws (exit 8) when a process holds the pool's writer lock; {@code hint} says what to do. */
    static void requireFree(Path pool, String hint) {
        Optional<String> h = holder(pool);
        if (h.isPresent()) {
            throw inUse(pool, h.get(), hint);
        }
    }

    /**
     * Takes the pool's writer lock for a command that writes; throws (exit 8) when another writer
     * holds it ({@code hint} says what to do) or the lock file cannot be used.
     */
    static PoolLock lock(Path pool, String hint) {
        try {
            return Heap.lock(pool);
        } catch (HeapLockedException e) {
            if (e.holder().isPresent()) {
                throw inUse(pool, e.holder().get(), hint);
            }
            throw ToolException.usage(e.getMessage(), "");
        }
    }

    /** Who holds the pool's writer lock, in words, or empty when nobody does. */
    static Optional<String> holder(Path pool) {
        return Heap.lockHolder(pool);
    }

    private static ToolException inUse(Path pool, String holder, String hint) {
        return ToolException.usage("pool " + pool + " is in use: open for writing by " + holder, hint);
    }
}
