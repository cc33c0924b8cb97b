package io.ferrite.bench;

import io.ferrite.media.Media;
import io.ferrite.media.MediaOptions;
import io.ferrite.pheap.Durability;
import io.ferrite.pheap.Heap;
import io.ferrite.pheap.HeapOptions;
import io.ferrite.pheap.PField;
import io.ferrite.pheap.PType;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
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
 * Rewriting every pointer of a pool when it is mapped at another base (issue 4).
 *
 * <p>A trial {@code @Setup} builds, through the heap's own API, a pool of {@code poolMiB}
 * (default 2 GiB) filled with 64-byte objects of type {@code SwizzleNode} (pointers {@code a} and
 * {@code b}, an {@code int64}, padding): about 33 million objects, 66 million pointer words. Each
 * object's {@code a} points to the object before it, {@code b} to one of the 4096 before it
 * (pseudo-random). The pool's log is 16 MiB (not 1/16 of the pool) so that objects fill it. The
 * pool is closed cleanly, then each invocation (single shot) is one of:
 *
 * <ul>
 *   <li>{@code ferrite}: {@link Heap#open} with {@code forceRelocation(true)} and
 *       {@code swizzleParallelism(threads)}: the mapping lands away from the recorded base and open
 *       swizzles every pointer (crash-safe protocol: flushes, fences, recorded-base words), plus
 *       everything else an open does (superblocks, log scan, allocator rebuild). Every invocation
 *       relocates to a new base, so each does the same work; the heap is closed outside the timing.
 *   <li>{@code rawRewrite}: the physical limit for that work: on a fresh mapping of the same file
 *       (mapped outside the timing, as the open maps it; the page faults of touching it are in
 *       both), one tight loop adds a delta to the same pointer words ({@code a} and {@code b} of
 *       every object), split over {@code threads} threads by slab: no flush, no fence, no checks,
 *       no state. The delta alternates in sign, so the words stay valid addresses.
 * </ul>
 *
 * Both with {@code threads} = 1 and 2 (a {@code @Param}). On this 2-core machine building the
 * 2 GiB pool takes about 10 to 20 s per fork; {@code -p poolMiB=512} makes a quicker, smaller run.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar SwizzleBench -f 1 -wi 1 -i 3}. See
 * docs/benchmarks.md.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class SwizzleBench {

    static final PType NODE = PType.builder("SwizzleNode").pointer("a", "SwizzleNode").pointer("b", "SwizzleNode")
            .int64("key").bytes("pad", 40).build();
    static final PField A = NODE.field("a");
    static final PField B = NODE.field("b");
    static final PField KEY = NODE.field("key");
    static final PType ROOT = PType.builder("SwizzleRoot").pointer("last", NODE).int64("count").build();
    static final PField LAST = ROOT.field("last");
    static final PField COUNT = ROOT.field("count");

    static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Objects per filling transaction. */
    static final int FILL_BATCH = 1000;

    /** The pool, built once per fork. */
    @State(Scope.Benchmark)
    public static class Pool {

        /** Threads that rewrite the pointers (swizzle parallelism; raw loop threads). */
        @Param({"1", "2"})
        public int threads;

        /** Pool size in MiB. */
        @Param({"2048"})
        public long poolMiB;

        Path path;
        long objects;
        /** Runs of consecutive objects (pool offset of the first, count): what the raw loop walks. */
        long[] runStart = new long[1024];
        int[] runCount = new int[1024];
        int runs;

        @Setup(Level.Trial)
        public void build() {
            path = BenchFiles.fresh("swizzle");
            long t0 = System.nanoTime();
            try (Heap h = Heap.create(path, poolMiB << 20, HeapOptions.defaults().logCapacity(16L << 20))) {
                Ref root = h.root(ROOT);
                Ref[] recent = new Ref[4096];
                long x = 0x9E3779B97F4A7C15L;
                Ref prev = null;
                while (h.stats().freeSlabs() > 0) {
                    try (Tx tx = h.begin(Durability.ASYNC)) {
                        for (int j = 0; j < FILL_BATCH; j++) {
                            Ref n = tx.allocate(NODE);
                            x ^= x << 13;
                            x ^= x >>> 7;
                            x ^= x << 17;
                            tx.setRef(n, A, prev);
                            tx.setRef(n, B, objects == 0 ? null : recent[(int) Math.floorMod(x, Math.min(objects, recent.length))]);
                            tx.setLong(n, KEY, objects);
                            recent[(int) (objects % recent.length)] = n;
                            addToRuns(n.offset());
                            prev = n;
                            objects++;
                        }
                        tx.setRef(root, LAST, prev);
                        tx.setLong(root, COUNT, objects);
                        tx.commit();
                    }
                }
                System.out.printf("SwizzleBench: pool %s, %d MiB: %,d objects (%,d pointer words) in %d runs, built in %.1f s;"
                        + " %s%n", path, poolMiB, objects, 2 * objects, runs, (System.nanoTime() - t0) / 1e9, h.stats());
            } catch (RuntimeException | Error e) {
                BenchFiles.deletePool(path);
                throw e;
            }
        }

        private void addToRuns(long offset) {
            if (runs > 0 && runStart[runs - 1] + (long) runCount[runs - 1] * 64 == offset) {
                runCount[runs - 1]++;
                return;
            }
            if (runs == runStart.length) {
                runStart = Arrays.copyOf(runStart, runs * 2);
                runCount = Arrays.copyOf(runCount, runs * 2);
            }
            runStart[runs] = offset;
            runCount[runs++] = 1;
        }

        @TearDown(Level.Trial)
        public void delete() {
            BenchFiles.deletePool(path);
        }
    }

    /** The heap a {@code ferrite} invocation opened; closed (unmapped) after the timing. */
    @State(Scope.Benchmark)
    public static class Opened {
        Heap heap;
        boolean reported;

        @TearDown(Level.Invocation)
        public void close() {
            if (heap != null) {
                heap.close();
                heap = null;
            }
        }
    }

    /** A fresh mapping of the pool file for each {@code rawRewrite} invocation, made outside the timing. */
    @State(Scope.Benchmark)
    public static class RawMapping {
        Media media;
        long delta = 1L << 30;

        @Setup(Level.Invocation)
        public void map(Pool p) {
            media = Media.open(p.path, MediaOptions.defaults());
        }

        @TearDown(Level.Invocation)
        public void unmap() {
            if (media != null) {
                media.close();
                media = null;
            }
            delta = -delta;
        }
    }

    @Benchmark
    public long ferrite(Pool p, Opened o) {
        o.heap = Heap.open(p.path, HeapOptions.defaults().forceRelocation(true).swizzleParallelism(p.threads));
        var r = o.heap.recoveryReport();
        if (!r.relocated() || r.swizzle().pointers() < 2 * p.objects - 2) {
            throw new IllegalStateException("SwizzleBench: the open did not swizzle the whole pool: " + r);
        }
        if (!o.reported) {
            o.reported = true;
            System.out.println("SwizzleBench: first open: " + r);
        }
        return r.swizzle().pointers();
    }

    @Benchmark
    public long rawRewrite(Pool p, RawMapping m) throws InterruptedException {
        MemorySegment seg = m.media.segment();
        long delta = m.delta;
        int n = p.threads;
        if (n == 1) {
            return rewrite(seg, p, 0, p.runs, delta);
        }
        long[] words = new long[n];
        Thread[] ts = new Thread[n];
        for (int k = 0; k < n; k++) {
            int kk = k;
            int from = (int) ((long) p.runs * k / n);
            int to = (int) ((long) p.runs * (k + 1) / n);
            ts[k] = Thread.ofPlatform().name("raw-rewrite-" + k).start(() -> words[kk] = rewrite(seg, p, from, to, delta));
        }
        long total = 0;
        for (int k = 0; k < n; k++) {
            ts[k].join();
            total += words[k];
        }
        return total;
    }

    /** Adds {@code delta} to words {@code a} and {@code b} of every object of runs {@code [from, to)}. */
    static long rewrite(MemorySegment seg, Pool p, int from, int to, long delta) {
        long a = A.offset();
        long b = B.offset();
        long words = 0;
        for (int r = from; r < to; r++) {
            long o = p.runStart[r];
            int c = p.runCount[r];
            for (int i = 0; i < c; i++, o += 64) {
                seg.set(WORD, o + a, seg.get(WORD, o + a) + delta);
                seg.set(WORD, o + b, seg.get(WORD, o + b) + delta);
            }
            words += 2L * c;
        }
        return words;
    }
}
