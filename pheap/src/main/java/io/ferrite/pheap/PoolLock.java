package io.ferrite.pheap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * One writer per pool file, whatever the path: an exclusive {@code flock} on a descriptor of the
 * pool file itself, held until {@link #close()}. The lock belongs to the file (device and inode),
 * so a symbolic link, a hard link or a second path to the pool takes the same lock; it belongs to
 * one open file description, so two opens in one process conflict too, and closing some other
 * descriptor of the pool (the media layer's mapping, the CLI's read-only mapping) does not drop
 * it, as it would drop a POSIX record lock ({@code FileChannel.lock}). The kernel releases it when
 * the holder dies.
 *
 * <p>The sidecar {@code <pool>.lock} (next to the pool's real path) is information only: the
 * holder writes "pid N on HOST, thread 'T', since TIME" there for the error another writer gets.
 * It is opened without following links, must be a regular file of the pool's owner with a single
 * name (anything else is refused, so that no other file is ever truncated or written through
 * it), is created 0600, and is never deleted (deleting it would race with its next holder). Who
 * holds the lock is read from the kernel's lock table, keyed like the lock, so the holder's pid is
 * named even when it opened the pool by another name; the sidecar adds host, thread and time when
 * it names that pid.
 *
 * <p>An in-process registry, keyed by device and inode, answers "who holds it" in the holder's own
 * JVM without opening the pool, and refuses a second writer there with the first one's details
 * (also where {@code flock} is emulated by process-owned locks, as on NFS).
 *
 * <p>{@link Heap#lock(Path)} hands a held lock to a caller who must keep writers out across more
 * than one heap open (check, then repair); {@link Heap#open(PoolLock, HeapOptions)} borrows it.
 */
public final class PoolLock implements AutoCloseable {
    private static final Map<String, Holder> IN_PROCESS = new ConcurrentHashMap<>();
    /** Serialises this JVM's probes with its acquires, so a probe's shared lock never refuses a writer here. */
    private static final Object FILE_OPS = new Object();
    /**
     * How often an acquire retries while the pool is locked shared only: another process's probe
     * ({@link #holder(Path)}) holds a shared lock for microseconds. Bounded: 50 tries, 1 ms apart.
     */
    private static final int PROBE_RETRIES = 50;
    private static final int MAX_HOLDER_TEXT = 512;

    private final Path pool;
    private final Path lockFile;
    private final String identity;
    private final int poolFd;
    private final int lockFd;
    /** The lock this one is lent from (a heap's borrowed handle), or null for the lock itself. */
    private final PoolLock lender;
    private final AtomicBoolean lent = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    private PoolLock(Path pool, Path lockFile, String identity, int poolFd, int lockFd, PoolLock lender) {
        this.pool = pool;
        this.lockFile = lockFile;
        this.identity = identity;
        this.poolFd = poolFd;
        this.lockFd = lockFd;
        this.lender = lender;
    }

    /** What the registry and the sidecar say about a holder. */
    private record Holder(String text, Path lockFile) {
    }

    /** The pool file this lock holds, as it was named when the lock was taken. */
    public Path pool() {
        return pool;
    }

    /** The sidecar of a pool: {@code <pool>.lock} next to the pool's real path (or the path given, when there is no file yet). */
    static Path lockFile(Path pool) {
        Path p = pool.toAbsolutePath().normalize();
        try {
            p = p.toRealPath();
        } catch (IOException e) {
            // no pool file (yet, or any more): name the sidecar by the path given
        }
        return p.resolveSibling(p.getFileName() + ".lock");
    }

    static PoolLock acquire(Path poolPath) {
        Path pool = poolPath.toAbsolutePath().normalize();
        Path lf = lockFile(pool);
        String me = "pid " + ProcessHandle.current().pid() + " on " + host() + ", thread '" + Thread.currentThread().getName()
                + "', since " + Instant.now();
        LockCalls.Result fd = LockCalls.open(pool.toString(), LockCalls.O_RDONLY | LockCalls.O_NONBLOCK | LockCalls.O_CLOEXEC, 0);
        if (fd.failed()) {
            if (fd.errno() == LockCalls.ENOENT) {
                throw new PoolFormatException("no such pool file: " + pool, "check the path, or create the pool with Heap.create");
            }
            throw new HeapLockedException("cannot lock pool " + pool + ": cannot open it: " + LockCalls.strerror(fd.errno()),
                    "check that the file is readable by this user");
        }
        Map<String, Object> attrs;
        try {
            attrs = Files.readAttributes(openFile(fd.fd(), pool), "unix:dev,ino,uid");
        } catch (IOException | RuntimeException e) {
            LockCalls.close(fd.fd());
            throw new HeapLockedException("cannot lock pool " + pool + ": cannot read its device and inode: " + e,
                    "check the file system", e);
        }
        String id = identity(attrs);
        Holder prev = IN_PROCESS.putIfAbsent(id, new Holder(me, lf));
        if (prev != null) {
            LockCalls.close(fd.fd());
            throw new HeapLockedException("pool " + pool + " is already open for writing in this process (" + prev.text()
                    + "; lock file " + prev.lockFile() + ")", "close that Heap first: a pool file has one writer, whatever the path",
                    prev.text() + " (this process; lock file " + prev.lockFile() + ")");
        }
        try {
            synchronized (FILE_OPS) {
                lockExclusive(fd.fd(), pool, lf, attrs);
            }
            int lockFd = openLockFile(lf, pool, ((Number) attrs.get("uid")).intValue());
            LockCalls.Result w = LockCalls.rewrite(lockFd, (me + "\n").getBytes(StandardCharsets.UTF_8));
            if (w.failed()) {
                LockCalls.close(lockFd);
                throw new HeapLockedException("cannot write the lock file " + lf + " of pool " + pool + ": "
                        + LockCalls.strerror(w.errno()), "check free space and permissions in " + lf.getParent());
            }
            return new PoolLock(pool, lf, id, fd.fd(), lockFd, null);
        } catch (RuntimeException | Error e) {
            LockCalls.close(fd.fd()); // releases the flock, if it was taken
            IN_PROCESS.remove(id);
            throw e;
        }
    }

    /** Takes the exclusive flock, retrying (bounded) while only another process's probe holds it shared. */
    private static void lockExclusive(int fd, Path pool, Path lf, Map<String, Object> attrs) {
        long dev = ((Number) attrs.get("dev")).longValue();
        long ino = ((Number) attrs.get("ino")).longValue();
        for (int attempt = 0; ; attempt++) {
            LockCalls.Result r = LockCalls.flock(fd, LockCalls.LOCK_EX | LockCalls.LOCK_NB);
            if (!r.failed()) {
                return;
            }
            if (r.errno() != LockCalls.EWOULDBLOCK && r.errno() != LockCalls.EINTR) {
                throw new HeapLockedException("cannot lock pool " + pool + ": flock: " + LockCalls.strerror(r.errno()),
                        "the file system must support flock (a local file system, tmpfs or a DAX mount)");
            }
            if (attempt >= PROBE_RETRIES || LockTable.exclusivelyLocked(dev, ino)) {
                String holder = describe(dev, ino, lf);
                throw new HeapLockedException("pool " + pool + " is open for writing by another process: " + holder,
                        "stop that process or wait until it closes the pool; `ferrite info " + pool + "` reads it without writing",
                        holder);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /**
     * Opens the sidecar for writing without following a link and checks that it is a regular file
     * of the pool's owner with one name; refuses otherwise, before any byte of it is written.
     */
    private static int openLockFile(Path lf, Path pool, int poolUid) {
        LockCalls.Result r = LockCalls.open(lf.toString(), LockCalls.O_RDWR | LockCalls.O_CREAT | LockCalls.O_NOFOLLOW
                | LockCalls.O_NONBLOCK | LockCalls.O_CLOEXEC, 0600);
        if (r.failed()) {
            if (r.errno() == LockCalls.ELOOP) {
                throw refuse(lf, pool, "is a symbolic link" + linkTarget(lf));
            }
            throw new HeapLockedException("cannot open the lock file " + lf + " of pool " + pool + ": " + LockCalls.strerror(r.errno()),
                    "check that " + lf.getParent() + " is writable by this user");
        }
        try {
            Map<String, Object> a = Files.readAttributes(openFile(r.fd(), lf), "unix:mode,uid,nlink");
            int mode = ((Number) a.get("mode")).intValue();
            int uid = ((Number) a.get("uid")).intValue();
            int links = ((Number) a.get("nlink")).intValue();
            String why = (mode & 0xF000) != 0x8000 ? "is not a regular file"
                    : uid != poolUid ? "is owned by uid " + uid + ", not by the pool's owner (uid " + poolUid + ")"
                    : links != 1 ? "has " + links + " names (hard links): it may be another file" : null;
            if (why != null) {
                throw refuse(lf, pool, why);
            }
            return r.fd();
        } catch (IOException e) {
            LockCalls.close(r.fd());
            throw new HeapLockedException("cannot check the lock file " + lf + " of pool " + pool + ": " + e, "check the file system", e);
        } catch (RuntimeException e) {
            LockCalls.close(r.fd());
            throw e;
        }
    }

    private static HeapLockedException refuse(Path lf, Path pool, String why) {
        return new HeapLockedException("lock file " + lf + " " + why + ": refusing to open pool " + pool
                + " for writing, so that nothing is written through it",
                "remove " + lf + " (it only records who holds the pool; the next open recreates it, 0600) after checking who made it");
    }

    private static String linkTarget(Path lf) {
        try {
            return " (to " + Files.readSymbolicLink(lf) + ")";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /**
     * Who holds the pool's writer lock, in words ("pid N on HOST, thread 'T', since TIME (lock file
     * …)"), or empty when nobody does. Safe in the holder's own JVM (answered from the registry,
     * without opening the pool). Otherwise the pool file is opened, a shared flock is tried and
     * dropped at once, and the holder is looked up in the kernel's lock table and the sidecar.
     * Never creates the lock file.
     */
    static Optional<String> holder(Path poolPath) {
        Path pool = poolPath.toAbsolutePath().normalize();
        Path lf = lockFile(pool);
        Map<String, Object> attrs;
        try {
            attrs = Files.readAttributes(pool, "unix:dev,ino");
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            throw new HeapLockedException("cannot probe the writer lock of pool " + pool + ": " + e, "check that the file is readable", e);
        }
        synchronized (FILE_OPS) {
            Holder mine = IN_PROCESS.get(identity(attrs));
            if (mine != null) {
                return Optional.of(mine.text() + " (this process; lock file " + mine.lockFile() + ")");
            }
            LockCalls.Result fd = LockCalls.open(pool.toString(), LockCalls.O_RDONLY | LockCalls.O_NONBLOCK | LockCalls.O_CLOEXEC, 0);
            if (fd.failed()) {
                if (fd.errno() == LockCalls.ENOENT) {
                    return Optional.empty();
                }
                throw new HeapLockedException("cannot probe the writer lock of pool " + pool + ": " + LockCalls.strerror(fd.errno()),
                        "check that the file is readable");
            }
            try {
                LockCalls.Result r = LockCalls.flock(fd.fd(), LockCalls.LOCK_SH | LockCalls.LOCK_NB);
                if (!r.failed()) {
                    LockCalls.flock(fd.fd(), LockCalls.LOCK_UN);
                    return Optional.empty();
                }
                if (r.errno() != LockCalls.EWOULDBLOCK) {
                    throw new HeapLockedException("cannot probe the writer lock of pool " + pool + ": flock: "
                            + LockCalls.strerror(r.errno()), "the file system must support flock");
                }
                return Optional.of(describe(((Number) attrs.get("dev")).longValue(), ((Number) attrs.get("ino")).longValue(), lf));
            } finally {
                LockCalls.close(fd.fd());
            }
        }
    }

    /** The holder of another process's lock: its pid from the kernel, the details from the sidecar when it names that pid. */
    private static String describe(long dev, long ino, Path lf) {
        long pid = LockTable.exclusiveHolder(dev, ino);
        String text = readLockFile(lf);
        if (pid > 0 && !text.startsWith("pid " + pid + " ")) {
            return "pid " + pid + " (lock file " + lf + " does not name it: it opened the pool by another name)";
        }
        return (text.isBlank() ? "a process (holder unknown)" : text) + " (lock file " + lf + ")";
    }

    /** The sidecar's holder text, read without following a link; empty when there is none. */
    private static String readLockFile(Path lf) {
        try (SeekableByteChannel ch = Files.newByteChannel(lf, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer b = ByteBuffer.allocate(MAX_HOLDER_TEXT);
            while (b.hasRemaining() && ch.read(b) > 0) {
                // the first line is all there is
            }
            String s = new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
            int nl = s.indexOf('\n');
            return (nl >= 0 ? s.substring(0, nl) : s).trim();
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** A path that names the open file itself (not whatever its path names now): /proc/self/fd/N on Linux. */
    private static Path openFile(int fd, Path fallback) {
        return LockCalls.LINUX ? Path.of("/proc/self/fd/" + fd) : fallback;
    }

    private static String identity(Map<String, Object> attrs) {
        return attrs.get("dev") + ":" + attrs.get("ino");
    }

    private static String host() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException | RuntimeException e) {
            String h = System.getenv("HOSTNAME");
            return h == null ? "this host" : h;
        }
    }

    /** A handle on this lock for one open heap; closing the handle gives it back, the lock stays held. */
    PoolLock lend() {
        if (lender != null) {
            throw new IllegalStateException("the writer lock of pool " + pool + " is a heap's borrowed handle, not the lock");
        }
        if (closed.get()) {
            throw new IllegalStateException("the writer lock of pool " + pool + " was released: take it again with Heap.lock");
        }
        if (!lent.compareAndSet(false, true)) {
            throw new IllegalStateException("the writer lock of pool " + pool + " is lent to a heap that is still open: one heap at a time");
        }
        return new PoolLock(pool, lockFile, identity, poolFd, lockFd, this);
    }

    /**
     * Releases the lock (the sidecar's holder text is cleared, the flock dropped); a borrowed handle
     * only gives itself back. Refused while a heap that borrowed the lock is open.
     */
    @Override
    public void close() {
        if (lender != null) {
            if (closed.compareAndSet(false, true)) {
                lender.lent.set(false);
            }
            return;
        }
        if (lent.get()) {
            throw new IllegalStateException("the writer lock of pool " + pool + " is lent to a heap that is still open: close the heap first");
        }
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        LockCalls.rewrite(lockFd, new byte[0]); // best effort: only information
        LockCalls.close(lockFd);
        LockCalls.close(poolFd); // drops the flock
        IN_PROCESS.remove(identity);
    }
}
