package io.ferrite.pheap;

import io.ferrite.testsupport.TempPools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Small pools on /dev/shm for tests, deleted (with their {@code .lock} sidecars) by {@link
 * #close()}, so a test that uses one in try-with-resources cleans up also when it fails. Names and
 * the sweep of pools left by killed test JVMs come from {@link TempPools}.
 */
final class Pools implements AutoCloseable {
    private static final String PREFIX = "ferrite-pheap-test-";
    static final long SIZE = 8L << 20;
    final Path path;

    Pools(String name) {
        path = TempPools.fresh(PREFIX, name);
        delete();
    }

    static HeapOptions options() {
        return HeapOptions.defaults().slabSize(64 * 1024).logCapacity(512 * 1024).checkpointInterval(Duration.ZERO);
    }

    Heap create() {
        return Heap.create(path, SIZE, options());
    }

    Heap open() {
        return Heap.open(path, options());
    }

    void delete() {
        try {
            Files.deleteIfExists(path);
            Files.deleteIfExists(PoolLock.lockFile(path));
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    @Override
    public void close() {
        delete();
    }
}
