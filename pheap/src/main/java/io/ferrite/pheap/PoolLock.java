package io.ferrite.pheap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One writer per pool: an exclusive {@link FileLock} on the sidecar file {@code <pool>.lock},
 * which records the holder (pid, host, thread, time), plus an in-process registry because file
 * locks are per JVM. The sidecar is never deleted (deleting a lock file races with its next
 * holder); only the lock matters, the content is information for the error message.
 *
 * <p><b>POSIX-lock caveat.</b> On Linux a {@link FileLock} is a POSIX record lock ({@code fcntl}):
 * it belongs to the process, and the process loses it as soon as it closes <em>any</em>
 * descriptor of the lock file, not just the one that took it. So code in the writer's own JVM must
 * never open and close {@code <pool>.lock} (not even to read the holder text) while the pool is
 * open: the writer would silently lose its lock and a second process could open the pool for
 * writing. {@link #holder(Path)} is the safe way to ask who holds the lock: it answers from the
 * in-process registry when this JVM is the holder, and it serialises its probe with {@link
 * #acquire(Path)} so no pool can be locked in this JVM while the probe has the file open.
 */
final class PoolLock implements AutoCloseable {
    private static final Map<Path, String> IN_PROCESS = new ConcurrentHashMap<>();
    /** Held while this JVM has a lock file open without owning its lock: the probe and the acquire. */
    private static final Object FILE_OPS = new Object();
    private final Path pool;
    private final FileChannel channel;
    private final FileLock lock;

    private PoolLock(Path pool, FileChannel channel, FileLock lock) {
        this.pool = pool;
        this.channel = channel;
        this.lock = lock;
    }

    static Path lockFile(Path pool) {
        Path p = pool.toAbsolutePath().normalize();
        return p.resolveSibling(p.getFileName() + ".lock");
    }

    static PoolLock acquire(Path poolPath) {
        Path pool = poolPath.toAbsolutePath().normalize();
        String me = "pid " + ProcessHandle.current().pid() + " on " + host() + ", thread '" + Thread.currentThread().getName()
                + "', since " + Instant.now();
        String prev = IN_PROCESS.putIfAbsent(pool, me);
        if (prev != null) {
            throw new HeapLockedException("pool " + pool + " is already open for writing in this process (" + prev + ")",
                    "close that Heap first: a pool has one writer");
        }
        synchronized (FILE_OPS) {
            return acquireFile(pool, me);
        }
    }

    private static PoolLock acquireFile(Path pool, String me) {
        FileChannel ch = null;
        try {
            Path lf = lockFile(pool);
            ch = FileChannel.open(lf, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock fl = ch.tryLock();
            if (fl == null) {
                String holder = read(ch);
                throw new HeapLockedException("pool " + pool + " is open for writing by another process: "
                        + (holder.isBlank() ? "(holder unknown)" : holder) + " (lock file " + lf + ")",
                        "stop that process or wait until it closes the pool; `ferrite info " + pool + "` reads it without writing");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((me + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            return new PoolLock(pool, ch, fl);
        } catch (IOException e) {
            closeQuietly(ch);
            IN_PROCESS.remove(pool);
            throw new HeapLockedException("cannot lock pool " + pool + ": " + e, "check that its directory is writable", e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            IN_PROCESS.remove(pool);
            throw e;
        }
    }

    /**
     * Who holds the pool's writer lock, in words ("pid N on HOST, thread 'T', since TIME (lock file
     * …)"), or empty when nobody does. Safe to call in the holder's own JVM: when this JVM holds the
     * lock the answer comes from the in-process registry and the lock file is not touched; otherwise
     * the file is opened, a shared lock is tried and released at once, and the holder text is read
     * from the same descriptor, while {@link #acquire(Path)} waits. Never creates the lock file.
     */
    static java.util.Optional<String> holder(Path poolPath) {
        Path pool = poolPath.toAbsolutePath().normalize();
        Path lf = lockFile(pool);
        synchronized (FILE_OPS) {
            String mine = IN_PROCESS.get(pool);
            if (mine != null) {
                return java.util.Optional.of(mine + " (this process; lock file " + lf + ")");
            }
            if (!java.nio.file.Files.isRegularFile(lf)) {
                return java.util.Optional.empty();
            }
            try (FileChannel ch = FileChannel.open(lf, StandardOpenOption.READ)) {
                FileLock probe = ch.tryLock(0, Long.MAX_VALUE, true);
                if (probe != null) {
                    probe.release();
                    return java.util.Optional.empty();
                }
                String text = read(ch);
                return java.util.Optional.of((text.isBlank() ? "a process (holder unknown)" : text) + " (lock file " + lf + ")");
            } catch (java.nio.channels.OverlappingFileLockException e) {
                // another channel of this JVM locks it without the registry knowing: not a PoolLock
                return java.util.Optional.of("this process, pid " + ProcessHandle.current().pid() + " (lock file " + lf + ")");
            } catch (IOException e) {
                throw new HeapLockedException("cannot probe the writer lock of pool " + pool + ": " + e + " (lock file " + lf + ")",
                        "check that the lock file is readable", e);
            }
        }
    }

    private static String read(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(512);
        ch.read(b, 0);
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).trim();
    }

    private static String host() {
        try {
            return java.nio.file.Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException | RuntimeException e) {
            String h = System.getenv("HOSTNAME");
            return h == null ? "this host" : h;
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // reporting the original error
            }
        }
    }

    @Override
    public void close() {
        try {
            channel.truncate(0);
            lock.release();
        } catch (IOException ignored) {
            // closing the channel releases the lock anyway
        }
        closeQuietly(channel);
        IN_PROCESS.remove(pool);
    }
}
