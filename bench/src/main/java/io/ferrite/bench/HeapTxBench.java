package io.ferrite.bench;

import com.intel.pmem.llpl.Range;
import com.intel.pmem.llpl.TransactionalHeap;
import com.intel.pmem.llpl.TransactionalMemoryBlock;
import io.ferrite.pheap.Durability;
import io.ferrite.pheap.Heap;
import io.ferrite.pheap.HeapOptions;
import io.ferrite.pheap.PField;
import io.ferrite.pheap.PType;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.infra.ThreadParams;

/**
 * One operation = one durable transaction on a persistent heap on /dev/shm.
 *
 * <ul>
 *   <li>{@code ferrite}: a Ferrite {@link Heap} transaction ({@link Durability#SYNC}: durable when
 *       {@code commit()} returns): allocate a 64-byte object (type {@code BenchObject}: two
 *       {@code int64} fields and 48 bytes of padding), set its two fields, point a slot of a
 *       preallocated persistent pointer array at it, commit. The array is a chain of
 *       {@code BenchSlots} objects of {@value #SLOTS_PER_BLOCK} pointer fields each (Ferrite has no
 *       array type; a pointer field is what a real structure would use), linked from the root.
 *   <li>{@code ferriteAllocOnly}: a transaction that only allocates the 64-byte object.
 *   <li>{@code llpl}: LLPL {@link TransactionalHeap}: allocate a 64-byte object, set two
 *       {@code long} fields, store its handle in a slot of a preallocated persistent array (the
 *       heap's root), commit. The object is allocated with LLPL's initializer form
 *       ({@code allocateCompactMemoryBlock(size, range -> ...)}), LLPL's cheapest way to write a
 *       fresh object: the initializing stores need no undo-log entries. A compact block has no
 *       size header, like a Ferrite object in a slab of its type.
 *   <li>{@code llplAllocOnly}: a transaction that only allocates the 64-byte object.
 * </ul>
 *
 * Both sides: a pool of the same size ({@link #POOL_MIB}), the same number of slots, shared by all
 * threads ({@link Scope#Benchmark}); each thread fills its own range of slots ({@link SlotRange}),
 * so threads never write the same object and share no counter. Between iterations (not measured)
 * every object the iteration allocated is freed, so the pool does not fill however long a run is.
 *
 * <p>Iterations are 3 s (not JMH's default 10 s): the slots bound what one iteration may allocate
 * (16.7 M with the default 2 GiB pool, split between the threads), and a smoke run of
 * {@code ferriteAllocOnly} on the loaded 2-core machine already did 3.2 M transactions/s, which
 * would outgrow them in 5 s. A run that outgrows them stops with advice ({@link SlotRange#take()});
 * the iteration teardown prints a note when a thread used more than 3/4 of its range.
 *
 * <p>The "open a pool with 10 million live objects" measurement is {@link HeapOpenBench}.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar HeapTxBench -f 1 -wi 2 -i 3}. See
 * docs/benchmarks.md.
 */
@BenchmarkMode({Mode.Throughput, Mode.AverageTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
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
     * slot leaves room. With 2 GiB that is 16.7 M objects per iteration. Ferrite needs 72 bytes per
     * slot plus its log (pool / 16): it fits in the same pool.
     */
    static final long SLOTS = POOL_MIB * (1 << 20) / 128;

    /** Objects freed per LLPL transaction between iterations. */
    static final int FREE_BATCH = 4096;

    /**
     * Objects freed per Ferrite transaction between iterations. Smaller than LLPL's: a Ferrite
     * transaction checks each free against the frees before it (a double-free check, quadratic in
     * the batch), and this is setup time, not measured.
     */
    static final int FERRITE_FREE_BATCH = 256;

    // ================================================================== LLPL

    @State(Scope.Benchmark)
    public static class LlplHeap {

        TransactionalHeap heap;
        Path path;
        /** Persistent array of {@link #SLOTS} handles, the heap's root. */
        TransactionalMemoryBlock slots;
        /** Handles of objects allocated by {@code llplAllocOnly} (DRAM; freed between iterations). */
        long[] loose;
        final List<SlotRange> ranges = new CopyOnWriteArrayList<>();

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

        /** Frees every object the iteration allocated (not measured), in transactions of {@link #FREE_BATCH}. */
        @TearDown(Level.Iteration)
        public void freeAll() {
            for (SlotRange r : ranges) {
                r.noteUse();
                long n = r.next;
                for (long from = r.from; from < n; from += FREE_BATCH) {
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
                r.next = r.from;
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
        SlotRange range;
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
        public void bind(LlplHeap heap, ThreadParams t) {
            h = heap;
            range = SlotRange.of(t, SLOTS, heap.ranges, "HeapTxBench", POOL_MIB);
        }
    }

    @Benchmark
    public long llpl(LlplWorker w) {
        w.slot = w.range.take();
        w.h.heap.execute(w.linkTx);
        return w.handle;
    }

    @Benchmark
    public long llplAllocOnly(LlplWorker w) {
        w.slot = w.range.take();
        w.h.heap.execute(w.allocTx);
        w.h.loose[(int) w.slot] = w.handle;
        return w.handle;
    }

    // ================================================================== Ferrite

    /** Pointer slots per {@code BenchSlots} object (plus one {@code next} pointer: 4 KiB objects). */
    static final int SLOTS_PER_BLOCK = 511;

    /** The benchmark's object: two {@code int64} fields padded to {@value #OBJECT_SIZE} bytes. */
    static final PType OBJECT = PType.builder("BenchObject").int64("a").int64("b").bytes("pad", OBJECT_SIZE - 16).build();
    static final PField A = OBJECT.field("a");
    static final PField B = OBJECT.field("b");

    /** One block of the persistent slot array: a {@code next} pointer and {@value #SLOTS_PER_BLOCK} slots. */
    static final PType SLOT_BLOCK;
    static final PField NEXT_BLOCK;
    static final PField[] SLOT_FIELDS = new PField[SLOTS_PER_BLOCK];

    static {
        PType.Builder b = PType.builder("BenchSlots").pointer("next", "BenchSlots");
        for (int i = 0; i < SLOTS_PER_BLOCK; i++) {
            b.pointer("s" + i, OBJECT.name());
        }
        SLOT_BLOCK = b.build();
        NEXT_BLOCK = SLOT_BLOCK.field("next");
        for (int i = 0; i < SLOTS_PER_BLOCK; i++) {
            SLOT_FIELDS[i] = SLOT_BLOCK.field("s" + i);
        }
    }

    static final PType ROOT = PType.builder("BenchRoot").pointer("slots", SLOT_BLOCK).build();

    @State(Scope.Benchmark)
    public static class FerriteHeap {

        Heap heap;
        Path path;
        /** The blocks of the persistent slot array, in order (DRAM index; the pool links them from the root). */
        Ref[] blocks;
        /** Pool offsets of objects allocated by {@code ferriteAllocOnly} (DRAM; freed between iterations). */
        long[] loose;
        final List<SlotRange> ranges = new CopyOnWriteArrayList<>();

        @Setup(Level.Trial)
        public void create() {
            path = BenchFiles.fresh("ferrite");
            try {
                heap = Heap.create(path, POOL_MIB << 20, HeapOptions.defaults().durability(Durability.SYNC));
                Ref root = heap.root(ROOT);
                blocks = new Ref[(int) ((SLOTS + SLOTS_PER_BLOCK - 1) / SLOTS_PER_BLOCK)];
                int perTx = 64;
                for (int i = 0; i < blocks.length; i += perTx) {
                    try (Tx tx = heap.begin()) {
                        for (int j = i; j < Math.min(i + perTx, blocks.length); j++) {
                            blocks[j] = tx.allocate(SLOT_BLOCK);
                            tx.setRef(j == 0 ? root : blocks[j - 1], j == 0 ? ROOT.field("slots") : NEXT_BLOCK, blocks[j]);
                        }
                        tx.commit();
                    }
                }
            } catch (RuntimeException | Error e) {
                if (heap != null) {
                    heap.close();
                }
                BenchFiles.deletePool(path);
                throw e;
            }
            loose = new long[(int) SLOTS];
            System.out.println("Ferrite heap " + path + ": " + POOL_MIB + " MiB, " + SLOTS + " slots in " + blocks.length
                    + " blocks, " + heap.options().durability() + ", " + heap.media().describe());
        }

        Ref block(long slot) {
            return blocks[(int) (slot / SLOTS_PER_BLOCK)];
        }

        static PField slotField(long slot) {
            return SLOT_FIELDS[(int) (slot % SLOTS_PER_BLOCK)];
        }

        /** Frees every object the iteration allocated (not measured), in transactions of {@link #FERRITE_FREE_BATCH}. */
        @TearDown(Level.Iteration)
        public void freeAll() {
            for (SlotRange r : ranges) {
                r.noteUse();
                long n = r.next;
                for (long from = r.from; from < n; from += FERRITE_FREE_BATCH) {
                    long end = Math.min(from + FERRITE_FREE_BATCH, n);
                    try (Tx tx = heap.begin()) {
                        for (long i = from; i < end; i++) {
                            Ref b = block(i);
                            PField f = slotField(i);
                            Ref o = tx.getRef(b, f);
                            if (o != null) {
                                tx.setRef(b, f, null);
                                tx.free(o);
                            }
                            long l = loose[(int) i];
                            if (l != 0) {
                                tx.free(heap.ref(l));
                                loose[(int) i] = 0;
                            }
                        }
                        tx.commit();
                    }
                }
                r.next = r.from;
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            try {
                if (heap != null) {
                    heap.close();
                }
            } finally {
                BenchFiles.deletePool(path);
            }
        }
    }

    @State(Scope.Thread)
    public static class FerriteWorker {
        FerriteHeap h;
        Heap heap;
        SlotRange range;

        @Setup(Level.Trial)
        public void bind(FerriteHeap heap, ThreadParams t) {
            h = heap;
            this.heap = heap.heap;
            range = SlotRange.of(t, SLOTS, heap.ranges, "HeapTxBench", POOL_MIB);
        }
    }

    @Benchmark
    public Ref ferrite(FerriteWorker w) {
        long slot = w.range.take();
        try (Tx tx = w.heap.begin()) {
            Ref o = tx.allocate(OBJECT);
            tx.setLong(o, A, slot);
            tx.setLong(o, B, slot * 31);
            tx.setRef(w.h.block(slot), FerriteHeap.slotField(slot), o);
            tx.commit();
            return o;
        }
    }

    @Benchmark
    public Ref ferriteAllocOnly(FerriteWorker w) {
        long slot = w.range.take();
        try (Tx tx = w.heap.begin()) {
            Ref o = tx.allocate(OBJECT);
            tx.commit();
            w.h.loose[(int) slot] = o.offset();
            return o;
        }
    }
}
