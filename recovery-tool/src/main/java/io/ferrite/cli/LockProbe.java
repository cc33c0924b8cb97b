package io.ferrite.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

/**
 * Finds out, without taking it, whether a pool's writer lock is held. The heap (pheap's
 * {@code PoolLock}) holds an exclusive {@link FileLock} on the sidecar {@code <pool>.lock} and
 * writes its holder ("pid N on HOST, thread 'T', since TIME") into it; a crashed holder leaves the
 * text but not the lock. So the lock itself is looked up in {@code /proc/locks} by the sidecar's
 * inode (no side effect at all); where that file is unreadable, a shared lock is tried and
 * released at once. The sidecar is opened only when another process holds the lock: POSIX locks
 * are dropped when their process closes any descriptor of the file.
 */
final class LockProbe {
    private LockProbe() {
    }

    /** The lock file pheap uses for a pool (same rule as pheap's PoolLock). */
    static Path lockFile(Path pool) {
        Path p = pool.toAbsolutePath().normalize();
        return p.resolveSibling(p.getFileName() + ".lock");
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
        Path lf = lockFile(pool);
        if (!Files.isRegularFile(lf)) {
            return Optional.empty();
        }
        Optional<Long> pid = procLocksHolder(lf);
        if (pid == null) {
            pid = tryLockHolder(lf);
            if (pid == null) {
                return Optional.empty();
            }
        }
        if (pid.isEmpty()) {
            return Optional.empty();
        }
        long p = pid.get();
        // POSIX record locks belong to the process: closing any descriptor of the file in the
        // holding process drops them. So the holder text is read only when another process holds it.
        String text = p == ProcessHandle.current().pid() ? "" : readText(lf);
        String who = !text.isBlank() ? text : p > 0 ? "pid " + p + (p == ProcessHandle.current().pid() ? " (this process)" : "")
                : "a process";
        return Optional.of(who + " (lock file " + lf + ")");
    }

    private static String readText(Path lf) {
        try {
            byte[] b = Files.readAllBytes(lf);
            return new String(b, 0, Math.min(b.length, 512), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * From /proc/locks: Optional.of(pid) when a lock on the file is held (pid -1 when unknown),
     * Optional.empty() when none is, null when /proc/locks cannot answer.
     */
    private static Optional<Long> procLocksHolder(Path lf) {
        Path proc = Path.of("/proc/locks");
        if (!Files.isReadable(proc)) {
            return null;
        }
        long ino;
        long dev;
        try {
            ino = ((Number) Files.getAttribute(lf, "unix:ino")).longValue();
            dev = ((Number) Files.getAttribute(lf, "unix:dev")).longValue();
        } catch (IOException | RuntimeException e) {
            return null;
        }
        long major = (dev >>> 8) & 0xfff;
        long minor = (dev & 0xff) | ((dev >>> 12) & 0xfff00);
        List<String> lines;
        try {
            lines = Files.readAllLines(proc);
        } catch (IOException e) {
            return null;
        }
        for (String line : lines) {
            // "1: POSIX  ADVISORY  WRITE 1234 00:1a:5678 0 EOF" (a blocked waiter has "->" after the number)
            String[] f = line.trim().split("\\s+");
            if (f.length < 6 || f[1].equals("->")) {
                continue;
            }
            String[] id = f[5].split(":");
            if (id.length != 3) {
                continue;
            }
            try {
                if (Long.parseLong(id[2]) == ino && Long.parseLong(id[0], 16) == major && Long.parseLong(id[1], 16) == minor) {
                    return Optional.of(Long.parseLong(f[4]));
                }
            } catch (NumberFormatException e) {
                // not a line about a file lock we understand
            }
        }
        return Optional.empty();
    }

    private static Optional<Long> tryLockHolder(Path lf) {
        try (FileChannel ch = FileChannel.open(lf, StandardOpenOption.READ)) {
            FileLock l = ch.tryLock(0, Long.MAX_VALUE, true);
            if (l == null) {
                return Optional.of(-1L);
            }
            l.release();
            return Optional.empty();
        } catch (OverlappingFileLockException e) {
            return Optional.of(ProcessHandle.current().pid());
        } catch (IOException e) {
            return null;
        }
    }
}
