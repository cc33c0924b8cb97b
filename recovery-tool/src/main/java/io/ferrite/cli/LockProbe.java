package io.ferrite.cli;

import io.ferrite.pheap.Heap;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Whether a pool's writer lock is held, without taking it: pheap's {@link Heap#lockHolder(Path)},
 * which owns the lock-file naming and knows the POSIX-lock rule (a process that closes any
 * descriptor of {@code <pool>.lock} drops its own lock, so the tool must not open that file itself
 * when it runs in the writer's JVM, as in the demo and the tests).
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
            throw ToolException.usage("pool " + pool + " is in use: open for writing by " + h.get(), hint);
        }
    }

    /** Who holds the pool's writer lock, in words, or empty when nobody does. */
    static Optional<String> holder(Path pool) {
        return Heap.lockHolder(pool);
    }
}
