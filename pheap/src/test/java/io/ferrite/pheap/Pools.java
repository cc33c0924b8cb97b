package io.ferrite.pheap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Small pools on /dev/shm for tests, deleted (with their {@code .lock} sidecars) by {@link
 * #close()}, so a test that uses one in try-with-resources cleans up also when it fails. A test JVM
 * that is killed cannot clean up: its files are named with its pid, and the first Pools of a later
 * run deletes those of pids that are no longer alive.
 */
final class Pools implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final String PREFIX = "ferrite-pheap-test-";
    private static final Path DIR = Path.of(Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" : System.getProperty("java.io.tmpdir"));
    static final long SIZE = 8L << 20;
    final Path path;

    static {
        sweepDeadRuns();
    }

    Pools(String name) {
        path = DIR.resolve(PREFIX + ProcessHandle.current().pid() + "-" + name + "-" + SEQ.incrementAndGet() + ".pool");
        delete();
    }

    /** Deletes the pools and lock files left by test JVMs that died before their cleanup ran. */
    private static void sweepDeadRuns() {
        try (var files = Files.list(DIR)) {
            files.filter(f -> f.getFileName().toString().startsWith(PREFIX)).forEach(f -> {
                String rest = f.getFileName().toString().substring(PREFIX.length());
                int dash = rest.indexOf('-');
                try {
                    long pid = Long.parseLong(rest.substring(0, Math.max(0, dash)));
                    if (ProcessHandle.of(pid).isEmpty()) {
                        Files.deleteIfExists(f);
                    }
                } catch (NumberFormatException | IOException e) {
                    // not one of ours, or gone already
                }
            });
        } catch (IOException e) {
            // nothing to sweep
        }
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
