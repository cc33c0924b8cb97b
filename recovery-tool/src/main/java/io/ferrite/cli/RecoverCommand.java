package io.ferrite.cli;

import io.ferrite.FerriteException;
import io.ferrite.pheap.Heap;
import io.ferrite.pheap.HeapOptions;
import io.ferrite.pheap.PoolLock;
import io.ferrite.pheap.RecoveryReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ferrite recover}: what opening the pool does, on its own, with the report. */
@Command(name = "recover", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Recover a pool after a crash: replay the log, mark the pool clean, print the report.",
            "",
            "Takes the writer lock (refused while a writer holds the pool, by any path), then opens the pool",
            "exactly as an application would: the log's tail is recovered (a torn last record is ignored),",
            "every redo record after the checkpoint LSN is replayed; if the pool cannot map at the base address its pointers assume (or an earlier",
            "relocation was interrupted), every pointer is rewritten for the new base (swizzled, crash-safely);",
            "then the pool is checkpointed and closed cleanly. A pool that was closed cleanly is opened and",
            "closed, and nothing changes but its superblock sequence.",
            "",
            "Run ferrite check afterwards to verify the structures."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:the pool was clean: nothing to recover",
            "1:recovered: the pool had crashed (the log was replayed) or moved (its pointers were swizzled); it is now clean",
            "4:recovery failed: the pool is damaged (run ferrite check)",
            "8:usage or operational error (missing file, not a pool, newer format, pool in use)"},
        footerHeading = "%nExamples:%n",
        footer = {
            "  ferrite recover /dev/shm/orders.pool; ferrite check /dev/shm/orders.pool",
            "  ferrite recover --relocate /dev/shm/orders.pool",
            "  ferrite recover --json /dev/shm/orders.pool"})
final class RecoverCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "POOL", description = "The pool file.")
    Path pool;

    @Option(names = "--json", description = "Print the recovery report as one JSON object.")
    boolean json;

    @Option(names = "--relocate", description = {"Map the pool away from the base its pointers assume, so that every pointer is",
        "swizzled to the new base (exercises relocation; the pool's recorded base changes)."})
    boolean relocate;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PoolImage.checkFile(pool, "pool");
        // held from the scan below to the close: no writer can start in between
        try (PoolLock held = LockProbe.lock(pool, "stop that process first; it recovered the pool when it opened it")) {
            return recover(out, held);
        }
    }

    private int recover(PrintWriter out, PoolLock held) {
        String torn;
        long recordedBase;
        try (PoolImage img = PoolImage.open(pool, false)) {
            recordedBase = img.sb.baseAddress();
            LogScan l = LogScan.open(img.media, img.sb.logOffset(), img.sb.logLength());
            if (l.headerProblem != null) {
                throw ToolException.damaged("cannot recover " + pool + ": log header: " + l.headerProblem,
                        "run `ferrite check " + pool + "`");
            }
            l.scan(r -> true);
            // Where the log ends is pmlog's verdict (its tail scanner): the open below recovers exactly that.
            torn = l.tornLsn >= 0 ? l.stopReason + l.intactAfterTornWords() : null;
        }
        Heap heap;
        try {
            heap = Heap.open(held, HeapOptions.defaults().checkpointInterval(Duration.ZERO).forceRelocation(relocate));
        } catch (FerriteException | IllegalArgumentException | IllegalStateException e) {
            throw ToolException.damaged("recovery of " + pool + " failed: " + e.getMessage(), "run `ferrite check " + pool + "`");
        }
        RecoveryReport r = heap.recoveryReport();
        long base = heap.baseAddress();
        try {
            heap.close();
        } catch (FerriteException e) {
            throw ToolException.damaged("recovery of " + pool + " replayed the log but the final checkpoint failed: " + e.getMessage(),
                    "run `ferrite check " + pool + "`");
        }
        boolean recovered = !r.cleanClose() || r.recordsReplayed() > 0 || r.relocated();
        String swizzle = r.relocated() ? r.swizzle().toString() : relocation(recordedBase, base);
        if (json) {
            out.println(Json.obj().put("pool", pool.toString()).put("cleanClose", r.cleanClose()).put("fromLsn", r.fromLsn())
                    .put("toLsn", r.toLsn()).put("recordsReplayed", r.recordsReplayed()).put("bytesReplayed", r.bytesReplayed())
                    .put("liveObjects", r.liveObjects()).put("replayMillis", r.replayTime().toNanos() / 1e6)
                    .put("openMillis", r.totalTime().toNanos() / 1e6).put("tornTail", torn)
                    .put("relocated", r.relocated()).put("baseBefore", String.format("0x%x", recordedBase))
                    .put("baseAfter", String.format("0x%x", base)).put("swizzle", swizzle)
                    .put("markedClean", true));
        } else {
            out.println("recover " + pool);
            out.println("  " + r);
            if (torn != null) {
                out.println("  log tail: ignored a torn record (" + torn + ")");
            }
            out.println("  pointers: " + (r.relocated() ? String.format("the pool moved from 0x%x to 0x%x; its pointers were"
                    + " swizzled (the swizzle line above)", recordedBase, base) : relocation(recordedBase, base)));
            out.println("  closed cleanly: checkpointed, marked clean");
            out.println(recovered ? "recover: " + pool + " recovered" : "recover: " + pool + " was clean; nothing to recover");
        }
        out.flush();
        return recovered ? Ferrite.EXIT_REPAIRED : Ferrite.EXIT_CLEAN;
    }

    private static String relocation(long recorded, long mapped) {
        return recorded == mapped ? String.format("mapped at the recorded base 0x%x, no relocation needed", mapped)
                : String.format("the pool moved from 0x%x to 0x%x: its pointers were swizzled at open", recorded, mapped);
    }
}
