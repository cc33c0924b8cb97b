package io.ferrite.bench;

import io.ferrite.pheap.Durability;
import io.ferrite.pheap.Heap;
import io.ferrite.pheap.HeapOptions;
import io.ferrite.pheap.PField;
import io.ferrite.pheap.PType;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Opening a Ferrite pool with 10 million live objects, without relocation (issue 3: under 50 ms).
 *
 * <p>A trial {@code @Setup} builds the pool once: {@code objects} 64-byte objects (type
 * {@code OpenNode}: two {@code int64} fields, a {@code next} pointer, padding) in one linked list
 * from the root, filled in ASYNC transactions of 1000 objects, then closed cleanly. Each
 * invocation then times, on that file (tmpfs, so the pages are in memory):
 *
 * <ul>
 *   <li>{@code open}: {@link Heap#open} alone (map at the recorded base, read the superblocks,
 *       scan the log from the checkpoint, load the registry, rebuild the allocator from the slab
 *       bitmaps); the heap is closed in the invocation teardown, outside the timing.
 *   <li>{@code openClose}: {@code Heap.open} + {@code close} (close checkpoints and writes the
 *       clean-close superblock).
 * </ul>
 *
 * Every open checks that the pool mapped at its recorded base (no swizzle: this is the
 * no-relocation figure; {@code SwizzleBench} measures relocation) and that the live-object count
 * is the one built. Mode is single-shot: each measurement iteration is one open.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar HeapOpenBench -f 1}. See docs/benchmarks.md.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 10)
@Measurement(iterations = 30)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class HeapOpenBench {

    static final PType NODE = PType.builder("OpenNode").int64("key").int64("value").pointer("next", "OpenNode")
            .bytes("pad", 40).build();
    static final PField KEY = NODE.field("key");
    static final PField VALUE = NODE.field("value");
    static final PField NEXT = NODE.field("next");
    static final PType ROOT = PType.builder("OpenRoot").pointer("head", NODE).int64("count").build();
    static final PField HEAD = ROOT.field("head");
    static final PField COUNT = ROOT.field("count");

    /** Objects per filling transaction. */
    static final int FILL_BATCH = 1000;

    @State(Scope.Benchmark)
    public static class Pool {

        /** Live objects in the pool (plus the root). */
        @Param({"10000000"})
        public long objects;

        /** Pool size in MiB: 10 M 64-byte objects take 640 MB of slabs; the log is 1/16 of the pool. */
        @Param({"1024"})
        public long poolMiB;

        Path path;
        long base;
        Heap opened;

        @Setup(Level.Trial)
        public void build() {
            path = BenchFiles.fresh("open");
            long t0 = System.nanoTime();
            try (Heap h = Heap.create(path, poolMiB << 20, HeapOptions.defaults())) {
                base = h.baseAddress();
                Ref root = h.root(ROOT);
                Ref prev = null;
                for (long i = 0; i < objects; i += FILL_BATCH) {
                    try (Tx tx = h.begin(Durability.ASYNC)) {
                        for (long j = i; j < Math.min(i + FILL_BATCH, objects); j++) {
                            Ref n = tx.allocate(NODE);
                            tx.setLong(n, KEY, j);
                            tx.setLong(n, VALUE, j * 31);
                            tx.setRef(n, NEXT, prev);
                            prev = n;
                        }
                        tx.setRef(root, HEAD, prev);
                        tx.setLong(root, COUNT, Math.min(i + FILL_BATCH, objects));
                        tx.commit();
                    }
                }
                System.out.printf("HeapOpenBench: pool %s, %d MiB at 0x%x: %,d objects built in %.1f s; %s%n", path, poolMiB,
                        base, objects, (System.nanoTime() - t0) / 1e9, h.stats());
            } catch (RuntimeException | Error e) {
                BenchFiles.deletePool(path);
                throw e;
            }
        }

        Heap open() {
            Heap h = Heap.open(path, HeapOptions.defaults());
            if (h.baseAddress() != base || h.recoveryReport().liveObjects() != objects + 1) {
                String msg = String.format("HeapOpenBench: pool %s opened at 0x%x with %d live objects; expected 0x%x (no"
                        + " relocation) and %d", path, h.baseAddress(), h.recoveryReport().liveObjects(), base, objects + 1);
                h.close();
                throw new IllegalStateException(msg);
            }
            return h;
        }

        @TearDown(Level.Invocation)
        public void closeOpened() {
            if (opened != null) {
                opened.close();
                opened = null;
            }
        }

        @TearDown(Level.Trial)
        public void delete() {
            closeOpened();
            BenchFiles.deletePool(path);
        }
    }

    @Benchmark
    public Heap open(Pool p) {
        p.opened = p.open();
        return p.opened;
    }

    @Benchmark
    public long openClose(Pool p) {
        try (Heap h = p.open()) {
            return h.recoveryReport().liveObjects();
        }
    }
}
