package io.ferrite.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Where benchmark files live (tmpfs) and how they are cleaned up. */
final class BenchFiles {

    /** Directory of every benchmark file; override with {@code -Dferrite.bench.dir=...} in the fork's JVM args. */
    static final Path DIR = Path.of(System.getProperty("ferrite.bench.dir", "/dev/shm"));

    private BenchFiles() {
    }

    /** A path under {@link #DIR} unique to this process and {@code name}; nothing is created. */
    static Path fresh(String name) {
        if (!Files.isDirectory(DIR)) {
            throw new IllegalStateException("benchmark directory " + DIR
                    + " does not exist; the benchmarks expect tmpfs at /dev/shm (or pass"
                    + " -jvmArgsPrepend -Dferrite.bench.dir=<dir>)");
        }
        Path p = DIR.resolve("ferrite-bench-" + name + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        deleteRecursively(p);
        return p;
    }

    /** Deletes a file or a directory tree; a missing path is fine. */
    static void deleteRecursively(Path p) {
        if (p == null || !Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete benchmark file " + p, e);
        }
    }

    /** Deletes a Ferrite pool file and its lock sidecar ({@code <pool>.lock}, which the heap leaves behind). */
    static void deletePool(Path pool) {
        if (pool == null) {
            return;
        }
        deleteRecursively(pool);
        deleteRecursively(pool.resolveSibling(pool.getFileName() + ".lock"));
    }

    /** A payload of {@code size} bytes with a fixed, non-zero pattern (the same bytes for every system). */
    static byte[] payload(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + 7);
        }
        return b;
    }
}
