package io.ferrite.store;

import io.ferrite.pheap.HeapOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** Small pools on /dev/shm for the store's tests, deleted (with their lock files) afterwards. */
final class TestPools implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();
    static final long SIZE = 16L << 20;
    final Path path;

    TestPools(String name) {
        Path dir = Path.of(Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" : System.getProperty("java.io.tmpdir"));
        path = dir.resolve("ferrite-store-test-" + ProcessHandle.current().pid() + "-" + name + "-" + SEQ.incrementAndGet() + ".pool");
        delete();
    }

    static HeapOptions heapOptions() {
        return HeapOptions.defaults().slabSize(64 * 1024).logCapacity(1024 * 1024).checkpointInterval(Duration.ZERO);
    }

    static Store.Context context() {
        return new Store.Context().heapOptions(heapOptions());
    }

    Store create(Store.Context c) {
        return Store.create(path, SIZE, c);
    }

    Store open(Store.Context c) {
        return Store.open(path, c);
    }

    void delete() {
        try (var files = Files.list(path.getParent())) {
            String prefix = path.getFileName().toString();
            for (Path p : files.filter(p -> p.getFileName().toString().startsWith(prefix)).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    @Override
    public void close() {
        delete();
    }
}
