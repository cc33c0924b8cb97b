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

    private static final String PREFIX = "ferrite-store-test-";
    private static volatile boolean swept;

    TestPools(String name) {
        Path dir = Path.of(Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" : System.getProperty("java.io.tmpdir"));
        if (!swept) {
            swept = true;
            sweepDeadRuns(dir);
        }
        path = dir.resolve(PREFIX + ProcessHandle.current().pid() + "-" + name + "-" + SEQ.incrementAndGet() + ".pool");
        delete();
    }

    /** Deletes pools (and lock files) left by test JVMs that were killed before their cleanup ran. */
    private static void sweepDeadRuns(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().startsWith(PREFIX)).toList()) {
                String rest = p.getFileName().toString().substring(PREFIX.length());
                int dash = rest.indexOf('-');
                try {
                    long pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
                    if (ProcessHandle.of(pid).isEmpty()) {
                        Files.deleteIfExists(p);
                    }
                } catch (NumberFormatException | IOException e) {
                    // not one of ours, or already gone
                }
            }
        } catch (IOException e) {
            // nothing to sweep
        }
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
