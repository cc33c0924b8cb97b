package io.ferrite.pheap;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;

/**
 * The libc calls the writer lock needs, as FFM downcalls: {@code open} (for {@code O_NOFOLLOW}
 * and a create mode, and a descriptor that {@code flock} can lock), {@code flock}, {@code pwrite},
 * {@code ftruncate}, {@code close}. The JDK's {@code FileChannel.lock} is a POSIX record lock,
 * owned by the process and dropped when any descriptor of the file closes, so it cannot lock the
 * pool file itself (the media layer and the CLI open and close it); {@code flock} belongs to one
 * open file description. Constants for Linux (x86_64, aarch64) and the BSDs/macOS.
 */
final class LockCalls {
    private static final String OS = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    static final boolean LINUX = OS.contains("linux");
    private static final boolean ARM64 = System.getProperty("os.arch", "").equals("aarch64");

    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CREAT = LINUX ? 0x40 : 0x200;
    static final int O_NONBLOCK = LINUX ? 0x800 : 0x4;
    static final int O_NOFOLLOW = LINUX ? (ARM64 ? 0x8000 : 0x20000) : 0x100;
    static final int O_CLOEXEC = LINUX ? 0x80000 : 0x1000000;

    static final int LOCK_SH = 1;
    static final int LOCK_EX = 2;
    static final int LOCK_NB = 4;
    static final int LOCK_UN = 8;

    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EWOULDBLOCK = LINUX ? 11 : 35;
    static final int ELOOP = LINUX ? 40 : 62;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MemoryLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;

    private static final MethodHandle OPEN = downcall("open", FunctionDescriptor.of(INT, ValueLayout.ADDRESS, INT, INT),
            CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
    private static final MethodHandle FLOCK = downcall("flock", FunctionDescriptor.of(INT, INT, INT), CAPTURE_ERRNO);
    private static final MethodHandle PWRITE = downcall("pwrite",
            FunctionDescriptor.of(LONG, INT, ValueLayout.ADDRESS, LONG, LONG), CAPTURE_ERRNO);
    private static final MethodHandle FTRUNCATE = downcall("ftruncate", FunctionDescriptor.of(INT, INT, LONG), CAPTURE_ERRNO);
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(INT, INT), CAPTURE_ERRNO);
    private static final MethodHandle STRERROR = downcall("strerror", FunctionDescriptor.of(ValueLayout.ADDRESS, INT));

    private LockCalls() {
    }

    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc symbol " + name + " not found"));
        return LINKER.downcallHandle(symbol, fd, options);
    }

    /** A call's return value and the errno it left (0 when it did not fail). */
    record Result(long value, int errno) {
        boolean failed() {
            return value == -1L;
        }

        int fd() {
            return (int) value;
        }
    }

    /**
     * Calls an errno-capturing handle: {@code args} follow the capture segment; strings become C
     * strings and byte arrays native copies in a confined arena. These calls are rare (open and
     * close of a pool), so the generic invocation costs nothing that matters.
     */
    private static Result call(MethodHandle h, Object... args) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE_LAYOUT);
            Object[] all = new Object[args.length + 1];
            all[0] = state;
            for (int i = 0; i < args.length; i++) {
                all[i + 1] = args[i] instanceof String str ? arena.allocateFrom(str)
                        : args[i] instanceof byte[] b ? arena.allocateFrom(ValueLayout.JAVA_BYTE, b) : args[i];
            }
            long r = ((Number) h.invokeWithArguments(all)).longValue();
            return new Result(r < 0 ? -1 : r, r < 0 ? (int) ERRNO.get(state, 0L) : 0);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("libc call failed: " + t, t);
        }
    }

    static Result open(String path, int flags, int mode) {
        return call(OPEN, path, flags, mode);
    }

    static Result flock(int fd, int operation) {
        return call(FLOCK, fd, operation);
    }

    /** Replaces the file's content with {@code bytes} (truncate, then one write at offset 0). */
    static Result rewrite(int fd, byte[] bytes) {
        Result t = call(FTRUNCATE, fd, 0L);
        if (t.failed() || bytes.length == 0) {
            return t;
        }
        Result w = call(PWRITE, fd, bytes, (long) bytes.length, 0L);
        return w.failed() || w.value() == bytes.length ? w : new Result(-1, 0);
    }

    /** Closes a descriptor; errors are ignored (nothing was written through it that close could lose). */
    static void close(int fd) {
        call(CLOSE, fd);
    }

    static String strerror(int errno) {
        if (errno == 0) {
            return "short write";
        }
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.equals(MemorySegment.NULL) ? "errno " + errno : s.reinterpret(512).getString(0) + " (errno " + errno + ")";
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }
}
