package io.ferrite.cli;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.HeapOptions;
import io.ferrite.pheap.RecoveryReport;
import io.ferrite.store.PersistentMap;
import io.ferrite.store.Store;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The object-store part of {@code ferrite demo}: a small bank on the object store
 * ({@link Store}, {@link PersistentMap}, {@link Store#inTransaction}), crashed for real and
 * recovered.
 *
 * <ol>
 * <li>The parent creates a store with two maps: {@code accounts} (account id → balance, N
 * accounts with the same opening balance) and {@code tellers} (teller id → the sequence number
 * of its last committed transfer, one teller per thread), and closes it.</li>
 * <li>A child JVM opens the store and runs T threads of random transfers, each one
 * {@code store.inTransaction} that moves an amount between two accounts and records its
 * teller's sequence number; after {@code inTransaction} returns (durable: SYNC) it acknowledges
 * {@code thread seq} on its standard output.</li>
 * <li>The parent shows a live progress line, then kills the child with SIGKILL mid-run.</li>
 * <li>It checks the pool ({@code ferrite check}: the crash shows), reopens the store (replay),
 * and verifies: every acknowledged transfer is in the store (each teller's sequence is at least
 * the last one acknowledged), every account's balance is exactly the opening balance plus the
 * transfers the tellers count (transfer k of thread t is a pure function of (t, k)), the total
 * is unchanged, and {@code ferrite check} is clean.</li>
 * </ol>
 */
final class AccountsDemo {
    static final long OPENING_BALANCE = 1_000_000;
    static final String ACCOUNTS = "accounts";
    static final String TELLERS = "tellers";
    static final long POOL_SIZE = 16L << 20;

    private AccountsDemo() {
    }

    static HeapOptions options() {
        return HeapOptions.defaults().slabSize(64 << 10).logCapacity(1 << 20);
    }

    static Store.Context context(HeapOptions options) {
        return new Store.Context().heapOptions(options);
    }

    /** Transfer {@code seq} (1-based) of teller {@code t}: {from, to, amount}, a pure function. */
    static long[] transfer(int t, long seq, int accounts) {
        long x = (t + 1) * 0x9E3779B97F4A7C15L + seq * 0xBF58476D1CE4E5B9L;
        x ^= x >>> 31;
        x *= 0x94D049BB133111EBL;
        x ^= x >>> 29;
        int from = (int) Long.remainderUnsigned(x, accounts);
        int to = (int) Long.remainderUnsigned(x >>> 20, accounts - 1);
        if (to >= from) {
            to++;
        }
        long amount = 1 + Long.remainderUnsigned(x >>> 40, 100);
        return new long[] {from, to, amount};
    }

    /** Runs the demo; returns true when nothing acknowledged was lost and the total is unchanged. */
    static boolean run(Path dir, int accounts, int threads, Duration runFor, PrintStream out) {
        Path pool = dir.resolve("ferrite-demo-bank-" + ProcessHandle.current().pid() + ".pool");
        try {
            return demo(pool, accounts, threads, runFor, out);
        } catch (IOException | RuntimeException e) {
            out.println("FAILED: " + e);
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            out.println("FAILED: interrupted");
            return false;
        } finally {
            try {
                Files.deleteIfExists(pool);
                Files.deleteIfExists(LockProbe.lockFile(pool));
                out.println("removed " + pool);
            } catch (IOException e) {
                out.println("could not remove " + pool + ": " + e.getMessage());
            }
        }
    }

    private static boolean demo(Path pool, int accounts, int threads, Duration runFor, PrintStream out)
            throws IOException, InterruptedException {
        try (Store store = Store.create(pool, POOL_SIZE, context(options()))) {
            PersistentMap<Long, Long> balances = store.map(ACCOUNTS, Long.class, Long.class);
            PersistentMap<Long, Long> tellers = store.map(TELLERS, Long.class, Long.class);
            store.inTransaction(tx -> {
                for (long i = 0; i < accounts; i++) {
                    balances.set(i, OPENING_BALANCE);
                }
                for (long t = 0; t < threads; t++) {
                    tellers.set(t, 0L);
                }
            });
            Heap h = store.heap();
            out.printf("store %s: %d MiB on %s, flush backend %s; map \"%s\": %,d accounts of %,d; map \"%s\": %d tellers%n",
                    pool, POOL_SIZE >> 20, h.media().fileSystem(), h.media().backend().configName(), ACCOUNTS, accounts,
                    OPENING_BALANCE, TELLERS, threads);
        }
        // --- the service, in a child JVM that will be killed
        String javaBin = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(javaBin, "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), DemoChild.class.getName(), pool.toString(),
                Integer.toString(threads)));
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        AtomicLongArray acked = new AtomicLongArray(threads);
        AtomicLong acks = new AtomicLong();
        java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
        Thread reader = Thread.ofPlatform().daemon().name("demo-acks").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.equals("ready")) {
                        ready.countDown();
                        continue;
                    }
                    int sp = line.indexOf(' ');
                    if (sp > 0) {
                        int t = Integer.parseInt(line, 0, sp, 10);
                        long seq = Long.parseLong(line, sp + 1, line.length(), 10);
                        acked.accumulateAndGet(t, seq, Math::max);
                        acks.incrementAndGet();
                    }
                }
            } catch (IOException | RuntimeException e) {
                // the child died: what was read is what was acknowledged
            }
        });
        if (!ready.await(30, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            out.println("FAILED: the service JVM did not start within 30 s");
            return false;
        }
        out.printf("service: a child JVM (pid %d) runs %d threads of random transfers, each one store.inTransaction (SYNC)%n", child.pid(), threads);
        boolean tty = Progress.terminal();
        long t0 = System.nanoTime();
        long end = t0 + runFor.toNanos();
        long lastLine = t0;
        while (System.nanoTime() < end && child.isAlive()) {
            Thread.sleep(100);
            long now = System.nanoTime();
            if (tty) {
                out.printf("\r  transfers acknowledged: %,d (%,.0f/s)   ", acks.get(), acks.get() / ((now - t0) / 1e9));
            } else if (now - lastLine >= 1_000_000_000L) {
                lastLine = now;
                out.printf("  transfers acknowledged: %,d (%,.0f/s)%n", acks.get(), acks.get() / ((now - t0) / 1e9));
            }
            out.flush();
        }
        if (!child.isAlive()) {
            out.println("\nFAILED: the service JVM exited on its own (exit " + child.exitValue() + ")");
            return false;
        }
        child.destroyForcibly();
        long killedAt = System.nanoTime();
        child.waitFor(10, TimeUnit.SECONDS);
        reader.join(5_000);
        long ackedTotal = acks.get();
        out.printf("%scrash: SIGKILL to the service mid-run after %,d acknowledged transfers (%.1f s)%n", tty ? "\n" : "", ackedTotal,
                (killedAt - t0) / 1e9);
        // --- what an operator would run
        StringWriter sw = new StringWriter();
        int code = Ferrite.runCommand(new CheckCommand(), new String[] {pool.toString()}, new PrintWriter(sw, true), new PrintWriter(sw, true));
        out.println("ferrite check (before recovery): exit " + code + ": " + lastLine(sw.toString()));
        long t1 = System.nanoTime();
        RecoveryReport report;
        long[] tellers = new long[threads];
        long[] balances = new long[accounts];
        long total = 0;
        try (Store store = Store.open(pool, context(options().checkpointInterval(Duration.ZERO)))) {
            report = store.heap().recoveryReport();
            PersistentMap<Long, Long> balanceMap = store.map(ACCOUNTS, Long.class, Long.class);
            PersistentMap<Long, Long> tellerMap = store.map(TELLERS, Long.class, Long.class);
            for (int i = 0; i < accounts; i++) {
                Long b = balanceMap.get((long) i);
                balances[i] = b == null ? Long.MIN_VALUE : b;
            }
            for (int t = 0; t < threads; t++) {
                Long q = tellerMap.get((long) t);
                tellers[t] = q == null ? -1 : q;
            }
        }
        out.printf("reopened: %s (%.0f ms)%n", report, (System.nanoTime() - t1) / 1e6);
        // --- verification
        boolean ok = true;
        long committed = 0;
        long[] expect = new long[accounts];
        java.util.Arrays.fill(expect, OPENING_BALANCE);
        for (int t = 0; t < threads; t++) {
            committed += tellers[t];
            if (tellers[t] < acked.get(t)) {
                out.printf("LOST: teller %d acknowledged transfer %d but the store holds only %d%n", t, acked.get(t), tellers[t]);
                ok = false;
            }
            for (long k = 1; k <= tellers[t]; k++) {
                long[] tr = transfer(t, k, accounts);
                expect[(int) tr[0]] -= tr[2];
                expect[(int) tr[1]] += tr[2];
            }
        }
        int wrong = 0;
        for (int a = 0; a < accounts; a++) {
            total += balances[a];
            if (balances[a] != expect[a] && wrong++ < 5) {
                out.printf("WRONG: account %d holds %,d, the committed transfers give %,d%n", a, balances[a], expect[a]);
            }
        }
        ok &= wrong == 0;
        boolean totalOk = total == accounts * OPENING_BALANCE;
        ok &= totalOk;
        sw = new StringWriter();
        code = Ferrite.runCommand(new CheckCommand(), new String[] {pool.toString()}, new PrintWriter(sw, true), new PrintWriter(sw, true));
        out.println("ferrite check (after recovery): exit " + code + ": " + lastLine(sw.toString()));
        ok &= code == Ferrite.EXIT_CLEAN;
        out.printf("verified: %,d transfers acknowledged, %,d committed in the store (%,d committed but not yet acknowledged"
                + " when the child died); every acknowledged transfer present: %s; every balance exact: %s; total %,d: %s%n",
                ackedTotal, committed, Math.max(0, committed - ackedSum(acked)), lostNone(tellers, acked) ? "yes" : "NO",
                wrong == 0 ? "yes" : "NO (" + wrong + " accounts)", total, totalOk ? "unchanged" : "CHANGED");
        return ok;
    }

    private static long ackedSum(AtomicLongArray a) {
        long s = 0;
        for (int i = 0; i < a.length(); i++) {
            s += a.get(i);
        }
        return s;
    }

    private static boolean lostNone(long[] tellers, AtomicLongArray acked) {
        for (int t = 0; t < tellers.length; t++) {
            if (tellers[t] < acked.get(t)) {
                return false;
            }
        }
        return true;
    }

    private static String lastLine(String s) {
        String[] l = s.strip().split("\n");
        return l[l.length - 1];
    }

    /** The service: opens the store and runs transfers until killed. */
    static final class DemoChild {
        private DemoChild() {
        }

        public static void main(String[] args) throws Exception {
            java.util.logging.Logger.getLogger("io.ferrite").setLevel(java.util.logging.Level.WARNING);
            Path pool = Path.of(args[0]);
            int threads = Integer.parseInt(args[1]);
            Store store = Store.open(pool, context(options()));
            PersistentMap<Long, Long> balances = store.map(ACCOUNTS, Long.class, Long.class);
            PersistentMap<Long, Long> tellers = store.map(TELLERS, Long.class, Long.class);
            int n = balances.size();
            BufferedWriter acks = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.US_ASCII), 1 << 16);
            acks.write("ready\n");
            acks.flush();
            Thread flusher = Thread.ofPlatform().daemon().start(() -> {
                while (true) {
                    try {
                        Thread.sleep(5);
                        synchronized (acks) {
                            acks.flush();
                        }
                    } catch (IOException | InterruptedException e) {
                        return;
                    }
                }
            });
            for (int t = 0; t < threads; t++) {
                long id = t;
                Thread.ofPlatform().name("teller-" + t).start(() -> {
                    long seq = tellers.get(id);
                    while (true) {
                        long next = seq + 1;
                        long[] tr = transfer((int) id, next, n);
                        // one transaction: debit, credit, and the teller's sequence number; all or nothing, durably
                        store.inTransaction(tx -> {
                            balances.set(tr[0], balances.get(tr[0]) - tr[2]);
                            balances.set(tr[1], balances.get(tr[1]) + tr[2]);
                            tellers.set(id, next);
                        });
                        seq = next;
                        try {
                            synchronized (acks) {
                                acks.write(id + " " + seq + "\n");
                            }
                        } catch (IOException e) {
                            return;
                        }
                    }
                });
            }
            flusher.join();
        }
    }
}
