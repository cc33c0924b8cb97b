package io.ferrite.bench;

import io.ferrite.pmlog.PmLog;
import io.ferrite.pmlog.PmLogOptions;
import java.io.File;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import net.openhft.chronicle.bytes.WriteBytesMarshallable;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.impl.StoreFileListener;
import net.openhft.chronicle.queue.rollcycles.TestRollCycles;
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
 * One operation = append one record of {@code payload} bytes to a log on /dev/shm.
 *
 * <ul>
 *   <li>{@code ferrite}: {@link PmLog#append(byte[], short)}, which returns once the record is
 *       durable (flushed and fenced; with several threads one leader persists the whole group).
 *       All threads share one log ({@link Scope#Benchmark}), so {@code -t 2} measures group commit.
 *   <li>{@code chronicleQueue}: a Chronicle Queue appender writing the same bytes as raw,
 *       non-self-describing data ({@code appender.writeBytes(b -> b.write(bytes))}, the low-level
 *       form of Chronicle's "Appending" documentation). One appender per thread (Chronicle's
 *       appenders are single-threaded), one queue shared by all threads. A Chronicle append is
 *       <b>not</b> durable when it returns: it is a store into a memory-mapped file that the OS
 *       writes back later.
 * </ul>
 *
 * Run: {@code java -jar bench/target/benchmarks.jar LogAppendBench -f 1 -wi 2 -i 3} (add
 * {@code -t 2} for two appender threads). See docs/benchmarks.md.
 */
@BenchmarkMode({Mode.Throughput, Mode.AverageTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class LogAppendBench {

    /** Record type of the benchmark's records (an application type, not one pmlog reserves). */
    static final short RECORD_TYPE = 1;

    /**
     * Ring capacity of the Ferrite log. The benchmark reclaims up to a durable record boundary
     * whenever more than half of it is in use, so the ring never fills.
     */
    static final long RING_CAPACITY = 64L << 20;

    @State(Scope.Benchmark)
    public static class FerriteLog {

        @Param({"64", "1024"})
        public int payload;

        PmLog log;
        Path path;
        byte[] bytes;
        long reclaimAbove;
        /** Head after the last reclaim; read without a lock on the hot path (a stale value only delays a reclaim). */
        volatile long reclaimedTo;

        @Setup(Level.Trial)
        public void open() {
            bytes = BenchFiles.payload(payload);
            path = BenchFiles.fresh("pmlog");
            try {
                log = PmLog.create(path, RING_CAPACITY, PmLogOptions.defaults());
            } catch (RuntimeException | Error e) {
                BenchFiles.deleteRecursively(path);
                throw e;
            }
            reclaimAbove = RING_CAPACITY / 2;
            reclaimedTo = log.headLsn();
        }

        /** {@code lsn} is the start of a record this thread appended and saw durable: a valid reclaim point. */
        void maybeReclaim(long lsn) {
            if (lsn - reclaimedTo > reclaimAbove) {
                reclaim(lsn);
            }
        }

        private synchronized void reclaim(long lsn) {
            if (lsn - reclaimedTo > reclaimAbove) {
                log.reclaim(lsn);
                reclaimedTo = lsn;
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            try {
                if (log != null) {
                    log.close();
                }
            } finally {
                BenchFiles.deleteRecursively(path);
            }
        }
    }

    @Benchmark
    public long ferrite(FerriteLog s) {
        long lsn = s.log.append(s.bytes, RECORD_TYPE);
        s.maybeReclaim(lsn);
        return lsn;
    }

    /** One Chronicle Queue shared by every benchmark thread. */
    @State(Scope.Benchmark)
    public static class ChronicleLog {

        @Param({"64", "1024"})
        public int payload;

        ChronicleQueue queue;
        Path dir;
        byte[] bytes;

        @Setup(Level.Trial)
        public void open() {
            bytes = BenchFiles.payload(payload);
            dir = BenchFiles.fresh("chronicle");
            // A queue file grows without end and tmpfs holds it in RAM: roll every second and
            // delete each released cycle file, so a run uses at most a few seconds of appends.
            // Index spacing and count as Chronicle's default roll cycle (FAST_DAILY: 256, 4096),
            // not the denser indexing of the test roll cycle.
            try {
                queue = ChronicleQueue.singleBuilder(dir)
                        .rollCycle(TestRollCycles.TEST_SECONDLY)
                        .indexSpacing(256)
                        .indexCount(4096)
                        .storeFileListener(new DeleteReleasedCycles())
                        .build();
            } catch (RuntimeException | Error e) {
                BenchFiles.deleteRecursively(dir);
                throw e;
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            try {
                if (queue != null) {
                    queue.close();
                }
            } finally {
                BenchFiles.deleteRecursively(dir);
            }
        }
    }

    /** Deletes a queue cycle file once Chronicle no longer uses it. */
    static final class DeleteReleasedCycles implements StoreFileListener {
        @Override
        public void onReleased(int cycle, File file) {
            if (!file.delete() && file.exists()) {
                System.err.println("LogAppendBench: could not delete released cycle file " + file);
            }
        }
    }

    /** Chronicle appenders are per thread: each benchmark thread has its own. */
    @State(Scope.Thread)
    public static class ChronicleAppender {

        ExcerptAppender appender;
        WriteBytesMarshallable writer;

        @Setup(Level.Trial)
        public void open(ChronicleLog q) {
            appender = q.queue.createAppender();
            byte[] b = q.bytes;
            writer = out -> out.write(b);
        }

        @TearDown(Level.Trial)
        public void close() {
            if (appender != null) {
                appender.close();
            }
        }
    }

    // Chronicle's JVM arguments for running on the class path under Java 11+ (list from
    // OpenHFT/OpenHFT docs/Java-Version-Support.adoc, "Running under Java 11 or Java 17 (class
    // path)"), plus -Dchronicle.analytics.disable=true so Chronicle does not try to reach the
    // network. They are Chronicle's requirement and live in this fork only, never in Ferrite's.
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
    public void chronicleQueue(ChronicleAppender a) {
        a.appender.writeBytes(a.writer);
    }
}
