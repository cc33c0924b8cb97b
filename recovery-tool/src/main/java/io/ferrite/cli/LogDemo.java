package io.ferrite.cli;

import io.ferrite.media.Media;
import io.ferrite.pmlog.LogRecordDescriptor;
import io.ferrite.pmlog.PmLog;
import io.ferrite.pmlog.PmLogOptions;
import io.ferrite.pmlog.RecoveryInfo;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A small runnable demo of the log: creates a log on /dev/shm (or the directory given), appends
 * from 4 threads (10,000 durable records each), closes, reopens, reads everything back and checks
 * every record byte for byte and the LSNs gap-free, prints what happened, deletes the file.
 * Part 1 of {@code ferrite demo} ({@link DemoCommand} calls {@link #run(Path, PrintStream)}); it
 * uses pmlog's public API only, as an embedder would.
 */
final class LogDemo {
    static final int THREADS = 4;
    static final int RECORDS_PER_THREAD = 10_000;
    static final long CAPACITY = 64L << 20;

    private LogDemo() {
    }

    /** Runs the demo in {@code dir}; returns true when every record came back intact. */
    static boolean run(Path dir, PrintStream out) {
        Path file = dir.resolve("ferrite-demo-" + ProcessHandle.current().pid() + ".log");
        try {
            return demo(file, out);
        } catch (RuntimeException | InterruptedException e) {
            out.println("FAILED: " + e);
            return false;
        } finally {
            try {
                if (Files.deleteIfExists(file)) {
                    out.println("removed " + file);
                }
            } catch (IOException e) {
                out.println("could not remove " + file + ": " + e.getMessage());
            }
        }
    }

    /** A throw-away log, so that the figures printed are of compiled code, not of the JIT's warm-up. */
    private static void warmUp(Path scratch) throws InterruptedException {
        AtomicReference<PmLog> ref = new AtomicReference<>();
        PmLogOptions options = PmLogOptions.defaults().onFull(() -> ref.get().reclaim(ref.get().durableLsn()));
        try (PmLog log = PmLog.create(scratch, 1 << 20, options)) {
            ref.set(log);
            Thread[] threads = new Thread[THREADS];
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                threads[t] = Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 3 * RECORDS_PER_THREAD; i++) {
                        log.append(payload(id, i % RECORDS_PER_THREAD), (short) 1);
                    }
                });
            }
            for (Thread t : threads) {
                t.join();
            }
        } finally {
            try {
                Files.deleteIfExists(scratch);
            } catch (IOException ignored) {
                // best effort: a scratch file in a temp directory
            }
        }
    }

    /** Payload of record {@code seq} of thread {@code thread}: 32..231 bytes, starting with (thread, seq). */
    static byte[] payload(int thread, int seq) {
        int len = 32 + (int) (((thread * 7919L + seq * 104729L) & 0x7FFF_FFFF) % 200);
        byte[] b = new byte[len];
        long x = thread * 0x9E3779B97F4A7C15L + seq * 0xBF58476D1CE4E5B9L + 1;
        for (int i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte) x;
        }
        MemorySegment s = MemorySegment.ofArray(b);
        s.set(ValueLayout.JAVA_INT_UNALIGNED, 0, thread);
        s.set(ValueLayout.JAVA_INT_UNALIGNED, 4, seq);
        return b;
    }

    private static boolean demo(Path file, PrintStream out) throws InterruptedException {
        warmUp(file.resolveSibling(file.getFileName() + ".warmup"));
        long[][] lsns = new long[THREADS][RECORDS_PER_THREAD];
        long payloadBytes = 0;
        double seconds;
        try (PmLog log = PmLog.create(file, CAPACITY, PmLogOptions.defaults())) {
            Media m = log.media();
            out.printf("log %s: %d MiB ring on %s, flush backend %s; %s%n", file, CAPACITY >> 20, m.fileSystem(),
                    m.backend().configName(), m.isPersistentMemory() ? "real persistent memory (DAX, MAP_SYNC)"
                            : "NOT real persistent memory (emulated: cache-line flushes are real, survival of power loss is not)");
            CountDownLatch go = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread[] threads = new Thread[THREADS];
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                threads[t] = Thread.ofPlatform().name("demo-appender-" + t).start(() -> {
                    try {
                        go.await();
                        for (int i = 0; i < RECORDS_PER_THREAD; i++) {
                            lsns[id][i] = log.append(payload(id, i), (short) (id + 1));
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
            }
            long t0 = System.nanoTime();
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            seconds = (System.nanoTime() - t0) / 1e9;
            if (failure.get() != null) {
                out.println("FAILED: an appender threw " + failure.get());
                return false;
            }
            for (int t = 0; t < THREADS; t++) {
                for (int i = 0; i < RECORDS_PER_THREAD; i++) {
                    payloadBytes += payload(t, i).length;
                }
            }
            out.printf("appended %,d records from %d threads (each append durable before it returned), %,d payload bytes"
                            + " in %.3f s: %,.0f appends/s (after a JIT warm-up on a scratch log)%n", THREADS * RECORDS_PER_THREAD, THREADS, payloadBytes, seconds,
                    THREADS * RECORDS_PER_THREAD / seconds);
        }
        out.println("closed; reopening");

        // Expected stream: every LSN handed out, in LSN order, with who wrote it.
        int n = THREADS * RECORDS_PER_THREAD;
        long[] order = new long[n];
        for (int t = 0; t < THREADS; t++) {
            for (int i = 0; i < RECORDS_PER_THREAD; i++) {
                order[t * RECORDS_PER_THREAD + i] = lsns[t][i];
            }
        }
        Arrays.sort(order);
        try (PmLog log = PmLog.open(file, PmLogOptions.defaults())) {
            RecoveryInfo info = log.recoveryInfo();
            out.printf("recovered %,d records up to tail LSN %,d (%s; epoch now %d)%n", info.records(), info.tailLsn(),
                    info.droppedTail() ? info.bytesIgnored() + " bytes of a torn tail dropped" : "nothing dropped", info.epoch());
            int[] k = {0};
            long[] expectLsn = {log.headLsn()};
            String[] problem = {null};
            log.read(log.headLsn(), (lsn, type, seg, off, len) -> {
                if (k[0] >= n) {
                    problem[0] = "more records than appended, at lsn=" + lsn;
                    return false;
                }
                if (lsn != order[k[0]] || lsn != expectLsn[0] && lsn % CAPACITY != 0) {
                    problem[0] = "gap or reorder: expected lsn=" + order[k[0]] + ", read lsn=" + lsn;
                    return false;
                }
                int thread = seg.get(ValueLayout.JAVA_INT_UNALIGNED, off);
                int seq = seg.get(ValueLayout.JAVA_INT_UNALIGNED, off + 4);
                if (thread < 0 || thread >= THREADS || seq < 0 || seq >= RECORDS_PER_THREAD || lsns[thread][seq] != lsn
                        || type != thread + 1) {
                    problem[0] = "record at lsn=" + lsn + " is not the one appended there";
                    return false;
                }
                byte[] want = payload(thread, seq);
                if (len != want.length || MemorySegment.mismatch(seg, off, off + len, MemorySegment.ofArray(want), 0, want.length) != -1) {
                    problem[0] = "payload of record at lsn=" + lsn + " differs";
                    return false;
                }
                expectLsn[0] = lsn + LogRecordDescriptor.recordLength(len);
                k[0]++;
                return true;
            });
            if (problem[0] == null && k[0] != n) {
                problem[0] = "read " + k[0] + " records, appended " + n;
            }
            if (problem[0] != null) {
                out.println("MISMATCH: " + problem[0]);
                return false;
            }
            out.printf("read back %,d records: every one byte-equal to what was appended, LSNs gap-free%n", k[0]);
        }
        return true;
    }
}
