package io.ferrite.media;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * FFM downcalls into Debian's {@code libpmem1} ({@code libpmem.so.1}): {@code pmem_flush},
 * {@code pmem_drain}, {@code pmem_memcpy_nodrain}, {@code pmem_is_pmem}. Loaded once, lazily;
 * {@link #load()} is empty when the library is not installed, and everything then runs on msync.
 * The flush and drain handles are {@linkplain Linker.Option#critical(boolean) critical}: they are
 * a few instructions and must not pay a thread-state transition per call.
 */
public final class LibPmem {
    /** Names tried in order; the unversioned one exists only with the -dev package. */
    private static final String[] NAMES = {"libpmem.so.1", "libpmem.so"};

    private static volatile Optional<LibPmem> instance;
    private static volatile String loadError = "";

    private final MethodHandle flush;
    private final MethodHandle drain;
    private final MethodHandle memcpyNodrain;
    private final MethodHandle isPmem;
    private final String libraryName;

    private LibPmem(SymbolLookup lookup, String libraryName) {
        Linker linker = Linker.nativeLinker();
        Linker.Option critical = Linker.Option.critical(false);
        this.libraryName = libraryName;
        this.flush = linker.downcallHandle(find(lookup, "pmem_flush"),
                FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), critical);
        this.drain = linker.downcallHandle(find(lookup, "pmem_drain"), FunctionDescriptor.ofVoid(), critical);
        this.memcpyNodrain = linker.downcallHandle(find(lookup, "pmem_memcpy_nodrain"),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG), critical);
        this.isPmem = linker.downcallHandle(find(lookup, "pmem_is_pmem"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    }

    private static MemorySegment find(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name + " not found in libpmem"));
    }

    /** libpmem if it can be loaded on this machine, else empty (see {@link #loadError()}). */
    public static Optional<LibPmem> load() {
        Optional<LibPmem> i = instance;
        if (i == null) {
            synchronized (LibPmem.class) {
                i = instance;
                if (i == null) {
                    i = tryLoad();
                    instance = i;
                }
            }
        }
        return i;
    }

    /** Why {@link #load()} is empty; empty when it is not. */
    public static String loadError() {
        load();
        return loadError;
    }

    private static Optional<LibPmem> tryLoad() {
        StringBuilder errors = new StringBuilder();
        for (String name : NAMES) {
            try {
                SymbolLookup lookup = SymbolLookup.libraryLookup(name, Arena.global());
                return Optional.of(new LibPmem(lookup, name));
            } catch (IllegalArgumentException | UnsatisfiedLinkError | IllegalCallerException e) {
                errors.append(errors.isEmpty() ? "" : "; ").append(name).append(": ").append(e.getMessage());
            }
        }
        loadError = errors.toString();
        return Optional.empty();
    }

    public String libraryName() {
        return libraryName;
    }

    /** Writes back the cache lines of {@code [address, address+length)} (no ordering). */
    public void flush(long address, long length) {
        try {
            flush.invokeExact(address, length);
        } catch (Throwable t) {
            throw new IllegalStateException("pmem_flush failed", t);
        }
    }

    /** Waits until earlier flushes are durable (SFENCE). */
    public void drain() {
        try {
            drain.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("pmem_drain failed", t);
        }
    }

    /** Copies with non-temporal stores where it pays, flushed but not drained. */
    public void memcpyNodrain(long dst, long src, long length) {
        try {
            long ignored = (long) memcpyNodrain.invokeExact(dst, src, length);
        } catch (Throwable t) {
            throw new IllegalStateException("pmem_memcpy_nodrain failed", t);
        }
    }

    /** libpmem's own judgement of whether the range is real persistent memory. */
    public boolean isPmem(long address, long length) {
        try {
            return (int) isPmem.invokeExact(address, length) != 0;
        } catch (Throwable t) {
            return false;
        }
    }
}
