package io.ferrite.bench;

import com.intel.pmem.llpl.Range;
import com.intel.pmem.llpl.TransactionalHeap;
import com.intel.pmem.llpl.TransactionalMemoryBlock;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One operation = one durable transaction on a persistent heap on /dev/shm.
 *
 * <ul>
 *   <li>{@code llpl}: LLPL {@link TransactionalHeap}: allocate a 64-byte object, set two
 *       {@code long} fields, store its handle in a slot of a preallocated persistent array (the
 *       heap's root), commit. The object is allocated with LLPL's initializer form
 *       ({@code allocateCompactMemoryBlock(size, range -> ...)}), LLPL's cheapest way to write a
 *       fresh object: the initializing stores need no undo-log entries. A compact block has no
 *       size header, like a Ferrite object in a slab of its type.
 *   <li>{@code llplAllocOnly}: a transaction that only allocates the 64-byte object.
 * </ul>
 *
 * All threads share one heap ({@link Scope#Benchmark}); each operation takes the next slot, so
 * threads never write the same object. Between iterations (not measured) every object the
 * iteration allocated is freed, so the pool does not fill however long a run is.
 *
 * <p>TODO(pheap): {@code ferrite} and {@code ferriteAllocOnly} are added when the pheap API lands:
 * the same operation with a Ferrite {@code Heap} (a type of two {@code long} fields padded to 64
 * bytes, a root with a preallocated pointer array, durability {@code SYNC}), same slot scheme,
 * same per-iteration free, a pool on /dev/shm of the same size.
 *
 * <p>TODO(pheap): the "open a pool with 10 million live objects" measurement (issue 3 target:
 * under 50 ms without relocation) is a separate class, not a method here: a {@code @Setup(Trial)}
 * builds the pool once (10M objects linked from an array, clean close), then
 * {@code Mode.SingleShotTime} with many measurement iterations times {@code Heap.open} +
 * {@code close} of that file, with the page cache warm (tmpfs) and a check that the mapping did
 * not move. LLPL's {@code TransactionalHeap.openHeap} of the same population is the peer figure
 * (LLPL cannot close a heap, so each open needs its own fork: {@code -f N -i 1}).
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar HeapTxBench -f 1 -wi 2 -i 3}. See
 * docs/benchmarks.md.
 */
@BenchmarkMode({Mode.Throughput, Mode.AverageTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class HeapTxBench {

    /** Size of every object the benchmark allocates. */
    static final int OBJECT_SIZE = 64;

    /**
     * Pool size in MiB; {@code -jvmArgsPrepend -Dferrite.bench.poolMiB=N} to change it. PMDK
     * fallocates the whole pool, so on tmpfs this much RAM is used for the whole run.
     */
    static final long POOL_MIB = Long.getLong("ferrite.bench.poolMiB", 2048);

    /**
     * Slots = objects one iteration may allocate. A 64-byte compact LLPL block takes about 73 bytes
     * of pool (measured: 3,663,072 fit in 256 MiB), plus 8 bytes of slot: 128 bytes of pool per
     * slot leaves room. With 2 GiB that is 16.7 M objects per iteration.
     */
    static final long SLOTS = POOL_MIB * (1 << 20) / 128;

    /** Objects freed per transaction between iterations. */
    static final int FREE_BATCH = 4096;

    @State(Scope.Benchmark)
    public static class LlplHeap {

        TransactionalHeap heap;
        Path path;
        /** Persistent array of {@link #SLOTS} handles, the heap's root. */
        TransactionalMemoryBlock slots;
        /** Handles of objects allocated by {@code llplAllocOnly} (DRAM; freed between iterations). */
        long[] loose;
        final AtomicLong next = new AtomicLong();

        @Setup(Level.Trial)
        public void create() {
            String force = PmemEnv.forcePmemUnlessSet();
            path = BenchFiles.fresh("llpl");
            try {
                heap = TransactionalHeap.createHeap(path.toString(), POOL_MIB << 20);
                long bytes = SLOTS * Long.BYTES;
                slots = heap.allocateMemoryBlock(bytes, range -> range.setMemory((byte) 0, 0, bytes));
                heap.setRoot(slots.handle());
            } catch (RuntimeException | Error e) {
                BenchFiles.deleteRecursively(path);
                throw e;
            }
            loose = new long[(int) SLOTS];
            System.out.println("LLPL heap " + path + ": " + POOL_MIB + " MiB, " + SLOTS + " slots, "
                    + PmemEnv.FORCE + "=" + force);
        }

        long nextSlot() {
            long i = next.getAndIncrement();
            if (i >= SLOTS) {
                throw new IllegalStateException("HeapTxBench: an iteration allocated more than " + SLOTS
                        + " objects; run with a bigger pool (-jvmArgsPrepend -Dferrite.bench.poolMiB=" + 2 * POOL_MIB
                        + ") or shorter iterations (-r)");
            }
            return i;
        }

        /** Frees every object the iteration allocated (not measured), in transactions of {@link #FREE_BATCH}. */
        @TearDown(Level.Iteration)
        public void freeAll() {
            long n = Math.min(next.getAndSet(0), SLOTS);
            for (long from = 0; from < n; from += FREE_BATCH) {
                long start = from;
                long end = Math.min(from + FREE_BATCH, n);
                heap.execute(() -> {
                    for (long i = start; i < end; i++) {
                        long h = slots.getLong(i * Long.BYTES);
                        if (h != 0) {
                            heap.compactMemoryBlockFromHandle(h).free();
                            slots.setLong(i * Long.BYTES, 0);
                        }
                        long l = loose[(int) i];
                        if (l != 0) {
                            heap.compactMemoryBlockFromHandle(l).free();
                            loose[(int) i] = 0;
                        }
                    }
                });
            }
        }

        @TearDown(Level.Trial)
        public void delete() {
            // LLPL has no public close: the pool stays mapped until this fork exits; the file goes now.
            BenchFiles.deleteRecursively(path);
        }
    }

    /** Per-thread reusable transaction bodies, so that the measured path allocates no lambdas. */
    @State(Scope.Thread)
    public static class LlplWorker {
        LlplHeap h;
        long slot;
        long handle;
        final Consumer<Range> init = range -> {
            range.setLong(0, slot);
            range.setLong(8, slot * 31);
        };
        final Runnable linkTx = () -> {
            handle = h.heap.allocateCompactMemoryBlock(OBJECT_SIZE, init).handle();
            h.slots.setLong(slot * Long.BYTES, handle);
        };
        final Runnable allocTx = () -> handle = h.heap.allocateCompactMemoryBlock(OBJECT_SIZE).handle();

        @Setup(Level.Trial)
        public void bind(LlplHeap heap) {
            h = heap;
        }
    }

    @Benchmark
    public long llpl(LlplWorker w) {
        w.slot = w.h.nextSlot();
        w.h.heap.execute(w.linkTx);
        return w.handle;
    }

    @Benchmark
    public long llplAllocOnly(LlplWorker w) {
        w.slot = w.h.nextSlot();
        w.h.heap.execute(w.allocTx);
        w.h.loose[(int) w.slot] = w.handle;
        return w.handle;
    }

    // TODO(pheap): @Benchmark ferrite(...) and ferriteAllocOnly(...) — see the class comment.
}
