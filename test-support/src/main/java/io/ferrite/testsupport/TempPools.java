package io.ferrite.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Unique pool paths on /dev/shm for tests. A name carries the pid of the test JVM
 * ({@code PREFIX<pid>-<name>-<seq>.pool}): a JVM that is killed cannot clean up, so the first call
 * for a prefix in a later run deletes the files of pids that are no longer alive.
 */
public final class TempPools {
    /** /dev/shm (tmpfs) where it exists, the JVM's temp dir elsewhere. */
    public static final Path DIR = Path.of(Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" : System.getProperty("java.io.tmpdir"));
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final Set<String> SWEPT = ConcurrentHashMap.newKeySet();

    private TempPools() {
    }

    /** A path no other test (of this or another JVM) uses; nothing is created, any leftover is deleted. */
    public static Path fresh(String prefix, String name) {
        if (SWEPT.add(prefix)) {
            sweepDeadRuns(prefix);
        }
        Path p = DIR.resolve(prefix + ProcessHandle.current().pid() + "-" + name + "-" + SEQ.incrementAndGet() + ".pool");
        delete(p);
        return p;
    }

    /** Deletes the pool and every sidecar whose name starts with the pool's (lock file, mirror, copies). */
    public static void delete(Path pool) {
        String name = pool.getFileName().toString();
        try (var files = Files.list(pool.toAbsolutePath().getParent())) {
            for (Path p : files.filter(f -> f.getFileName().toString().startsWith(name)).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes the files under {@code prefix} left by test JVMs that died before their cleanup ran. */
    static void sweepDeadRuns(String prefix) {
        try (var files = Files.list(DIR)) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith(prefix)).toList()) {
                String rest = f.getFileName().toString().substring(prefix.length());
                int dash = rest.indexOf('-');
                try {
                    long pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
                    if (ProcessHandle.of(pid).isEmpty()) {
                        Files.deleteIfExists(f);
                    }
                } catch (NumberFormatException | IOException e) {
                    // not one of ours, or gone already
                }
            }
        } catch (IOException e) {
            // nothing to sweep
        }
    }
}
