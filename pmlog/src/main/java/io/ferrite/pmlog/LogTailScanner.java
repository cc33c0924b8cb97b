package io.ferrite.pmlog;

import static io.ferrite.pmlog.LogRecordDescriptor.HEADER_LENGTH;
import static io.ferrite.pmlog.LogRecordDescriptor.PADDING_TYPE;

import io.ferrite.media.Media;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.zip.CRC32C;

/**
 * The one rule that decides where a log ends (DESIGN.md §6; docs/pmlog.md, "Tail recovery"). Tail
 * recovery at {@link PmLog#open}, {@link PmLog#inspect} and the {@code ferrite} tool all scan through
 * this class, so the library and the tool cannot disagree about which records a crashed log holds.
 *
 * <p>From the head, the chain is followed while each record has the expected LSN in its LSN word, a
 * length in range, a matching CRC32C, and an epoch ≥ the epoch of the record before it (the head
 * slot's floor for the first) and ≤ the header's epoch. The first record that breaks a rule ends
 * the log; what the scan says about it ({@link Stop}):
 * <ul>
 *   <li>{@link Stop#END_OF_LOG}, {@link Stop#RING_FULL}: nothing was ever appended there.</li>
 *   <li>{@link Stop#STALE_EPOCH}: an intact record of an older run follows a record of a newer run.
 *       The newer run recovered the log to an end before that record, so the record was never
 *       durable (it was written beyond a torn record and never acknowledged): this is the clean end
 *       of the log, not damage.</li>
 *   <li>{@link Stop#TORN_RECORD}: the LSN word is right but the length or the checksum is not: an
 *       append whose flush never completed.</li>
 *   <li>{@link Stop#EPOCH_AHEAD}: an intact record claims an epoch above the header's: no crash
 *       leaves that (the header's epoch is persisted before a run appends), so the record or the
 *       header was damaged or restored from elsewhere.</li>
 *   <li>{@link Stop#STOPPED_BY_VISITOR}: the visitor asked to stop.</li>
 * </ul>
 * Every stop is recoverable: recovery keeps the records before it and appends continue at
 * {@link TailScan#endLsn()}. For diagnostics the scan also reports what lies beyond a torn record
 * ({@link Beyond}): intact records chained after it that recovery drops. One group commit torn by
 * power loss leaves exactly that (the group's records were flushed together and none of them was
 * acknowledged), so it is not evidence of damage; damage to durable records mid-log looks the same,
 * which the log alone cannot tell apart.
 *
 * <p><b>Threading.</b> A scanner holds no mutable state: any number of threads may scan at once. The
 * scan reads the ring and changes nothing, so it works on read-only media; it is bounded by the
 * capacity (never a hang, never an exception from inside on damaged bytes). It does not allocate per
 * record unless a visitor is given ({@link Entry} per delivered record).
 */
public final class LogTailScanner {
    private final MemorySegment seg;
    private final long ringBase;
    private final LogHeader header;

    /** Why the scan stopped. */
    public enum Stop {
        /** No record at the expected LSN (its LSN word holds something else): the clean end. */
        END_OF_LOG,
        /** One capacity of valid records from the head: the clean end of a full ring. */
        RING_FULL,
        /** An intact record of an older epoch after a newer one: never durable, so the clean end. */
        STALE_EPOCH,
        /** The expected LSN, but a length out of range or a checksum mismatch: a torn append. */
        TORN_RECORD,
        /** An intact record whose epoch is above the header's: not a crash state. */
        EPOCH_AHEAD,
        /** The visitor returned false. */
        STOPPED_BY_VISITOR;

        /** True for the stops at which the log simply ends: nothing partial or inconsistent was met. */
        public boolean clean() {
            return this == END_OF_LOG || this == RING_FULL || this == STALE_EPOCH || this == STOPPED_BY_VISITOR;
        }
    }

    /**
     * One record as found in the ring. {@code offset} is the media offset of its header; padding
     * records (ring-wrap fillers, never delivered by {@link PmLog#read}) have {@code padding} set.
     */
    public record Entry(long lsn, long offset, int length, short type, short flags, long epoch, boolean padding) {
        /** Media offset of the payload. */
        public long payloadOffset() {
            return LogRecordDescriptor.payloadOffset(offset);
        }

        /** Ring bytes the record takes (header, payload, alignment; a padding record its whole span). */
        public long size() {
            return padding ? HEADER_LENGTH + Integer.toUnsignedLong(length) : LogRecordDescriptor.recordLength(length);
        }
    }

    /** Receives every record the scan accepts, padding included, in LSN order. */
    @FunctionalInterface
    public interface Visitor {
        /** @return true to go on, false to stop after this record */
        boolean onRecord(Entry entry);
    }

    /**
     * Intact records chained after a torn record (its end LSN first, then each next LSN), which
     * recovery drops with it. {@code records} counts user records (padding not counted);
     * {@code endLsn} is where that chain ends. {@link #NONE} when nothing intact follows.
     */
    public record Beyond(long fromLsn, long records, long endLsn) {
        public static final Beyond NONE = new Beyond(-1, 0, -1);
    }

    /**
     * What a scan found.
     *
     * @param headLsn        where the scan started
     * @param endLsn         the LSN after the last accepted record (normalized): appends continue here
     * @param records        user records accepted (padding not counted)
     * @param payloadBytes   their payload bytes
     * @param paddingRecords padding records accepted
     * @param lastEpoch      epoch of the last accepted record (the head slot's floor if none)
     * @param stop           why the scan stopped
     * @param stopLsn        the LSN at which it stopped (the record it refused, or the clean end)
     * @param ignoredBytes   bytes of the refused record when its LSN matched (torn, stale, epoch
     *                       ahead); 0 at {@link Stop#END_OF_LOG}, {@link Stop#RING_FULL},
     *                       {@link Stop#STOPPED_BY_VISITOR}
     * @param reason         the stop in words, with the values found
     * @param beyond         intact records after a torn record ({@link Beyond#NONE} otherwise)
     */
    public record TailScan(long headLsn, long endLsn, long records, long payloadBytes, long paddingRecords, long lastEpoch,
                           Stop stop, long stopLsn, long ignoredBytes, String reason, Beyond beyond) {
    }

    /** A scanner over the log whose region starts at {@code regionOffset} of {@code segment}. */
    public LogTailScanner(MemorySegment segment, long regionOffset, LogHeader header) {
        this.seg = segment.asReadOnly();
        this.ringBase = LogHeaderDescriptor.ringOffset(regionOffset);
        this.header = header;
    }

    /** Reads and validates the header of the log region (as {@link LogHeader#read}) and returns a scanner over it. */
    public static LogTailScanner of(Media media, long regionOffset, long regionLength) {
        return new LogTailScanner(media.segment(), regionOffset, LogHeader.read(media, regionOffset, regionLength));
    }

    public LogHeader header() {
        return header;
    }

    /** Scans from the head; every accepted record goes to {@code visitor} (null: none). */
    public TailScan scan(Visitor visitor) {
        Cursor c = new Cursor();
        long headLsn = header.headLsn();
        long pos = headLsn;
        long prevEpoch = header.headEpoch();
        long records = 0;
        long bytes = 0;
        long padding = 0;
        Stop stop;
        for (;;) {
            pos = normalize(pos);
            stop = c.step(pos, prevEpoch);
            if (stop != null) {
                break;
            }
            if (c.padding) {
                padding++;
            } else {
                records++;
                bytes += c.length;
            }
            prevEpoch = c.epoch;
            long at = pos;
            pos += c.size;
            if (visitor != null && !visitor.onRecord(c.entry(at))) {
                stop = Stop.STOPPED_BY_VISITOR;
                c.reason = "stopped by the reader after LSN " + at;
                c.ignored = 0;
                break;
            }
        }
        Beyond beyond = stop == Stop.TORN_RECORD && c.size > 0 ? beyond(pos + c.size, prevEpoch) : Beyond.NONE;
        return new TailScan(headLsn, normalize(pos), records, bytes, padding, prevEpoch, stop, pos, c.ignored, c.reason,
                beyond);
    }

    /**
     * The record starting exactly at {@code lsn} if it is intact and its epoch is in
     * [{@code prevEpoch}, header epoch], else null (for tools that follow a live log).
     */
    public Entry at(long lsn, long prevEpoch) {
        Cursor c = new Cursor();
        long pos = normalize(lsn);
        return c.step(pos, prevEpoch) == null ? c.entry(pos) : null;
    }

    /** The LSN after {@code e} (normalized). */
    public long after(Entry e) {
        return normalize(e.lsn() + e.size());
    }

    private Beyond beyond(long from, long prevEpoch) {
        Cursor c = new Cursor();
        long pos = from;
        long records = 0;
        for (;;) {
            pos = normalize(pos);
            if (c.step(pos, prevEpoch) != null) {
                break;
            }
            records += c.padding ? 0 : 1;
            prevEpoch = c.epoch;
            pos += c.size;
        }
        return pos == normalize(from) ? Beyond.NONE : new Beyond(normalize(from), records, normalize(pos));
    }

    /** The LSN moved past the implicit skip at the ring end, where no record starts. */
    private long normalize(long lsn) {
        long p = lsn % header.capacity();
        return LogRecordDescriptor.isImplicitSkip(p, header.capacity()) ? lsn + (header.capacity() - p) : lsn;
    }

    /** The checks of one record; its fields describe the record last stepped over. */
    private final class Cursor {
        private final CRC32C crc = new CRC32C();
        private final byte[] hdr = new byte[LogRecordDescriptor.CRC_COVERED_HEADER_LENGTH];
        long offset;
        int length;
        short type;
        short flags;
        long epoch;
        boolean padding;
        long size;
        long ignored;
        String reason;

        /** Null if the record at {@code pos} (a normalized LSN) is accepted after {@code prevEpoch}, else why not. */
        Stop step(long pos, long prevEpoch) {
            long capacity = header.capacity();
            long p = pos % capacity;
            size = 0;
            ignored = 0;
            if (pos - header.headLsn() >= capacity) {
                reason = "the ring is full of valid records";
                return Stop.RING_FULL;
            }
            long rec = ringBase + p;
            long word = seg.get(LogRecordDescriptor.U64, LogRecordDescriptor.lsnOffset(rec));
            if (word != pos) {
                reason = "end of log: no record with LSN " + pos + " (the LSN word holds " + word + ")";
                return Stop.END_OF_LOG;
            }
            long len = seg.get(LogRecordDescriptor.U32, LogRecordDescriptor.lengthOffset(rec)) & 0xFFFF_FFFFL;
            int storedCrc = seg.get(LogRecordDescriptor.U32, LogRecordDescriptor.crcOffset(rec));
            short t = seg.get(LogRecordDescriptor.U16, LogRecordDescriptor.typeOffset(rec));
            short f = seg.get(LogRecordDescriptor.U16, LogRecordDescriptor.flagsOffset(rec));
            long e = seg.get(LogRecordDescriptor.U32, LogRecordDescriptor.epochOffset(rec)) & 0xFFFF_FFFFL;
            boolean pad = t == PADDING_TYPE;
            long sz = pad ? HEADER_LENGTH + len : LogRecordDescriptor.recordLength(len);
            if ((!pad && len > header.maxRecordSize()) || sz % LogRecordDescriptor.ALIGNMENT != 0 || sz > capacity - p
                    || pos + sz - header.headLsn() > capacity) {
                reason = "torn record at LSN " + pos + ": length " + len + " out of range (max " + header.maxRecordSize() + ")";
                ignored = HEADER_LENGTH;
                return Stop.TORN_RECORD;
            }
            crc.reset();
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, LogRecordDescriptor.lsnOffset(rec), hdr, 0,
                    hdr.length);
            crc.update(hdr, 0, hdr.length);
            if (!pad && len > 0) {
                crc.update(seg.asSlice(LogRecordDescriptor.payloadOffset(rec), len).asByteBuffer());
            }
            int computed = (int) crc.getValue();
            size = sz;
            ignored = sz;
            if (computed != storedCrc) {
                reason = String.format("torn record at LSN %d: crc mismatch (CRC32C stored 0x%08x, computed 0x%08x)", pos,
                        storedCrc, computed);
                return Stop.TORN_RECORD;
            }
            if (e > header.epoch()) {
                reason = "record at LSN " + pos + " has epoch " + e + ", above the header's epoch " + header.epoch()
                        + " (no crash leaves that)";
                return Stop.EPOCH_AHEAD;
            }
            if (e < prevEpoch) {
                reason = "stale record at LSN " + pos + ": epoch " + e + " after epoch " + prevEpoch + " (header epoch "
                        + header.epoch() + "): written by an earlier run beyond its torn end, never durable";
                return Stop.STALE_EPOCH;
            }
            offset = rec;
            length = (int) len;
            type = t;
            flags = f;
            epoch = e;
            padding = pad;
            ignored = 0;
            return null;
        }

        Entry entry(long lsn) {
            return new Entry(lsn, offset, length, type, flags, epoch, padding);
        }
    }
}
