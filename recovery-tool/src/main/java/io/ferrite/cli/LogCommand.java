package io.ferrite.cli;

import io.ferrite.FerriteException;
import io.ferrite.media.Media;
import io.ferrite.media.MediaOptions;
import io.ferrite.pheap.RedoApplier;
import io.ferrite.pheap.format.Le;
import io.ferrite.pheap.format.RedoRecordDescriptor;
import io.ferrite.pmlog.LogHeaderDescriptor;
import io.ferrite.pmlog.LogTailScanner;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ferrite log}: the records of a pool's log region or of a standalone pmlog file. */
@Command(name = "log", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "List the records of a log: the log region of a pool, or a standalone pmlog file.",
            "",
            "Reads the log read-only and follows the record chain from the head with pmlog's own tail scanner",
            "(expected LSN, length, CRC32C, epoch), printing one line per record: LSN, payload length, type",
            "(redo records of a pool also show their transaction id and operation count, and whether they",
            "are applied or still to replay after the checkpoint LSN). The last line says why the chain",
            "ends: a clean end (no record, or a stale record of an earlier run that was never durable), or a",
            "torn record (an append that never completed), with the intact records chained after it that",
            "recovery drops with it (a group commit torn by power loss leaves those).",
            "",
            "--verify also decodes every redo record (exit 4 if one is malformed).",
            "--follow keeps reading as a live writer appends (Ctrl-C to stop)."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:the log was listed (and, with --verify, is sound; a torn tail is normal after a crash)",
            "4:the log is damaged (header, a malformed redo record)",
            "8:usage or operational error (missing file, neither a pool nor a log)"},
        footerHeading = "%nExamples:%n",
        footer = {
            "  ferrite log /dev/shm/orders.pool",
            "  ferrite log --verify /dev/shm/events.log",
            "  ferrite log --from 4096 --follow /dev/shm/events.log"})
final class LogCommand implements Callable<Integer> {
    static final long FOLLOW_POLL_MILLIS = 200;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "POOL-OR-LOG", description = "A pool file, or a standalone log file.")
    Path file;

    @Option(names = "--verify", description = "Verify every record and report damage (exit 4 when damaged).")
    boolean verify;

    @Option(names = "--follow", description = "After the last record, wait for new ones and print them (Ctrl-C stops).")
    boolean follow;

    @Option(names = "--from", paramLabel = "LSN", description = "Start at this LSN (records before it are skipped).")
    long from = -1;

    @Option(names = "--padding", description = "Also list padding records (ring wrap fillers).")
    boolean padding;

    @Option(names = "--json", description = "Print one JSON object (header, records, end) instead of text; not with --follow.")
    boolean json;

    @Override
    public Integer call() throws InterruptedException {
        if (json && follow) {
            throw ToolException.usage("--json and --follow do not go together", "use one or the other");
        }
        PrintWriter out = spec.commandLine().getOut();
        // In JSON mode the text goes nowhere and the same facts go into one object.
        PrintWriter text = json ? new PrintWriter(java.io.Writer.nullWriter()) : out;
        Json.Obj o = Json.obj().put("file", file.toString());
        long size = PoolImage.checkFile(file, "pool or log");
        Media media;
        try {
            media = Media.open(file, MediaOptions.defaults().readOnly(true));
        } catch (FerriteException e) {
            throw ToolException.usage("cannot map " + file + " read-only: " + e.getMessage(), "check the file");
        }
        try {
            long magic = media.size() >= 8 ? media.segment().get(Le.U64_UNALIGNED, 0) : 0;
            long regionOffset;
            long regionLength;
            long cp = -1;
            PoolImage img = null;
            if (magic == LogHeaderDescriptor.MAGIC) {
                regionOffset = 0;
                regionLength = size;
                text.println("log " + file + " (standalone pmlog file, " + size + " bytes)");
                o.put("kind", "standalone log");
            } else {
                media.close();
                media = null;
                img = PoolImage.open(file, false);
                media = img.media;
                regionOffset = img.sb.logOffset();
                regionLength = img.sb.logLength();
                cp = img.sb.checkpointLsn();
                text.println("log of pool " + file + " (region at offset " + regionOffset + ", " + regionLength + " bytes)");
                o.put("kind", "pool log region").put("checkpointLsn", cp);
            }
            o.put("regionOffset", regionOffset).put("regionLength", regionLength);
            LogScan l = LogScan.open(media, regionOffset, regionLength);
            if (l.headerProblem != null) {
                throw ToolException.damaged("log header of " + file + ": " + l.headerProblem, "the log cannot be read; restore from"
                        + " a replica or a backup");
            }
            o.put("capacity", l.capacity).put("maxRecordSize", l.maxRecordSize).put("epoch", l.epoch).put("headSlot", l.activeSlot)
                    .put("headLsn", l.headLsn);
            text.printf("capacity %,d, max record %,d, epoch %d, head slot %d: head LSN %d%s%n", l.capacity, l.maxRecordSize, l.epoch,
                    l.activeSlot, l.headLsn, cp >= 0 ? ", checkpoint LSN " + cp : "");
            if (from >= 0 && from < l.headLsn) {
                text.println("(LSN " + from + " is before the head " + l.headLsn + ": those records were reclaimed; starting at the head)");
            }
            text.printf("%14s %10s  %-10s %6s  %s%n", "LSN", "LENGTH", "TYPE", "EPOCH", "DETAIL");
            boolean pool = cp >= 0;
            RedoApplier checker = pool ? Recovered.applier(media.segment().asReadOnly(), img.sb) : null;
            int[] malformed = {0};
            long[] shown = {0};
            long cpf = cp;
            Json.Arr recs = Json.arr();
            l.scan(r -> {
                if (r.lsn() >= from && (padding || !r.padding())) {
                    shown[0]++;
                    Json.Obj j = record(l, r, cpf, verify ? checker : null, malformed);
                    text.println(line(j));
                    if (json) {
                        recs.add(j);
                    }
                }
                return true;
            });
            o.put("records", recs);
            String end = l.tornLsn < 0 ? "end: clean (" + l.stopReason + ")" : "end: " + l.stopReason;
            text.println(end);
            o.put("end", Json.obj().put("clean", l.tornLsn < 0).put("reason", l.stopReason).put("tailLsn", l.tailLsn)
                    .put("stop", l.result.stop().name()).put("intactAfterTorn", l.intactAfterTorn));
            int exit = Ferrite.EXIT_CLEAN;
            if (l.tornLsn >= 0) {
                text.println("(a torn tail: the last append never completed" + l.intactAfterTornWords() + "; recovery ignores it)");
            } else if (l.endsAtStaleRecord()) {
                text.println("(the log ends where a restarted run's records end: the record there is an earlier run's,"
                        + " written beyond its torn end and never durable; recovery ignores it)");
            }
            if (malformed[0] > 0) {
                exit = Ferrite.EXIT_ERRORS_LEFT;
            }
            text.printf("%d records (%,d payload bytes), %d shown, head %d, tail %d%n", l.records, l.payloadBytes, shown[0], l.headLsn,
                    l.tailLsn);
            if (json) {
                o.put("recordCount", l.records).put("payloadBytes", l.payloadBytes).put("exitCode", exit);
                out.println(o);
            }
            out.flush();
            if (follow) {
                follow(out, l, cp, checker, malformed);
            }
            return exit;
        } finally {
            if (media != null) {
                media.close();
            }
        }
    }

    private void follow(PrintWriter out, LogScan l, long cp, RedoApplier checker, int[] malformed) throws InterruptedException {
        out.println("following " + file + " (Ctrl-C to stop)...");
        out.flush();
        long pos = l.tailLsn;
        long epoch = 0;
        while (!Thread.currentThread().isInterrupted()) {
            l.refreshHead();
            if (pos < l.headLsn) {
                out.println("(fell behind: records up to LSN " + l.headLsn + " were reclaimed; continuing at the head)");
                pos = l.headLsn;
            }
            LogTailScanner.Entry r = l.at(pos, epoch);
            if (r == null) {
                out.flush();
                Thread.sleep(FOLLOW_POLL_MILLIS);
                continue;
            }
            if (padding || !r.padding()) {
                out.println(line(record(l, r, cp, verify ? checker : null, malformed)));
            }
            epoch = r.epoch();
            pos = l.after(r);
        }
    }

    /** One record as JSON: LSN, length, type, epoch; for redo records the transaction, operations and state. */
    private static Json.Obj record(LogScan l, LogTailScanner.Entry r, long cp, RedoApplier checker, int[] malformed) {
        String type = r.padding() ? "padding" : r.type() == RedoRecordDescriptor.LOG_RECORD_TYPE && cp >= 0 ? "redo"
                : Short.toString(r.type());
        Json.Obj j = Json.obj().put("lsn", r.lsn()).put("length", r.length()).put("type", type).put("epoch", r.epoch());
        if (cp >= 0 && !r.padding() && r.type() == RedoRecordDescriptor.LOG_RECORD_TYPE && r.length() >= RedoRecordDescriptor.HEADER_LENGTH) {
            var seg = l.seg;
            long p = r.payloadOffset();
            j.put("tx", seg.get(Le.U64_UNALIGNED, p + RedoRecordDescriptor.TX_ID_OFFSET))
                    .put("ops", seg.get(Le.U32_UNALIGNED, p + RedoRecordDescriptor.OP_COUNT_OFFSET))
                    .put("state", r.lsn() >= cp ? "to replay" : "applied");
            if (checker != null) {
                try {
                    checker.validate(r.lsn(), seg, p, r.length());
                } catch (FerriteException e) {
                    malformed[0]++;
                    j.put("malformed", e.getMessage());
                }
            }
        }
        return j;
    }

    private static String line(Json.Obj j) {
        var f = j.fields;
        String detail = f.containsKey("tx") ? String.format("tx %s, %s ops, %s", f.get("tx"), f.get("ops"), f.get("state")) : "";
        if (f.containsKey("malformed")) {
            detail += "; MALFORMED: " + f.get("malformed");
        }
        return String.format("%14d %10d  %-10s %6d  %s", (Long) f.get("lsn"), (Integer) f.get("length"), f.get("type"),
                (Long) f.get("epoch"), detail);
    }
}
