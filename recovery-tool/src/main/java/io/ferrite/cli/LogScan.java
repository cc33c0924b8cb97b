package io.ferrite.cli;

import io.ferrite.FerriteException;
import io.ferrite.media.Media;
import io.ferrite.pmlog.LogHeader;
import io.ferrite.pmlog.LogHeaderDescriptor;
import io.ferrite.pmlog.LogTailScanner;
import io.ferrite.pmlog.LogTailScanner.Entry;
import io.ferrite.pmlog.LogTailScanner.Stop;
import java.lang.foreign.MemorySegment;

/**
 * A log region as the read-only commands see it: pmlog's own header check ({@link LogHeader#read})
 * and pmlog's own tail scanner ({@link LogTailScanner}), the code {@code PmLog.open} recovers with,
 * so that the tool's verdict on where the log ends and what is lost is the library's. This class
 * only holds the results in the shape the commands print them, without changing a byte.
 */
final class LogScan {
    final MemorySegment seg;
    final long regionOffset;
    final long regionLength;
    private final Media media;
    /** Why the header is unusable (pmlog's error), or null. */
    String headerProblem;
    LogHeader header;
    private LogTailScanner scanner;
    long capacity;
    int maxRecordSize;
    long epoch;
    final boolean[] slotValid = new boolean[LogHeaderDescriptor.HEAD_SLOT_COUNT];
    int activeSlot = -1;
    long headLsn;

    // results of scan()
    LogTailScanner.TailScan result;
    long tailLsn;
    long records;
    long payloadBytes;
    long paddingRecords;
    String stopReason;
    /** LSN of the damaged record that ended the chain (torn, or an epoch ahead of the header), -1 at a clean end. */
    long tornLsn = -1;
    long tornBytes;
    /**
     * Intact records chained after the torn record, which recovery drops with it. A group commit torn
     * by power loss leaves these (none was acknowledged), so they are reported, not counted as damage.
     */
    long intactAfterTorn;

    private LogScan(Media media, long regionOffset, long regionLength) {
        this.media = media;
        this.seg = media.segment().asReadOnly();
        this.regionOffset = regionOffset;
        this.regionLength = regionLength;
    }

    /** Validates and reads the header of the log region; check {@link #headerProblem} before scanning. */
    static LogScan open(Media media, long regionOffset, long regionLength) {
        LogScan s = new LogScan(media, regionOffset, regionLength);
        try {
            s.readHeader();
        } catch (FerriteException | IllegalArgumentException | IndexOutOfBoundsException e) {
            s.headerProblem = e.getMessage();
        }
        return s;
    }

    private void readHeader() {
        header = LogHeader.read(media, regionOffset, regionLength);
        scanner = new LogTailScanner(seg, regionOffset, header);
        capacity = header.capacity();
        maxRecordSize = header.maxRecordSize();
        epoch = header.epoch();
        for (int i = 0; i < slotValid.length; i++) {
            slotValid[i] = header.slots().get(i).valid();
        }
        activeSlot = header.activeSlot();
        headLsn = header.headLsn();
    }

    long ringBase() {
        return LogHeaderDescriptor.ringOffset(regionOffset);
    }

    /** Follows the chain from the head; every accepted record goes to {@code visitor} (padding included), until it returns false. */
    LogScan scan(LogTailScanner.Visitor visitor) {
        boolean[] deliver = {true};
        // The tool counts the whole log even when the visitor has seen enough.
        result = scanner.scan(e -> {
            if (deliver[0] && !visitor.onRecord(e)) {
                deliver[0] = false;
            }
            return true;
        });
        tailLsn = result.endLsn();
        records = result.records();
        payloadBytes = result.payloadBytes();
        paddingRecords = result.paddingRecords();
        stopReason = result.reason();
        if (!result.stop().clean()) {
            tornLsn = result.stopLsn();
            tornBytes = result.ignoredBytes();
            intactAfterTorn = result.beyond().records();
        }
        return this;
    }

    /**
     * The words for the intact records chained after a torn record, or "" when there are none. Not
     * counted as damage: a group commit torn by power loss leaves them (none of its records had been
     * acknowledged), and the log alone cannot tell that from media damage (docs/decisions.md).
     */
    String intactAfterTornWords() {
        if (intactAfterTorn == 0) {
            return "";
        }
        return "; the " + intactAfterTorn + " intact record(s) chained after it, up to LSN " + result.beyond().endLsn()
                + ", go with it (what a group commit torn by power loss leaves: none of its records had been acknowledged;"
                + " only media damage to records already durable looks the same)";
    }

    /** True when the log ended at a stale record of an earlier run (the clean end of a restarted log). */
    boolean endsAtStaleRecord() {
        return result != null && result.stop() == Stop.STALE_EPOCH;
    }

    /** The record starting exactly at {@code lsn} if intact (for --follow), or null. */
    Entry at(long lsn, long prevEpoch) {
        return scanner.at(lsn, prevEpoch);
    }

    /** The LSN after {@code r}. */
    long after(Entry r) {
        return scanner.after(r);
    }

    /** Re-reads the header and head slots (the log may be live under --follow). */
    void refreshHead() {
        readHeader();
    }
}
