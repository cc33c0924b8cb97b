package io.ferrite.pheap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** Small pools on /dev/shm for tests, deleted (with their lock files) afterwards. */
final class Pools implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();
    static final long SIZE = 8L << 20;
    final Path path;

    Pools(String name) {
        Path dir = Path.of(Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" : System.getProperty("java.io.tmpdir"));
        path = dir.resolve("ferrite-pheap-test-" + ProcessHandle.current().pid() + "-" + name + "-" + SEQ.incrementAndGet() + ".pool");
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
