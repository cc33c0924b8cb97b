package io.ferrite.pmlog;

import static io.ferrite.pmlog.LogRecordDescriptor.HEADER_LENGTH;
import static io.ferrite.pmlog.LogRecordType.PADDING_CODE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * The read side of an open log ({@link PmLog#reader()}): delivers durable records, in LSN order,
 * through a read-only flyweight view of the mapping valid during the callback; nothing is
 * allocated per record.
 *
 * <p><b>Tailing.</b> A shipper follows the log as it becomes durable with {@link #poll} (a bounded
 * batch from an LSN, returning where to go on) and {@link #awaitDurable(long, long, TimeUnit)}
 * (sleep until the durable LSN passes a point; woken by whoever publishes it, no spinning):
 * <pre>{@code
 * long next = log.headLsn();
 * while (running) {
 *     long after = reader.poll(next, handler, 256);
 *     if (after == next) {
 *         reader.awaitDurable(next, 1, TimeUnit.SECONDS);
 *     }
 *     next = after;
 * }
 * }</pre>
 * Waiting is passive: it does not make records durable. A record appended with {@code appendAsync}
 * becomes visible to a tailing reader when some thread's {@code awaitDurable} (or a synchronous
 * append after it, or close) commits it.
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
        return walk(fromLsn, handler, null, Long.MAX_VALUE, "read");
    }

    /**
     * Delivers at most {@code limit} durable records (padding records are skipped and not counted)
     * from {@code fromLsn}, a record boundary ≥ head and ≤ the durable LSN, and returns the LSN to
     * poll from next: the one after the last delivered record, or after the padding it skipped, or
     * {@code fromLsn} itself when nothing durable lies beyond it. Never waits and never delivers a
     * record at or above the durable LSN it read when called. The limit counts records, not bytes:
     * a shipper that batches by bytes stops early by returning false from the handler (the
     * returned LSN is then the one after that record).
     */
    public long poll(long fromLsn, RecordHandler handler, int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("poll(lsn=" + fromLsn + ", limit=" + limit + "): limit must be positive");
        }
        return walk(fromLsn, handler, null, limit, "poll");
    }

    /**
     * Waits until every record below some LSN above {@code lsn} is durable, i.e. the durable LSN is
     * above {@code lsn} (for a tailing reader: {@code lsn} is the LSN it polls from next), or the log
     * is closed, or {@code timeout} passes, or the thread is interrupted (the interrupt flag is set
     * again). Returns the durable LSN then: above {@code lsn} unless it returned for another reason.
     * The caller sleeps on a condition signalled after each publication of the durable LSN; when
     * nobody waits the commit path pays one volatile read.
     */
    public long awaitDurable(long lsn, long timeout, TimeUnit unit) {
        return ring.durableSignal.await(ring, lsn, timeout, unit);
    }

    /**
     * As {@link #poll}, but delivers every record as framed in the ring, padding records included,
     * for a shipper feeding a mirror ({@link PmLog#appendMirrored}): at most {@code limit} frames.
     */
    public long pollFrames(long fromLsn, FrameHandler handler, int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("pollFrames(lsn=" + fromLsn + ", limit=" + limit
                    + "): limit must be positive");
        }
        return walk(fromLsn, null, handler, limit, "pollFrames");
    }

    /** Every record that starts below this LSN is durable. */
    public long durableLsn() {
        return ring.durable.lv();
    }

    /** The walk over durable records: user records to {@code records}, or every frame to {@code frames}. */
    private long walk(long fromLsn, RecordHandler records, FrameHandler frames, long limit, String op) {
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
            boolean padding = type == PADDING_CODE;
            long at = pos;
            pos += padding ? HEADER_LENGTH + (len & 0xFFFF_FFFFL) : LogRecordDescriptor.recordLength(len);
            boolean more;
            if (frames != null) {
                more = frames.onFrame(at, ring.readView, rec, padding ? HEADER_LENGTH : HEADER_LENGTH + len);
            } else if (padding) {
                continue;
            } else {
                more = records.onRecord(at, type, ring.readView, LogRecordDescriptor.payloadOffset(rec), len);
            }
            delivered++;
            if (!more) {
                break;
            }
        }
        return ring.normalize(pos);
    }
}
