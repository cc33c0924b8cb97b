package io.ferrite.cli;

import io.ferrite.FerriteException;
import io.ferrite.pheap.Heap;
import io.ferrite.media.Media;
import io.ferrite.media.MediaOptions;
import io.ferrite.pheap.HeapOptions;
import io.ferrite.pheap.PoolLock;
import io.ferrite.pheap.RecoveryReport;
import io.ferrite.pheap.Tx;
import io.ferrite.pheap.format.Le;
import io.ferrite.pmlog.LogRecordDescriptor;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ferrite check}: verify a pool, read-only unless {@code --repair}. */
@Command(name = "check", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Verify a pool (like fsck or pmempool check). Read-only unless --repair is given.",
            "",
            "Checks, in order: both superblocks; the log (header, head slots, every record's CRC32C and LSN",
            "chain, the checkpoint LSN, each redo record still to replay); then, on the pool as recovery would",
            "leave it (a crashed pool is replayed in a private copy, never in the file): the type registry",
            "(each descriptor's CRC32C and layout), the slab table, slab headers and allocation bitmaps, that",
            "free space is zero, every pointer (in bounds, at an allocated object of the declared type), and",
            "reachability from the root object (allocated objects nothing reaches are leaked); and, when the pool",
            "is an object store, its directory and collections (links acyclic and consistent, counts, order, CRCs;",
            "see docs/operations.md), which are reported and never repaired.",
            "",
            "--repair applies only these explicit repairs, in this order, and prints each one:",
            "  torn tail zero the LSN word of a torn record after the last intact one (an append that never",
            "            completed), so that no later reader trips over it; done before the heap is opened;",
            "  replay    open the heap normally: replay the log, rewrite both superblocks, mark it clean;",
            "  leaks     free, in one logged transaction, allocated objects not reachable from the root",
            "            (only when no pointer or structure damage was found: a damaged pointer can make live",
            "            objects look unreachable).",
            "Anything else (a damaged registry, slab table, pointer, a checkpointed log record) is reported and",
            "left alone: restore such a pool from a replica or a backup. When such damage is present,",
            "--repair changes nothing at all (replaying up to a damaged record could lose what follows it).",
            "",
            "A pool open for writing (by any path to the file) is refused: stop that process first (ferrite info",
            "can read a live pool). --repair holds the writer lock from the check to the end of the repair, so",
            "no writer can start in between. On a terminal a progress bar shows on standard error for long runs."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:clean: nothing wrong was found",
            "1:repaired: problems were found and all were repaired (--repair)",
            "4:errors left: problems were found and not (all) repaired; a crashed pool that needs recovery counts (run ferrite recover or check --repair)",
            "8:usage or operational error (missing file, not a pool, newer format, pool in use)"},
        footerHeading = "%nExamples:%n",
        footer = {
            "  ferrite check /dev/shm/orders.pool",
            "  ferrite check --repair /dev/shm/orders.pool",
            "  ferrite check --json /dev/shm/orders.pool | jq '.findings[] | select(.severity == \"error\")'"})
final class CheckCommand implements Callable<Integer> {
    /** Lines listing freed objects before they are summarised. */
    private static final int MAX_FREED_LISTED = 20;
    /** Tests: runs between the check and the repair of {@code --repair}, where another writer could start. */
    static volatile Runnable beforeRepair = () -> { };

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "POOL", description = "The pool file.")
    Path pool;

    @Option(names = "--repair", description = "Apply the explicit repairs listed above, printing each; then check again.")
    boolean repair;

    @Option(names = "--json", description = "Print one JSON object (findings, statistics, repairs) instead of text.")
    boolean json;

    @Option(names = "--no-progress", description = "Never draw the progress bar.")
    boolean noProgress;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PoolImage.checkFile(pool, "pool");
        String busy = "stop that process (or wait until it closes the pool) and check again; `ferrite info " + pool + "` reads it live";
        if (!repair) {
            LockProbe.requireFree(pool, busy);
            return checkAndRepair(out, null);
        }
        // --repair holds the writer lock from the check to the end of the repair and of the check
        // after it: a writer that started in between could have made a "leaked" object live.
        try (PoolLock held = LockProbe.lock(pool, busy)) {
            return checkAndRepair(out, held);
        }
    }

    private int checkAndRepair(PrintWriter out, PoolLock held) {
        Json.Obj result = Json.obj().put("pool", pool.toString());
        Checker first = runCheck();
        Json.Arr repairs = Json.arr();
        Checker last = first;
        if (repair && !first.clean()) {
            if (!json) {
                print(out, first, "before repair");
            }
            beforeRepair.run();
            repairs = repair(first, out, held);
            last = runCheck();
        }
        int exit = last.clean() ? (repairs.size() > 0 ? Ferrite.EXIT_REPAIRED : Ferrite.EXIT_CLEAN) : Ferrite.EXIT_ERRORS_LEFT;
        if (repair && first.clean() && !json) {
            out.println("--repair: nothing to repair");
        }
        if (json) {
            result.put("clean", last.clean()).put("exitCode", exit);
            result.put("findings", findingsJson(last.findings));
            if (repair) {
                result.put("findingsBeforeRepair", findingsJson(first.findings));
                result.put("repairs", repairs);
            }
            result.put("statistics", last.stats);
            out.println(result);
        } else {
            print(out, last, repair && repairs.size() > 0 ? "after repair" : null);
            out.println(switch (exit) {
                case Ferrite.EXIT_CLEAN -> "check: " + pool + " is clean";
                case Ferrite.EXIT_REPAIRED -> "check: " + pool + " was repaired and is now clean";
                default -> last.findings.stream().filter(Finding::counts).allMatch(f -> f.severity() == Finding.Severity.RECOVERY)
                        ? "check: " + pool + " needs recovery (its last writer crashed): run `ferrite recover " + pool
                                + "` (or `ferrite check --repair " + pool + "`)"
                        : "check: " + pool + ": " + last.findings.stream().filter(Finding::counts).count() + " problem(s) left; "
                                + hint(last);
            });
        }
        out.flush();
        return exit;
    }

    private Checker runCheck() {
        try (PoolImage img = PoolImage.open(pool, true)) {
            return new Checker(img, !noProgress && !json && Progress.terminal()).run();
        }
    }

    private String hint(Checker c) {
        boolean unrepairable = c.findings.stream().anyMatch(f -> f.counts() && f.repair() == Finding.Repair.NONE);
        if (unrepairable) {
            return "the errors above cannot be repaired by ferrite (and --repair changes nothing while they are there):"
                    + " restore the pool from a replica or a backup";
        }
        return repair ? "run `ferrite check " + pool + "` again" : "run `ferrite check --repair " + pool + "` (or `ferrite recover "
                + pool + "` for a crashed pool)";
    }

    private static Json.Arr findingsJson(List<Finding> fs) {
        Json.Arr a = Json.arr();
        for (Finding f : fs) {
            a.add(Json.obj().put("severity", f.severity().label()).put("area", f.area()).put("offset", f.offset())
                    .put("message", f.message()).put("repair", f.repair() == Finding.Repair.NONE ? null : f.repair().text));
        }
        return a;
    }

    private void print(PrintWriter out, Checker c, String when) {
        out.println("check " + pool + (when == null ? "" : " (" + when + ")"));
        Object log = c.stats.fields.get("log");
        if (log instanceof Json.Obj l) {
            out.printf("  log: head %s, tail %s, checkpoint %s, %s records, %s to replay%n", l.fields.get("headLsn"),
                    l.fields.get("tailLsn"), l.fields.get("checkpointLsn"), l.fields.get("records"), l.fields.get("recordsToReplay"));
        }
        if (c.stats.fields.containsKey("objects")) {
            out.printf("  heap: %s types, %s slabs (%s free), %s objects%n", c.stats.fields.get("types"), c.stats.fields.get("slabs"),
                    c.stats.fields.get("freeSlabs"), c.stats.fields.get("objects"));
        }
        if (c.stats.fields.get("pointers") instanceof Json.Obj p) {
            out.printf("  pointers: %s checked, %s non-null (%s)%n", p.fields.get("checked"), p.fields.get("nonNull"), p.fields.get("by"));
        }
        Object r = c.stats.fields.get("reachability");
        if (r instanceof Json.Obj ro) {
            out.printf("  reachability: %s objects reachable from the root, %s leaked%n", ro.fields.get("reachable"),
                    ro.fields.get("leaked"));
        } else if (r != null) {
            out.printf("  reachability: %s%n", r);
        }
        if (c.stats.fields.get("store") instanceof Json.Obj st) {
            out.printf("  store: %s collections, %s entries, %s objects visited%n", st.fields.get("collections"), st.fields.get("entries"),
                    st.fields.get("links"));
        }
        for (Finding f : c.findings) {
            out.println("  " + f);
        }
    }

    // ------------------------------------------------------------------ repairs

    private Json.Arr repair(Checker c, PrintWriter out, PoolLock held) {
        Json.Arr done = Json.arr();
        long unrepairable = c.findings.stream().filter(f -> f.counts() && f.repair() == Finding.Repair.NONE).count();
        if (unrepairable > 0) {
            // Opening the heap over damage it cannot repair could make things worse (replaying up to a
            // damaged record drops what follows it): change nothing.
            say(out, done, "none", "nothing changed: " + unrepairable + " problem(s) cannot be repaired by ferrite and the"
                    + " pool needs a restore from a replica or a backup; repairing the rest first could lose data");
            return Json.arr();
        }
        if (c.img.sb == null || !c.img.problems.isEmpty()) {
            say(out, done, "none", "the superblocks are unusable: the heap cannot be opened to repair it");
            return Json.arr();
        }
        if (c.tornLsn >= 0 && !dropTornTail(c, out, done)) {
            return done;
        }
        Heap heap;
        try {
            heap = Heap.open(held, HeapOptions.defaults().checkpointInterval(Duration.ZERO));
        } catch (FerriteException | IllegalArgumentException | IllegalStateException e) {
            say(out, done, "replay", "FAILED to open the heap (replay): " + e.getMessage());
            return done;
        }
        boolean closed = false;
        try {
            RecoveryReport rr = heap.recoveryReport();
            say(out, done, "replay", "opened the heap: " + rr);
            boolean leaks = c.findings.stream().anyMatch(f -> f.repair() == Finding.Repair.FREE_UNREACHABLE);
            if (leaks && !c.leaked.isEmpty()) {
                try (Tx tx = heap.begin()) {
                    int n = 0;
                    for (long[] l : c.leaked) {
                        var ref = heap.ref(l[0]);
                        tx.free(ref);
                        if (n++ < MAX_FREED_LISTED) {
                            say(out, done, "free", "freeing unreachable " + ref + " (slab " + l[1] + " slot " + l[2] + ")");
                        }
                    }
                    tx.commit();
                    say(out, done, "free", "freed " + c.leaked.size() + " unreachable objects in one transaction");
                }
            }
            heap.close();
            closed = true;
            say(out, done, "replay", "closed the heap: checkpointed, both superblocks rewritten, marked clean");
        } catch (FerriteException | IllegalArgumentException | IllegalStateException e) {
            say(out, done, "failed", "repair FAILED: " + e.getMessage());
        } finally {
            if (!closed) {
                heap.crash();
            }
        }
        return done;
    }

    /**
     * Drops the torn tail before the heap is opened: the open's recovery puts the log's tail at the
     * torn record, so the first record the open appends (a slab retirement, say) lands at exactly
     * that LSN, and zeroing it afterwards would cut a valid record, and all after it, off the log.
     * The writer lock is held since the check, so the file is as the check saw it; zeroing the LSN
     * word leaves recovery's answer unchanged (it stops at the same place), also after a crash.
     * Returns false (and says so) when the pool cannot be written.
     */
    private boolean dropTornTail(Checker c, PrintWriter out, Json.Arr done) {
        long word = c.tornOffset + LogRecordDescriptor.LSN_OFFSET;
        try (Media media = Media.open(pool, MediaOptions.defaults())) {
            MemorySegment seg = media.segment();
            if (seg.get(Le.U64, word) == c.tornLsn) {
                seg.set(Le.U64, word, 0L);
                media.persist(word, 8);
                say(out, done, "torn-tail", "dropped the torn log tail at LSN " + c.tornLsn + ": zeroed its LSN word at pool offset "
                        + word);
            }
            return true;
        } catch (FerriteException e) {
            say(out, done, "failed", "repair FAILED: cannot map " + pool + " to drop its torn log tail: " + e.getMessage());
            return false;
        }
    }

    private void say(PrintWriter out, Json.Arr done, String kind, String what) {
        if (!json) {
            out.println("repair: " + what);
        }
        done.add(Json.obj().put("repair", kind).put("what", what));
    }
}
