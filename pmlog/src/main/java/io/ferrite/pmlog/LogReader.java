package io.ferrite.pmlog;

import static io.ferrite.pmlog.LogRecordDescriptor.HEADER_LENGTH;
import static io.ferrite.pmlog.LogRecordDescriptor.PADDING_TYPE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The read side of an open log ({@link PmLog#reader()}): delivers durable records, in LSN order,
 * through a read-only flyweight view of the mapping valid during the callback; nothing is
 * allocated per record.
 *
 * <p><b>Threading.</b> Any number of threads may read at once and alongside appends; a reader sees
 * only records below the durable LSN it read when the call began. The caller must not reclaim what
 * a concurrent reader still reads: a reader that finds its record overwritten throws
 * {@link IllegalStateException}.
 */
public final class LogReader {
    private static final ValueLayout.OfLong U64 = LogRecordDescriptor.U64;
    private static final ValueLayout.OfInt U32 = LogRecordDescriptor.U32;
    private static final ValueLayout.OfShort U16 = LogRecordDescriptor.U16;

    private final LogRing ring;

    LogReader(LogRing ring) {
        this.ring = ring;
    }

    /** Delivers durable records from {@code fromLsn} (a record boundary ≥ head); returns the LSN after the last delivered. */
    public long read(long fromLsn, RecordHandler handler) {
        return read(fromLsn, handler, Long.MAX_VALUE, "read");
    }

    private long read(long fromLsn, RecordHandler handler, long limit, String op) {
        ring.checkOpen();
        long h = ring.head.lv();
        long d = ring.durable.lv();
        long pos = ring.normalize(fromLsn);
        if (pos < h) {
            throw new IllegalArgumentException(op + " from lsn=" + fromLsn + ": already reclaimed (head=" + h
                    + " durable=" + d + ")");
        }
        if (pos > d) {
            throw new IllegalArgumentException(op + " from lsn=" + fromLsn + ": beyond the durable end (head=" + h
                    + " durable=" + d + " tail=" + ring.normalize(ring.tail.lv()) + ")");
        }
        MemorySegment seg = ring.seg;
        long capacity = ring.capacity;
        boolean first = true;
        long delivered = 0;
        while (pos < d && delivered < limit) {
            long p = ring.ringPos(pos);
            if (LogRecordDescriptor.isImplicitSkip(p, capacity)) {
                pos += capacity - p;
                continue;
            }
            long rec = ring.ringBase + p;
            long word = seg.get(U64, LogRecordDescriptor.lsnOffset(rec));
            if (word != pos) {
                if (first) {
                    throw new IllegalArgumentException(op + " from lsn=" + fromLsn + ": not a record boundary (the lsn "
                            + "word there holds " + word + "; head=" + h + " durable=" + d + ")");
                }
                throw new IllegalStateException("record at lsn=" + pos + " was overwritten during the read: it was "
                        + "reclaimed meanwhile (head=" + ring.head.lv() + ")");
            }
            first = false;
            int len = seg.get(U32, LogRecordDescriptor.lengthOffset(rec));
            short type = seg.get(U16, LogRecordDescriptor.typeOffset(rec));
            if (type == PADDING_TYPE) {
                pos += HEADER_LENGTH + (len & 0xFFFF_FFFFL);
                continue;
            }
            delivered++;
            boolean more = handler.onRecord(pos, type, ring.readView, LogRecordDescriptor.payloadOffset(rec), len);
            pos += LogRecordDescriptor.recordLength(len);
            if (!more) {
                break;
            }
        }
        return ring.normalize(pos);
    }
}
