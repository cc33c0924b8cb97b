package io.ferrite.cli;

import io.ferrite.FerriteException;
import io.ferrite.pheap.Heap;
import io.ferrite.pheap.HeapFullException;
import io.ferrite.pheap.HeapOptions;
import io.ferrite.pheap.PoolLock;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ferrite grow}: grows an offline pool to a size, as the allocator would when it runs out of slabs. */
@Command(name = "grow", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Grow a pool that is not open now to at least SIZE bytes (rounded up to whole slabs).",
            "",
            "Takes the writer lock (refused while a writer holds the pool), opens the pool (recovering it",
            "if it crashed), extends the file, then writes the new size into the superblock, last: a crash",
            "in between leaves the old size. The pool's base does not move. A pool can grow up to the",
            "maximum recorded at create (ferrite info shows it); pools created with a fixed size cannot grow."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:the pool is at least SIZE bytes now (or was already)",
            "4:the pool is damaged (run ferrite check)",
            "8:usage or operational error (beyond the maximum, a full file system, pool in use, not a pool)"},
        footerHeading = "%nExamples:%n",
        footer = {
            "  ferrite grow /dev/shm/orders.pool --to 4G",
            "  ferrite grow /dev/shm/orders.pool --to 268435456"})
final class GrowCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "POOL", description = "The pool file.")
    Path pool;

    @Option(names = "--to", required = true, paramLabel = "SIZE",
            description = "The size to grow to: bytes, or with a suffix K, M, G, T (powers of 1024).")
    String to;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        long bytes = parseSize(to);
        PoolImage.checkFile(pool, "pool");
        try (PoolLock held = LockProbe.lock(pool, "stop that process first; a running pool grows on its own")) {
            Heap heap;
            try {
                heap = Heap.open(held, HeapOptions.defaults().checkpointInterval(Duration.ZERO));
            } catch (FerriteException | IllegalArgumentException | IllegalStateException e) {
                throw ToolException.damaged("cannot open " + pool + " to grow it: " + e.getMessage(),
                        "run `ferrite check " + pool + "`", e);
            }
            long before = heap.poolSize();
            try (heap) {
                heap.grow(bytes);
            } catch (HeapFullException e) {
                throw ToolException.usage("cannot grow " + pool + ": " + e.getMessage(),
                        "free space on that file system or grow by less", e);
            } catch (IllegalArgumentException e) {
                throw ToolException.usage("cannot grow " + pool + " to " + bytes + " bytes: " + e.getMessage(),
                        "`ferrite info " + pool + "` shows its size and maximum", e);
            }
            long after = heap.poolSize();
            out.printf(Locale.ROOT, after > before ? "grow: %s grew from %,d to %,d bytes (maximum %,d)%n"
                    : "grow: %s is %,d bytes already (asked for %,d; maximum %,d)%n", pool, before,
                    after > before ? after : bytes, heap.maxSize());
            out.flush();
            return Ferrite.EXIT_CLEAN;
        }
    }

    static long parseSize(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        long mult = 1;
        if (!t.isEmpty() && "KMGT".indexOf(t.charAt(t.length() - 1)) >= 0) {
            mult = 1L << (10 * ("KMGT".indexOf(t.charAt(t.length() - 1)) + 1));
            t = t.substring(0, t.length() - 1);
        }
        try {
            long v = Long.parseLong(t);
            if (v <= 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(v, mult);
        } catch (NumberFormatException | ArithmeticException e) {
            throw ToolException.usage("--to " + s + " is not a size", "give bytes, or a number with K, M, G or T (4G)");
        }
    }
}
