package io.ferrite.bench;

import io.ferrite.store.Codecs;
import io.ferrite.store.PersistentMap;
import io.ferrite.store.Store;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
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
import org.openjdk.jmh.infra.ThreadParams;

/**
 * A key-value map of {@code entries} (1 million) entries with 16-byte keys and 100-byte values,
 * filled in the trial setup; one operation = a {@code put} (replacing the value of a random
 * existing key, returning the previous value) or a {@code get} of a random existing key. Every
 * thread draws its own pseudo-random key sequence; all threads share one map.
 *
 * <ul>
 *   <li>{@code ferritePut}, {@code ferriteGet}: Ferrite's object store ({@link Store}, a
 *       {@link PersistentMap} with {@code byte[]} keys and values, native codec) in a 1 GiB pool
 *       on /dev/shm. A put is one atomic commit, <b>durable</b> when it returns (SYNC); a get is
 *       lock-free (optimistic, validated) and checks the entry's CRC32C.
 *   <li>{@code chronicleMapPut}, {@code chronicleMapGet}: Chronicle Map
 *       ({@code net.openhft:chronicle-map}) persisted to a file on /dev/shm
 *       ({@code createPersistedTo}), sized for {@code entries} with constant 16-byte keys and
 *       100-byte values. A put is a store into a shared memory mapping: <b>not durable</b> when it
 *       returns (the kernel writes back when it likes). Its fork gets Chronicle's JVM flags.
 *   <li>{@code concurrentHashMapPut}, {@code concurrentHashMapGet}: a {@link ConcurrentHashMap}
 *       on the Java heap, keys wrapped per call in a {@link ByteBuffer} (content equality, as the
 *       other two hash the key bytes); the value array is stored by reference, not copied. The
 *       volatile ceiling.
 * </ul>
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar MapBench -f 1 -wi 2 -i 3}. See
 * docs/benchmarks.md.
 */
@BenchmarkMode({Mode.Throughput, Mode.AverageTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class MapBench {

    static final int KEY_SIZE = 16;
    static final int VALUE_SIZE = 100;

    /** The keys, shared by every map state of a fork. */
    @State(Scope.Benchmark)
    public static class Keys {

        @Param({"1000000"})
        public int entries;

        byte[][] keys;
        byte[] initialValue;

        @Setup(Level.Trial)
        public void generate() {
            keys = new byte[entries][];
            ByteBuffer b = ByteBuffer.allocate(KEY_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < entries; i++) {
                b.clear();
                b.putLong(i).putLong(mix(i));
                keys[i] = b.array().clone();
            }
            initialValue = BenchFiles.payload(VALUE_SIZE);
        }

        static long mix(long x) {
            x = (x ^ (x >>> 33)) * 0xff51afd7ed558ccdL;
            x = (x ^ (x >>> 33)) * 0xc4ceb9fe1a85ec53L;
            return x ^ (x >>> 33);
        }
    }

    /** Per-thread random key index and the value this thread puts. */
    @State(Scope.Thread)
    public static class Worker {
        long x;
        int entries;
        byte[] value;

        @Setup(Level.Trial)
        public void init(Keys k, ThreadParams t) {
            entries = k.entries;
            x = 0x9E3779B97F4A7C15L * (t.getThreadIndex() + 1);
            value = BenchFiles.payload(VALUE_SIZE);
            value[0] = (byte) t.getThreadIndex();
        }

        int next() {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            return (int) Math.floorMod(x, (long) entries);
        }
    }

    // ================================================================== Ferrite

    @State(Scope.Benchmark)
    public static class FerriteMap {

        /** Pool size in MiB (1 M entries use about 300 MB; puts allocate a new entry and free the old). */
        @Param({"1024"})
        public long poolMiB;

        Store store;
        PersistentMap<byte[], byte[]> map;
        byte[][] keys;
        Path path;

        @Setup(Level.Trial)
        public void create(Keys k) {
            keys = k.keys;
            path = BenchFiles.fresh("store");
            long t0 = System.nanoTime();
            try {
                store = Store.create(path, poolMiB << 20, new Store.Context());
                map = store.map("bench", Codecs.BYTES, Codecs.BYTES);
                // One durable commit per entry, as an application would fill it (each insert also
                // splits a bucket when the map has more entries than buckets).
                for (byte[] key : keys) {
                    map.set(key, k.initialValue);
                }
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
            System.out.printf("MapBench: Ferrite store %s (%d MiB): %,d entries filled in %.1f s; %s%n", path, poolMiB, map.longSize(),
                    (System.nanoTime() - t0) / 1e9, store.heap().stats());
        }

        @TearDown(Level.Trial)
        public void close() {
            try {
                if (store != null) {
                    store.close();
                }
            } finally {
                BenchFiles.deletePool(path);
            }
        }
    }

    @Benchmark
    public byte[] ferritePut(FerriteMap m, Worker w) {
        return m.map.put(m.keys[w.next()], w.value);
    }

    @Benchmark
    public byte[] ferriteGet(FerriteMap m, Worker w) {
        return m.map.get(m.keys[w.next()]);
    }

    // ================================================================== Chronicle Map

    @State(Scope.Benchmark)
    public static class ChronicleMapState {

        ChronicleMap<byte[], byte[]> map;
        byte[][] keys;
        Path path;

        @Setup(Level.Trial)
        public void create(Keys k) throws java.io.IOException {
            keys = k.keys;
            path = BenchFiles.fresh("chronicle-map");
            long t0 = System.nanoTime();
            try {
                map = ChronicleMapBuilder.of(byte[].class, byte[].class)
                        .name("ferrite-bench")
                        .entries(k.entries)
                        .constantKeySizeBySample(new byte[KEY_SIZE])
                        .constantValueSizeBySample(new byte[VALUE_SIZE])
                        .createPersistedTo(path.toFile());
                for (byte[] key : keys) {
                    map.put(key, k.initialValue);
                }
            } catch (RuntimeException | Error | java.io.IOException e) {
                close();
                throw e;
            }
            System.out.printf("MapBench: Chronicle Map %s: %,d entries filled in %.1f s%n", path, map.longSize(),
                    (System.nanoTime() - t0) / 1e9);
        }

        @TearDown(Level.Trial)
        public void close() {
            try {
                if (map != null) {
                    map.close();
                }
            } finally {
                BenchFiles.deleteRecursively(path);
            }
        }
    }

    // Chronicle's JVM arguments for the class path on Java 11+ (the same list as LogAppendBench's
    // chronicleQueue: OpenHFT/OpenHFT docs/Java-Version-Support.adoc), in these forks only.
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {
        "--enable-native-access=ALL-UNNAMED",
        "-Dchronicle.analytics.disable=true",
        "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
        "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
        "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
        "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-opens=java.base/java.io=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED"
    })
    public byte[] chronicleMapPut(ChronicleMapState m, Worker w) {
        return m.map.put(m.keys[w.next()], w.value);
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {
        "--enable-native-access=ALL-UNNAMED",
        "-Dchronicle.analytics.disable=true",
        "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
        "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
        "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
        "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-opens=java.base/java.io=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED"
    })
    public byte[] chronicleMapGet(ChronicleMapState m, Worker w) {
        return m.map.get(m.keys[w.next()]);
    }

    // ================================================================== ConcurrentHashMap

    @State(Scope.Benchmark)
    public static class HeapMap {
        ConcurrentHashMap<ByteBuffer, byte[]> map;
        byte[][] keys;

        @Setup(Level.Trial)
        public void create(Keys k) {
            keys = k.keys;
            map = new ConcurrentHashMap<>(k.entries * 4 / 3 + 1);
            for (byte[] key : keys) {
                map.put(ByteBuffer.wrap(key), k.initialValue);
            }
        }
    }

    @Benchmark
    public byte[] concurrentHashMapPut(HeapMap m, Worker w) {
        return m.map.put(ByteBuffer.wrap(m.keys[w.next()]), w.value);
    }

    @Benchmark
    public byte[] concurrentHashMapGet(HeapMap m, Worker w) {
        return m.map.get(ByteBuffer.wrap(m.keys[w.next()]));
    }
}
