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
 */
final class PoolLock implements AutoCloseable {
    private static final Map<Path, String> IN_PROCESS = new ConcurrentHashMap<>();
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
