package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.FerriteException;
import io.ferrite.pheap.Heap;
import io.ferrite.pheap.HeapOptions;
import io.ferrite.pheap.PField;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import io.ferrite.pheap.format.Le;
import io.ferrite.pheap.format.SuperblockDescriptor;
import io.ferrite.pheap.format.TypeRegistryDescriptor;
import io.ferrite.swizzle.VerifyReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The structure-aware fuzz: every field of the superblock, the type registry, the slab table and
 * the slab headers of one base pool set to boundary values and to values that mean something for
 * that field ({@link StructureMutator}), plus lock files replaced by links to a canary file, and
 * pools reached through a symlink and a hardlink. On each mutant, in this JVM and each under a
 * time bound, run every read command (info, info --json, check, check --json, dump, dump --root,
 * log --verify), {@code Heap.open} (then verifyPointers and a read of the bank), and, each on a
 * fresh copy, {@code check --repair} and {@code recover}. What must hold:
 * <ul>
 * <li>every command returns within the bound, with no Throwable escaping (no OutOfMemoryError),
 *     an exit code from its manual's exit status list (never 1 from a read-only command), and no
 *     stack trace, "internal error" or raw control character in its output;</li>
 * <li>no command writes to any file but the pool, only {@code check --repair}, {@code recover}
 *     and {@code Heap.open} write to the pool, and none changes its size (the directory is hashed
 *     before and after: the canary a lock file links to, the pool, every other entry; a new file,
 *     such as a dangling lock link's target, is a write too);</li>
 * <li>{@code Heap.open} either opens or throws a {@link FerriteException}; once open, the
 *     application's types and root are either refused (TypeMismatchException, or the documented
 *     IllegalArgumentException of a root of another type) or accepted, and then verifyPointers is
 *     clean and the bank reads without an exception;</li>
 * <li>a pool {@code check} calls clean is one every other command and {@code Heap.open} take as
 *     is: the bank reads back as in the base pool, {@code check --repair} leaves it byte for byte
 *     unchanged; after a repair that says "repaired", {@code check} says clean, and a repair says
 *     "clean" only of a pool check calls clean.</li>
 * </ul>
 * Every failure is collected (not only the first), grouped by command and symptom, and printed
 * with its mutant, so one run lists them all; the test then fails naming them.
 *
 * <p>{@code -Dferrite.structfuzz.only=TEXT} runs only the mutants whose description contains TEXT
 * (to replay one, e.g. {@code "mutant 237:"}); {@code -Dferrite.structfuzz.all=true} tries every
 * value of every field, also of the fields the normal run samples ({@link StructureMutator#mutants});
 * {@code -Dferrite.structfuzz.bound=SECONDS} sets the time bound per command.
 */
class StructureFuzzTest {
    static final Duration BOUND = Duration.ofSeconds(Long.getLong("ferrite.structfuzz.bound", 20));
    static final String ONLY = System.getProperty("ferrite.structfuzz.only");
    static final boolean ALL = Boolean.getBoolean("ferrite.structfuzz.all");
    /** After this many commands that did not return, stop: each leaves a thread behind. */
    static final int MAX_HANGS = 3;
    static final long SIZE = 2L << 20 | 8L * TestPools.SLAB;
    static final int ACCOUNTS = 20;
    static final int LARGE_BLOB = 100_000;
    static final List<String[]> READS = List.of(new String[] {"info"}, new String[] {"info", "--json"}, new String[] {"check"},
            new String[] {"check", "--json"}, new String[] {"dump"}, new String[] {"dump", "--root"}, new String[] {"log", "--verify"});
    static final Pattern TRACE = Pattern.compile("(?m)^\\s+at [\\w.$/]+\\(|^Caused by: |Exception in thread");
    static final String FIRST_USE = "at first use: ";
    /** A mutant that changes a type's name length (not a field's): the type is renamed. */
    static final Pattern RENAMED_TYPE = Pattern.compile("registry type #\\d+ [^\\[\\s]+\\.nameLength @\\d+ = ");
    static final Pattern INTERNAL = Pattern.compile("internal error: (\\w+)");
    /** Control characters other than the line feed: none may reach the terminal raw. */
    static final Pattern CONTROL = Pattern.compile("[\\x00-\\x09\\x0b-\\x1f\\x7f\\x{80}-\\x{9f}]");

    /** How a mutant's pool is reached. */
    enum Access { DIRECT, SYMLINK, HARDLINK }

    /** What sits at the lock file's name before the commands run. */
    enum LockFile { NONE, SYMLINK_TO_CANARY, SYMLINK_DANGLING, SYMLINK_TO_POOL, HARDLINK_TO_CANARY }

    /** One input: an image, how it is reached, what the lock file is. */
    record Case(String name, byte[] image, Access access, LockFile lock) {
    }

    record Run(int exit, String out, String err, Throwable thrown) {
        String text() {
            return "exit " + exit + (thrown != null ? ", threw " + thrown : "") + "\n--- out\n" + clip(out) + "--- err\n" + clip(err);
        }
    }

    record Failure(String where, String command, String symptom, String detail) {
    }

    private final List<Failure> failures = new ArrayList<>();
    private final Map<Integer, Integer> exits = new TreeMap<>();
    private final Map<String, Map<Integer, Integer>> exitsByCommand = new LinkedHashMap<>();
    private final Map<String, Integer> refusedBy = new TreeMap<>();
    private final Map<String, Long> nanos = new LinkedHashMap<>();
    private int opened;
    private int renamesDetected;
    private int caseNumber;
    private int hangs;
    private ExecutorService executor = newExecutor();
    private byte[] canaryBytes;
    private Bank expected;

    /** What the base pool's bank reads as. */
    record Bank(long count, long total, List<String> accounts) {
    }

    @Test
    void everyStructureFieldAtBoundaryValues() throws Exception {
        Path root = Files.createDirectories(TestPools.DIR.resolve("ferrite-structfuzz-" + UUID.randomUUID()));
        try {
            byte[] base = basePool(root);
            canaryBytes = new byte[4096];
            new java.util.Random(20).nextBytes(canaryBytes);
            List<StructureMutator.Mutant> mutants = StructureMutator.mutants(base, ALL);
            Set<StructureMutator.Field> fields = new java.util.HashSet<>();
            Map<String, Long> byStructure = mutants.stream().collect(Collectors.groupingBy(m -> structure(m.field()), TreeMap::new,
                    Collectors.counting()));
            System.out.println("structure fuzz: " + mutants.size() + " mutants " + byStructure);
            long t0 = System.nanoTime();
            long cpu0 = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                    .getProcessCpuTime();
            int runCases = 0;
            for (StructureMutator.Mutant m : mutants) {
                if (hangs >= MAX_HANGS) {
                    break;
                }
                if (ONLY != null && !m.toString().contains(ONLY)) {
                    continue;
                }
                byte[] img = base.clone();
                m.apply(img);
                Access access = Access.values()[m.id() % 3];
                // a few mutants also get a lock file that links elsewhere; most keep the writers' paths open to the mutant
                LockFile lock = m.id() % 10 == 3 ? LockFile.SYMLINK_TO_CANARY : m.id() % 20 == 7 ? LockFile.HARDLINK_TO_CANARY
                        : LockFile.NONE;
                runCase(root, new Case(m + " [" + access + ", lock " + lock + "]", img, access, lock));
                runCases++;
                fields.add(m.field());
            }
            int lockCases = 0;
            if (ONLY == null) {
                byte[] crashed = crashedImage(base);
                for (LockFile lock : LockFile.values()) {
                    for (Access access : Access.values()) {
                        for (boolean crash : new boolean[] {false, true}) {
                            if (hangs < MAX_HANGS) {
                                runCase(root, new Case("lock file " + lock + " on the " + (crash ? "crashed" : "clean") + " base pool ["
                                        + access + "]", crash ? crashed : base, access, lock));
                                lockCases++;
                            }
                        }
                    }
                }
                liveWriter(root, base);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            double cpu = (((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                    .getProcessCpuTime() - cpu0) / 1e9;
            System.out.printf("structure fuzz: %d mutants over %d fields (+%d lock-file cases, + a live writer reached through links),"
                    + " exit codes %s, Heap.open: %d opened (%d renamed types found by verifyPointers), %d refused by type %s; %d failures"
                    + " in %.1f s (%.1f s of CPU)%n", runCases, fields.size(), lockCases, exitCounts(exits), opened, renamesDetected,
                    refusedBy.values().stream().mapToInt(Integer::intValue).sum(), refusedBy, failures.size(), secs, cpu);
            exitsByCommand.forEach((c, e) -> System.out.printf("  %-14s exit codes %s%n", c, exitCounts(e)));
            nanos.forEach((c, n) -> System.out.printf("  %-20s %.1f s%n", c, n / 1e9));
            String report = report();
            if (!failures.isEmpty()) {
                System.out.println(report);
            }
            assertTrue(hangs < MAX_HANGS, () -> "stopped after " + hangs + " commands that did not return within " + BOUND + "\n" + report);
            assertTrue(failures.isEmpty(), () -> failures.size() + " failures\n" + report);
        } finally {
            executor.shutdownNow();
            deleteTree(root);
        }
    }

    // ------------------------------------------------------------------ one case

    private void runCase(Path root, Case c) throws IOException {
        // a directory per case: a command that did not return keeps its pool open, and must not hold the next case's lock
        Path dir = Files.createDirectory(root.resolve("case-" + ++caseNumber));
        try {
            Path target = setUp(dir, c);
            Map<String, String> before = snapshot(dir);
            Map<String, Integer> codes = new LinkedHashMap<>();
            Map<String, Run> runs = new LinkedHashMap<>();
            for (String[] cmd : READS) {
                String name = String.join(" ", cmd);
                Run r = command(c, name, () -> cli(cmd, target));
                if (r == null) {
                    return;
                }
                codes.put(name, r.exit());
                runs.put(name, r);
                verdict(c, name, r, readOnlyCodes(cmd[0]));
                // the pool (the large file) is compared once after all of them, the rest after each
                unchanged(c, name, before, snapshot(dir, false), Set.of());
            }
            if (!snapshot(dir, true).equals(before)) {
                // find which one wrote it: run them again one by one on the pool as it was
                for (String[] cmd : READS) {
                    Path t = reset(dir, c);
                    Run r = command(c, String.join(" ", cmd), () -> cli(cmd, t));
                    if (r == null) {
                        return;
                    }
                    unchanged(c, String.join(" ", cmd), before, snapshot(dir, true), Set.of());
                }
                reset(dir, c);
            }
            Set<String> writable = writable(dir, target);
            boolean clean = codes.get("check") == 0;
            // A root offset of 0 is the format's "no root" (objects may be reached by offsets kept
            // elsewhere, Heap.ref): check skips reachability, dump --root has nothing to walk
            // (exit 8) and the application gets a new, empty root. No bank to compare then.
            boolean rooted = hasRoot(c.image());
            if (clean) {
                runs.forEach((cmd, r) -> {
                    if (r.exit() != 0 && !(cmd.equals("dump --root") && !rooted)) {
                        fail(c, cmd, "exit " + r.exit() + " on a pool check calls clean", r.text());
                    }
                });
            }
            // Heap.open, as an application would
            String outcome = open(c, target, clean, rooted);
            if (outcome == null) {
                return;
            }
            unchanged(c, "Heap.open", before, snapshot(dir), writable);
            // check --repair on a fresh copy
            Path t1 = reset(dir, c);
            Run rep = command(c, "check --repair", () -> cli(new String[] {"check", "--repair"}, t1));
            if (rep == null) {
                return;
            }
            verdict(c, "check --repair", rep, codes("check"));
            unchanged(c, "check --repair", before, snapshot(dir), writable);
            boolean lockRefused = c.lock() != LockFile.NONE && rep.exit() == Ferrite.EXIT_USAGE;
            if (clean && rep.exit() != 0 && !lockRefused) {
                fail(c, "check --repair", "exit " + rep.exit() + " on a pool check calls clean", rep.text());
            }
            if (clean && !Arrays.equals(c.image(), Files.readAllBytes(dir.resolve("pool")))) {
                fail(c, "check --repair", "changed a pool check calls clean", rep.text());
            }
            if (rep.exit() == 0 && codes.get("check") != 0 && codes.get("check") != Ferrite.EXIT_USAGE) {
                fail(c, "check --repair", "--repair says clean (exit 0) but check said " + codes.get("check"), rep.text());
            }
            if (rep.exit() == 1) {
                Run after = command(c, "check after --repair", () -> cli(new String[] {"check"}, t1));
                if (after == null) {
                    return;
                }
                verdict(c, "check after --repair", after, readOnlyCodes("check"));
                if (after.exit() != 0) {
                    fail(c, "check after --repair", "--repair exited " + rep.exit() + " but check then exits " + after.exit(),
                            after.text() + "\n--- the repair\n" + rep.text());
                }
            }
            // recover on a fresh copy
            Path t2 = reset(dir, c);
            Run rec = command(c, "recover", () -> cli(new String[] {"recover"}, t2));
            if (rec == null) {
                return;
            }
            verdict(c, "recover", rec, codes("recover"));
            unchanged(c, "recover", before, snapshot(dir), writable);
            if (clean && rec.exit() != 0 && rec.exit() != 1 && !(c.lock() != LockFile.NONE && rec.exit() == Ferrite.EXIT_USAGE)) {
                fail(c, "recover", "exit " + rec.exit() + " on a pool check calls clean", rec.text());
            }
            if (c.lock() == LockFile.SYMLINK_TO_POOL && (rec.exit() == 0 || rec.exit() == 1)) {
                Run after = command(c, "check after recover", () -> cli(new String[] {"check"}, t2));
                if (after != null && after.exit() != 0) {
                    fail(c, "check after recover", "the lock file links to the pool; recover said " + rec.exit() + ", check then "
                            + after.exit(), after.text());
                }
            }
        } finally {
            deleteTree(dir);
        }
    }

    /** Heap.open on the case's pool; returns a word for the outcome, or null when it did not return. */
    private String open(Case c, Path target, boolean checkSaysClean, boolean rooted) {
        Run r = command(c, "Heap.open", () -> {
            Heap h;
            try {
                h = Heap.open(target, TestPools.options());
            } catch (FerriteException e) {
                return new Run(8, "", e.getClass().getSimpleName() + ": " + e.getMessage(), null);
            }
            String problem = null;
            try {
                // As an application does first: its types, then its root. A pool whose types are not the
                // application's is refused here (TypeMismatchException, or the root's documented
                // IllegalArgumentException), before any typed read; a consistent registry that differs
                // from the application's is not damage Heap.open could see.
                try {
                    h.register(TestPools.BANK);
                    h.register(TestPools.ACCOUNT);
                    h.root(TestPools.BANK);
                } catch (FerriteException e) {
                    return new Run(8, "", FIRST_USE + e.getClass().getSimpleName() + ": " + e.getMessage(), null);
                } catch (IllegalArgumentException e) {
                    if (String.valueOf(e.getMessage()).contains("has a root of type")) {
                        return new Run(8, "", FIRST_USE + e.getClass().getSimpleName() + ": " + e.getMessage(), null);
                    }
                    throw e;
                }
                VerifyReport v = h.verifyPointers();
                if (!v.isClean() && RENAMED_TYPE.matcher(c.name()).find()) {
                    // A type whose name changed is a consistent registry: one the application never
                    // registered its type under (a type may name pointer targets that are not
                    // registered, so nothing at open tells it from a legal pool). The application's
                    // register then adds its type afresh, and the damage shows only in the pointers
                    // to the renamed type's objects: detected by verifyPointers, not silent.
                    renamesDetected++;
                } else if (!v.isClean()) {
                    problem = "opened, but verifyPointers finds " + v.problemCount() + " bad pointer(s): " + v.problems().get(0);
                }
                try {
                    Bank b = readBank(h);
                    if (problem == null && checkSaysClean && rooted && !b.equals(expected)) {
                        problem = "opened a pool check calls clean, but the bank reads " + b + " instead of " + expected;
                    }
                } catch (FerriteException e) {
                    // a damaged pool may be refused at the first read of what is damaged
                } catch (RuntimeException e) {
                    if (problem == null) {
                        problem = "opened, verifyPointers clean, but reading the bank threw " + e;
                    }
                }
            } finally {
                try {
                    h.close();
                } catch (FerriteException e) {
                    // closing a damaged pool may fail; the case reported what matters
                }
            }
            return new Run(0, problem == null ? "" : problem, "", null);
        });
        if (r == null) {
            return null;
        }
        if (r.thrown() != null) {
            return "threw";
        }
        if (r.exit() == 0) {
            opened++;
            if (!r.out().isEmpty()) {
                fail(c, "Heap.open", r.out().replaceAll("\\d+", "N").substring(0, Math.min(80, r.out().length())), r.out());
            }
            return "opened";
        }
        boolean firstUse = r.err().startsWith(FIRST_USE);
        String err = firstUse ? r.err().substring(FIRST_USE.length()) : r.err();
        String type = err.substring(0, err.indexOf(':')) + (firstUse ? " at first use" : "");
        refusedBy.merge(type, 1, Integer::sum);
        // a lock file that links elsewhere may be refused: that is the lock doing its job
        boolean lockRefusal = c.lock() != LockFile.NONE && type.equals("HeapLockedException");
        if (checkSaysClean && !lockRefusal && !firstUse) {
            fail(c, "Heap.open", "refused a pool check calls clean: " + type, r.err());
        }
        return type;
    }

    /** The bank read through the application's types, in one transaction; bounded walk. */
    private static Bank readBank(Heap h) {
        Ref bank = h.root(TestPools.BANK);
        PField first = TestPools.BANK.field("first");
        try (Tx tx = h.begin()) {
            List<String> accounts = new ArrayList<>();
            Ref a = tx.getRef(bank, first);
            for (int i = 0; a != null && i <= 2 * ACCOUNTS; i++) {
                Ref owner = tx.getRef(a, TestPools.ACCOUNT.field("owner"));
                byte[] ob = owner == null ? new byte[0] : tx.getBytes(owner);
                accounts.add(tx.getLong(a, TestPools.ACCOUNT.field("id")) + ":" + tx.getLong(a, TestPools.ACCOUNT.field("balance")) + ":"
                        + (ob.length > 64 ? ob.length + " bytes, crc " + crc(ob) : new String(ob, java.nio.charset.StandardCharsets.UTF_8)));
                a = tx.getRef(a, TestPools.ACCOUNT.field("next"));
            }
            return new Bank(tx.getLong(bank, TestPools.BANK.field("count")), tx.getLong(bank, TestPools.BANK.field("total")), accounts);
        }
    }

    // ------------------------------------------------------------------ running a command

    private Run cli(String[] args, Path target) {
        String[] full = Arrays.copyOf(args, args.length + 1);
        full[args.length] = target.toString();
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Ferrite.runCommand(command(args[0]), Arrays.copyOfRange(full, 1, full.length), new PrintWriter(o, true),
                new PrintWriter(e, true));
        return new Run(code, o.toString(), e.toString(), null);
    }

    private static Object command(String name) {
        return switch (name) {
            case "info" -> new InfoCommand();
            case "check" -> new CheckCommand();
            case "dump" -> new DumpCommand();
            case "log" -> new LogCommand();
            case "recover" -> new RecoverCommand();
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** Runs {@code task} on the executor within the bound; null (and a failure) when it did not return. */
    private Run command(Case c, String name, Callable<Run> task) {
        long t0 = System.nanoTime();
        Future<Run> f = executor.submit(() -> {
            try {
                return task.call();
            } catch (Throwable t) {
                return new Run(-1, "", "", t);
            }
        });
        Run r;
        try {
            r = f.get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            executor.shutdownNow();
            executor = newExecutor();
            hangs++;
            fail(c, name, "did not return within " + BOUND, "");
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e);
        }
        nanos.merge(name, System.nanoTime() - t0, Long::sum);
        if (r.thrown() != null) {
            StringWriter sw = new StringWriter();
            r.thrown().printStackTrace(new PrintWriter(sw));
            fail(c, name, "threw " + r.thrown().getClass().getSimpleName(), clip(sw.toString()));
            return r;
        }
        if (!name.equals("Heap.open")) {
            exits.merge(r.exit(), 1, Integer::sum);
            exitsByCommand.computeIfAbsent(name.startsWith("check after") ? "check" : name, k -> new TreeMap<>()).merge(r.exit(), 1,
                    Integer::sum);
        }
        return r;
    }

    private static ExecutorService newExecutor() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "structure-fuzz");
            t.setDaemon(true);
            return t;
        });
    }

    private void verdict(Case c, String name, Run r, Set<Integer> documented) {
        if (r.thrown() != null) {
            return; // reported where it was caught
        }
        if (!documented.contains(r.exit())) {
            fail(c, name, "exit " + r.exit() + " (documented: " + documented + ")", r.text());
        }
        String all = r.out() + r.err();
        Matcher m = INTERNAL.matcher(all);
        if (m.find()) {
            fail(c, name, "internal error: " + m.group(1), r.text());
        }
        if (TRACE.matcher(all).find()) {
            fail(c, name, "stack trace in the output", r.text());
        }
        Matcher cc = CONTROL.matcher(all);
        if (cc.find()) {
            // bytes from the pool (type and field names) reach the terminal: they must be escaped (and JSON requires it)
            fail(c, name, "raw control character in the output", String.format("U+%04X at %d: ", (int) cc.group().charAt(0), cc.start())
                    + all.substring(Math.max(0, cc.start() - 80), Math.min(all.length(), cc.start() + 40)).replaceAll("\\p{Cntrl}", "?"));
        }
    }

    /** The exit codes a command's manual lists (its "Exit status" section). */
    private static Set<Integer> codes(String command) {
        Map<String, String> list = new CommandLine(command(command)).getCommandSpec().usageMessage().exitCodeList();
        return list.keySet().stream().map(k -> Integer.parseInt(k.trim())).collect(Collectors.toUnmodifiableSet());
    }

    /** A read-only command never says "repaired". */
    private static Set<Integer> readOnlyCodes(String command) {
        return codes(command).stream().filter(x -> x != Ferrite.EXIT_REPAIRED).collect(Collectors.toUnmodifiableSet());
    }

    private void fail(Case c, String command, String symptom, String detail) {
        failures.add(new Failure(c.name(), command, symptom, detail));
    }

    // ------------------------------------------------------------------ files

    /** Writes the case's pool, its link, the canary and the lock file; returns the path the commands get. */
    private Path setUp(Path dir, Case c) throws IOException {
        Path pool = dir.resolve("pool");
        Files.write(pool, c.image());
        Path canary = dir.resolve("canary");
        Files.write(canary, canaryBytes);
        Path target = switch (c.access()) {
            case DIRECT -> pool;
            case SYMLINK -> Files.createSymbolicLink(dir.resolve("via-symlink"), pool.getFileName());
            case HARDLINK -> Files.createLink(dir.resolve("via-hardlink"), pool);
        };
        Path lock = Heap.lockFile(target);
        switch (c.lock()) {
            case NONE -> {
            }
            case SYMLINK_TO_CANARY -> Files.createSymbolicLink(lock, canary.getFileName());
            case SYMLINK_DANGLING -> Files.createSymbolicLink(lock, Path.of("dangling-target"));
            case SYMLINK_TO_POOL -> Files.createSymbolicLink(lock, pool.getFileName());
            case HARDLINK_TO_CANARY -> Files.createLink(lock, canary);
        }
        return target;
    }

    /** The directory as it was before the first command (the case's pool written afresh). */
    private Path reset(Path dir, Case c) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        return setUp(dir, c);
    }

    /** The names a writer may change: the pool (and its hardlink), the lock file of the path it was given and of the pool. */
    private static Set<String> writable(Path dir, Path target) {
        return Set.copyOf(List.of("pool", target.getFileName().toString().equals("via-hardlink") ? "via-hardlink" : "pool",
                Heap.lockFile(target).getFileName().toString(), Heap.lockFile(dir.resolve("pool")).getFileName().toString()));
    }

    /** name -> what it is: a link and its target, or a regular file's size and CRC32C (links not followed). */
    private static Map<String, String> snapshot(Path dir) {
        return snapshot(dir, true);
    }

    /** As {@link #snapshot(Path)}; with {@code pool} false, the pool and its hardlink are left out. */
    private static Map<String, String> snapshot(Path dir, boolean pool) {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (Files.isSymbolicLink(p)) {
                    m.put(name, "symlink -> " + Files.readSymbolicLink(p));
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    m.put(name, "directory");
                } else if (!pool && (name.equals("pool") || name.equals("via-hardlink"))) {
                    continue;
                } else {
                    byte[] b = Files.readAllBytes(p);
                    m.put(name, b.length + " bytes, crc " + crc(b));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }

    private void unchanged(Case c, String command, Map<String, String> before, Map<String, String> after, Set<String> writable) {
        String pool = after.get("pool");
        if (pool != null && !pool.startsWith(c.image().length + " bytes")) {
            // no command resizes a pool: a pool shorter than its superblock says is refused, and a lock file never truncates it
            fail(c, command, "changed the pool's size", c.image().length + " bytes -> " + pool);
        }
        Set<String> names = new java.util.TreeSet<>(before.keySet());
        names.addAll(after.keySet());
        if (!after.containsKey("pool")) {
            names.remove("pool");
            names.remove("via-hardlink");
        }
        for (String n : names) {
            String b = before.get(n);
            String a = after.get(n);
            if (java.util.Objects.equals(a, b) || writable.contains(n) && a != null) {
                continue;
            }
            String what = n.equals("canary") ? "wrote the canary (the file the lock file links to)"
                    : writable.contains(n) || n.equals("pool") || n.equals("via-hardlink") ? "changed the pool (read-only command)"
                    : b == null ? "created a file" : "changed a file other than the pool";
            fail(c, command, what, n + ": " + b + " -> " + a);
        }
    }

    // ------------------------------------------------------------------ the base pool

    /** A bank of accounts with owner names, one of them a large blob spanning two slabs; closed cleanly; its bytes. */
    private byte[] basePool(Path root) throws IOException {
        Path p = root.resolve("base.pool");
        try (Heap h = Heap.create(p, SIZE, TestPools.options())) {
            TestPools.fill(h, ACCOUNTS);
            Ref bank = h.root(TestPools.BANK);
            PField owner = TestPools.ACCOUNT.field("owner");
            try (Tx tx = h.begin()) {
                Ref first = tx.getRef(bank, TestPools.BANK.field("first"));
                tx.free(tx.getRef(first, owner));
                byte[] large = new byte[LARGE_BLOB];
                new java.util.Random(7).nextBytes(large);
                tx.setRef(first, owner, tx.allocateBytes(large));
                tx.commit();
            }
            expected = readBank(h);
        }
        byte[] b = Files.readAllBytes(p);
        TestPools.delete(p);
        Run check = cli(new String[] {"check"}, writeTemp(root, b));
        assertTrue(check.exit() == 0, () -> "the base pool should check clean: " + check.text());
        return b;
    }

    private static Path writeTemp(Path root, byte[] b) throws IOException {
        Path p = root.resolve("base-check.pool");
        Files.write(p, b);
        return p;
    }

    /** Whether the image's registry header (found through the superblock in force) names a root object. */
    private static boolean hasRoot(byte[] img) {
        MemorySegment s = MemorySegment.ofArray(img);
        long a = SuperblockDescriptor.A_OFFSET;
        long b = SuperblockDescriptor.B_OFFSET;
        long sb = s.get(Le.U64_UNALIGNED, a + SuperblockDescriptor.SEQUENCE_OFFSET)
                >= s.get(Le.U64_UNALIGNED, b + SuperblockDescriptor.SEQUENCE_OFFSET) ? a : b;
        long reg = s.get(Le.U64_UNALIGNED, sb + SuperblockDescriptor.REGISTRY_OFFSET_OFFSET);
        return reg <= 0 || reg > img.length - TypeRegistryDescriptor.HEADER_LENGTH
                || s.get(Le.U64_UNALIGNED, reg + TypeRegistryDescriptor.ROOT_OFFSET_OFFSET) != 0;
    }

    /** The base with the clean-close flag cleared in both superblocks: a crash with nothing to replay. */
    private static byte[] crashedImage(byte[] base) {
        byte[] img = base.clone();
        for (StructureMutator.Field f : StructureMutator.fields(base)) {
            if (f.name().startsWith("both superblocks.flags")) {
                new StructureMutator.Mutant(-1, f, f.original() & ~SuperblockDescriptor.FLAG_CLEAN_CLOSE).apply(img);
            }
        }
        return img;
    }

    /** A writer holds the base pool; the writers reached through a symlink and a hardlink must be refused. */
    private void liveWriter(Path root, byte[] base) throws IOException {
        Path dir = root.resolve("live");
        Files.createDirectory(dir);
        Path pool = dir.resolve("pool");
        Files.write(pool, base);
        Path sym = Files.createSymbolicLink(dir.resolve("via-symlink"), pool.getFileName());
        Path hard = Files.createLink(dir.resolve("via-hardlink"), pool);
        Heap writer = Heap.open(pool, TestPools.options());
        try {
            for (Path via : List.of(sym, hard)) {
                Case c = new Case("live writer on the pool, reached through " + via.getFileName(), base, Access.DIRECT, LockFile.NONE);
                for (String[] cmd : List.of(new String[] {"recover"}, new String[] {"check", "--repair"})) {
                    String name = String.join(" ", cmd);
                    Run r = command(c, name, () -> cli(cmd, via));
                    if (r != null && r.exit() != Ferrite.EXIT_USAGE) {
                        fail(c, name, "a second writer through a link was not refused (exit " + r.exit() + ", want 8: in use)", r.text());
                    }
                }
                Run r = command(c, "Heap.open", () -> {
                    try (Heap second = Heap.open(via, TestPools.options())) {
                        return new Run(0, "opened", "", null);
                    } catch (io.ferrite.pheap.HeapLockedException e) {
                        return new Run(8, "", e.getMessage(), null);
                    }
                });
                if (r != null && r.exit() != 8) {
                    fail(c, "Heap.open", "a second writer through a link was not refused (want HeapLockedException)", r.text());
                }
            }
        } finally {
            try {
                writer.close();
            } catch (RuntimeException e) {
                fail(new Case("live writer on the pool", base, Access.DIRECT, LockFile.NONE), "the writer's close",
                        "failed after the commands through links: " + e.getClass().getSimpleName(), String.valueOf(e.getMessage()));
            }
        }
    }

    // ------------------------------------------------------------------ report

    /** The structure a field belongs to, for the counts: "superblock", "registry header", "type descriptor", ... */
    static String structure(StructureMutator.Field f) {
        String n = f.name();
        return n.startsWith("registry type") ? (n.contains(".field[") ? "type field entry" : "type descriptor")
                : n.startsWith("registry header") ? "registry header" : n.startsWith("slab table") ? "slab table"
                : n.startsWith("slab[") ? "slab header" : n.startsWith("both") ? "both superblocks" : "superblock in force";
    }

    private String report() {
        Map<String, List<Failure>> groups = failures.stream().collect(Collectors.groupingBy(f -> f.command() + ": " + f.symptom(),
                LinkedHashMap::new, Collectors.toList()));
        StringBuilder sb = new StringBuilder("structure fuzz failures, by command and symptom (" + groups.size() + " groups):\n");
        groups.entrySet().stream().sorted(Comparator.comparing((Map.Entry<String, List<Failure>> e) -> -e.getValue().size()))
                .forEach(e -> {
                    sb.append(String.format("%5d  %s%n", e.getValue().size(), e.getKey()));
                    e.getValue().stream().limit(8).forEach(f -> sb.append("         ").append(f.where()).append('\n'));
                    Failure first = e.getValue().get(0);
                    if (!first.detail().isEmpty()) {
                        sb.append("         first: ").append(first.detail().replace("\n", "\n         ").strip()).append('\n');
                    }
                });
        return sb.toString();
    }

    private static String exitCounts(Map<Integer, Integer> m) {
        return m.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining(", ", "{", "}"));
    }

    private static String clip(String s) {
        return s.length() <= 1500 ? s : s.substring(0, 1500) + "... (" + s.length() + " chars)\n";
    }

    private static String crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return Long.toHexString(c.getValue());
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(x);
            }
        }
    }
}
