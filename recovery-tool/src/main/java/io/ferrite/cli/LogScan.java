package io.ferrite.cli;

import io.ferrite.FerriteException;
import io.ferrite.media.Media;
import io.ferrite.pmlog.LogHeaderDescriptor;
import io.ferrite.pmlog.LogRecordDescriptor;
import io.ferrite.pmlog.PmLog;
import io.ferrite.pmlog.RecoveryInfo;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.zip.CRC32C;

/**
 * Reads a log region record by record through {@link LogHeaderDescriptor} and
 * {@link LogRecordDescriptor}, following the chain exactly as pmlog's tail recovery does (expected
 * LSN, length in range, CRC32C, non-decreasing epoch), without changing a byte. The header is
 * validated by {@link PmLog#inspect}, the library's own read-only check, whose tail the scan must
 * agree with.
 *
 * <p>Beyond the end of the chain it looks one step further: when the record that stopped the scan
 * is damaged but the record after it is intact and carries the next LSN, the damage is in the
 * middle of the log (recovery would lose what follows), not a torn tail.
 */
final class LogScan {
    static final short PADDING_TYPE = LogRecordDescriptor.PADDING_TYPE;

    /** One record as found in the ring. {@code offset} is the media offset of its header. */
    record Rec(long lsn, long offset, int length, short type, short flags, long epoch, boolean padding) {
        long payloadOffset() {
            return offset + LogRecordDescriptor.PAYLOAD_OFFSET;
        }
    }

    @FunctionalInterface
    interface Visitor {
        /** @return false to stop */
        boolean onRecord(Rec r);
    }

    final MemorySegment seg;
    final long regionOffset;
    final long regionLength;
    /** Why the header is unusable (from PmLog.inspect), or null. */
    String headerProblem;
    RecoveryInfo inspected;
    long capacity;
    int maxRecordSize;
    long epoch;
    final long[] slotLsn = new long[2];
    final long[] slotEpoch = new long[2];
    final boolean[] slotValid = new boolean[2];
    int activeSlot = -1;
    long headLsn;
    long headEpoch;

    /** Records pmlog's own read-only recovery delivers: {count, fingerprint of (LSN, type, length)}. */
    final long[] libraryFingerprint = new long[2];
    /** The same over the records this scan found. */
    final long[] fingerprint = new long[2];

    static long fingerprint(long h, long lsn, short type, long len) {
        return (h * 1_000_003L) ^ (lsn * 0x9E3779B97F4A7C15L + type * 31L + len);
    }

    /** Null when this scan and pmlog's PmLog.inspect found the same records, else how they differ. */
    String disagreement() {
        if (inspected == null) {
            return null;
        }
        if (inspected.tailLsn() != tailLsn) {
            return "pmlog's recovery ends at LSN " + inspected.tailLsn() + ", the record chain read by ferrite at " + tailLsn;
        }
        if (libraryFingerprint[0] != fingerprint[0] || libraryFingerprint[1] != fingerprint[1]) {
            return "pmlog's recovery keeps " + libraryFingerprint[0] + " records, ferrite's scan found " + fingerprint[0]
                    + (libraryFingerprint[0] == fingerprint[0] ? " (different ones)" : "");
        }
        return null;
    }

    // results of scan()
    long tailLsn;
    long records;
    long payloadBytes;
    long paddingRecords;
    String stopReason;
    /** LSN of the damaged record that ended the chain, -1 at a clean end. */
    long tornLsn = -1;
    long tornBytes;
    /** Intact records chained after the damaged one (0: a torn tail; more: damage mid-log). */
    long recordsAfterDamage;

    private LogScan(MemorySegment seg, long regionOffset, long regionLength) {
        this.seg = seg;
        this.regionOffset = regionOffset;
        this.regionLength = regionLength;
    }

    /** Validates and reads the header of the log region; check {@link #headerProblem} before scanning. */
    static LogScan open(Media media, long regionOffset, long regionLength) {
        LogScan s = new LogScan(media.segment().asReadOnly(), regionOffset, regionLength);
        try {
            long[] fp = s.libraryFingerprint;
            s.inspected = PmLog.inspect(media, regionOffset, regionLength, (lsn, type, seg, off, len) -> {
                fp[0]++;
                fp[1] = fingerprint(fp[1], lsn, type, len);
                return true;
            });
        } catch (FerriteException | IllegalArgumentException | IndexOutOfBoundsException e) {
            s.headerProblem = e.getMessage();
            return s;
        }
        s.readHeader();
        return s;
    }

    private void readHeader() {
        capacity = seg.get(LogHeaderDescriptor.U64, regionOffset + LogHeaderDescriptor.CAPACITY_OFFSET);
        maxRecordSize = seg.get(LogHeaderDescriptor.U32, regionOffset + LogHeaderDescriptor.MAX_RECORD_SIZE_OFFSET);
        epoch = seg.get(LogHeaderDescriptor.U64, regionOffset + LogHeaderDescriptor.EPOCH_OFFSET);
        long best = -1;
        for (int i = 0; i < LogHeaderDescriptor.HEAD_SLOT_COUNT; i++) {
            long off = regionOffset + LogHeaderDescriptor.headSlotOffset(i);
            long lsn = seg.get(LogHeaderDescriptor.U64, off + LogHeaderDescriptor.SLOT_LSN_OFFSET);
            long ew = seg.get(LogHeaderDescriptor.U64, off + LogHeaderDescriptor.SLOT_EPOCH_OFFSET);
            CRC32C c = new CRC32C();
            c.update(seg.asSlice(off, LogHeaderDescriptor.SLOT_COVERED_LENGTH).asByteBuffer());
            slotLsn[i] = lsn;
            slotEpoch[i] = ew & 0xFFFF_FFFFL;
            slotValid[i] = (int) c.getValue() == (int) (ew >>> 32) && lsn >= 0 && lsn % 8 == 0 && slotEpoch[i] <= epoch;
            if (slotValid[i] && lsn > best) {
                best = lsn;
                activeSlot = i;
            }
        }
        headLsn = normalize(best);
        headEpoch = slotEpoch[activeSlot];
    }

    long normalize(long lsn) {
        long p = lsn % capacity;
        return LogRecordDescriptor.isImplicitSkip(p, capacity) ? lsn + (capacity - p) : lsn;
    }

    long ringBase() {
        return LogHeaderDescriptor.ringOffset(regionOffset);
    }

    /** Follows the chain from the head; every intact record goes to {@code visitor} (padding included). */
    LogScan scan(Visitor visitor) {
        long pos = headLsn;
        long prevEpoch = headEpoch;
        boolean deliver = true;
        while (true) {
            Step st = step(pos, prevEpoch);
            if (st.stop != null) {
                stopReason = st.stop;
                tornBytes = st.tornBytes;
                if (st.tornBytes > 0) {
                    tornLsn = pos;
                    if (st.size > 0) {
                        recordsAfterDamage = countChain(pos + st.size, st.epoch);
                    }
                }
                break;
            }
            Rec r = st.rec;
            if (r.padding) {
                paddingRecords++;
            } else {
                records++;
                payloadBytes += r.length;
                fingerprint[0]++;
                fingerprint[1] = fingerprint(fingerprint[1], r.lsn, r.type, r.length);
            }
            if (deliver && !visitor.onRecord(r)) {
                deliver = false;
            }
            prevEpoch = r.epoch;
            pos = st.next;
        }
        tailLsn = normalize(pos);
        return this;
    }

    private long countChain(long from, long prevEpoch) {
        long pos = normalize(from);
        long n = 0;
        long limit = capacity / LogRecordDescriptor.HEADER_LENGTH + 1;
        while (n < limit && pos - headLsn < capacity) {
            Step st = step(pos, 0);
            if (st.stop != null) {
                break;
            }
            n += st.rec.padding ? 0 : 1;
            pos = st.next;
        }
        return n;
    }

    private record Step(Rec rec, long next, String stop, long tornBytes, long size, long epoch) {
    }

    private Step step(long pos0, long prevEpoch) {
        long pos = pos0;
        long p = pos % capacity;
        if (LogRecordDescriptor.isImplicitSkip(p, capacity)) {
            pos += capacity - p;
            p = 0;
        }
        if (pos - headLsn >= capacity) {
            return new Step(null, pos, "the ring is full of valid records", 0, 0, 0);
        }
        long rec = ringBase() + p;
        long word = seg.get(LogRecordDescriptor.U64, LogRecordDescriptor.lsnOffset(rec));
        if (word != pos) {
            return new Step(null, pos, "end of log: no record with LSN " + pos + " (the LSN word holds " + word + ")", 0, 0, 0);
        }
        long len = seg.get(LogRecordDescriptor.U32, LogRecordDescriptor.lengthOffset(rec)) & 0xFFFF_FFFFL;
        int storedCrc = seg.get(LogRecordDescriptor.U32, LogRecordDescriptor.crcOffset(rec));
        short type = seg.get(LogRecordDescriptor.U16, LogRecordDescriptor.typeOffset(rec));
        short flags = seg.get(LogRecordDescriptor.U16, LogRecordDescriptor.flagsOffset(rec));
        long recEpoch = seg.get(LogRecordDescriptor.U32, LogRecordDescriptor.epochOffset(rec)) & 0xFFFF_FFFFL;
        boolean padding = type == PADDING_TYPE;
        long size = padding ? LogRecordDescriptor.HEADER_LENGTH + len : LogRecordDescriptor.recordLength(len);
        if ((!padding && len > maxRecordSize) || size % LogRecordDescriptor.ALIGNMENT != 0 || size > capacity - p
                || pos + size - headLsn > capacity) {
            return new Step(null, pos, "torn record at LSN " + pos + ": length " + len + " out of range (max "
                    + maxRecordSize + ")", LogRecordDescriptor.HEADER_LENGTH, 0, recEpoch);
        }
        CRC32C crc = new CRC32C();
        crc.update(seg.asSlice(LogRecordDescriptor.lsnOffset(rec), LogRecordDescriptor.CRC_COVERED_HEADER_LENGTH).asByteBuffer());
        if (!padding && len > 0) {
            crc.update(seg.asSlice(LogRecordDescriptor.payloadOffset(rec), len).asByteBuffer());
        }
        if ((int) crc.getValue() != storedCrc) {
            return new Step(null, pos, String.format("torn record at LSN %d: CRC32C mismatch (stored 0x%08x, computed 0x%08x)",
                    pos, storedCrc, (int) crc.getValue()), size, size, recEpoch);
        }
        if (recEpoch > epoch || recEpoch < prevEpoch) {
            return new Step(null, pos, "stale record at LSN " + pos + ": epoch " + recEpoch + " after epoch " + prevEpoch
                    + " (header epoch " + epoch + ")", size, size, recEpoch);
        }
        Rec r = new Rec(pos, rec, (int) len, type, flags, recEpoch, padding);
        return new Step(r, pos + size, null, 0, size, recEpoch);
    }

    /** Reads one record's payload bytes. */
    byte[] payload(Rec r) {
        byte[] b = new byte[r.length];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, r.payloadOffset(), b, 0, r.length);
        return b;
    }

    /** The record starting exactly at {@code lsn} if intact (for --follow), or null. */
    Rec at(long lsn, long prevEpoch) {
        Step st = step(lsn, prevEpoch);
        return st.rec;
    }

    /** The LSN after {@code r}. */
    long after(Rec r) {
        long size = r.padding ? LogRecordDescriptor.HEADER_LENGTH + r.length : LogRecordDescriptor.recordLength(r.length);
        return normalize(r.lsn + size);
    }

    /** Re-reads the head slots (the log may be live under --follow). */
    void refreshHead() {
        readHeader();
    }
}
