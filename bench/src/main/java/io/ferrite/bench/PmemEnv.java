package io.ferrite.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Makes PMDK (under LLPL) persist on tmpfs the way it persists on real persistent memory.
 *
 * <p>On a file that is not DAX, libpmem's {@code pmem_is_pmem()} answers false and libpmemobj
 * then persists every range with {@code msync(2)}: one system call per flush. Ferrite's
 * {@code libpmem} backend on tmpfs flushes cache lines ({@code pmem_flush}/{@code pmem_drain},
 * i.e. CLWB or CLFLUSHOPT plus SFENCE) without a system call, as on real persistent memory. For
 * a like-for-like comparison the LLPL benchmarks set {@code PMEM_IS_PMEM_FORCE=1} (PMDK's
 * documented switch, see libpmem(7)) in their own process before the first pool is created;
 * libpmem reads it at its first {@code pmem_is_pmem()} call. A value already in the environment
 * (e.g. {@code PMEM_IS_PMEM_FORCE=0}, to measure the msync path) is left as it is.
 */
final class PmemEnv {

    static final String FORCE = "PMEM_IS_PMEM_FORCE";

    private PmemEnv() {
    }

    /** Sets {@code PMEM_IS_PMEM_FORCE=1} in this process unless it is already set; returns the value in effect. */
    static String forcePmemUnlessSet() {
        String existing = System.getenv(FORCE);
        if (existing != null) {
            return existing;
        }
        Linker linker = Linker.nativeLinker();
        MethodHandle setenv = linker.downcallHandle(
                linker.defaultLookup().find("setenv").orElseThrow(
                        () -> new IllegalStateException("libc setenv not found; set " + FORCE + "=1 in the environment")),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) setenv.invokeExact(arena.allocateFrom(FORCE), arena.allocateFrom("1"), 1);
            if (rc != 0) {
                throw new IllegalStateException("setenv(" + FORCE + ") failed: rc=" + rc);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("setenv(" + FORCE + ") failed", t);
        }
        return "1";
    }
}
