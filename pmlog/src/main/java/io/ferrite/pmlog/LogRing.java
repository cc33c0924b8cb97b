package io.ferrite.pmlog;

import io.ferrite.media.Media;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The state of one open log region that the appender, the reader and the mirror append share:
 * where the ring is, its capacity, and the three positions (tail, durable, head). Positions are
 * {@link PaddedLong}s, each alone on its cache lines; {@code durable} is published with a volatile
 * store by whoever made the bytes below it durable, and readers trust only what lies below it.
 */
final class LogRing {
    final Media media;
    final MemorySegment seg;
    /** A read-only view of the mapping, handed to record handlers. */
    final MemorySegment readView;
    final long regionOffset;
    final long ringBase;
    final long capacity;
    final int maxRecordSize;
    /** The ring holds another log's records verbatim ({@link LogHeaderDescriptor#FLAG_MIRROR}). */
    final boolean mirror;
    /** Next LSN to reserve (not normalized: may sit in the implicit-skip bytes before the ring end). */
    final PaddedLong tail;
    /** Every record starting below this is durable (normalized). */
    final PaddedLong durable;
    /** Oldest retained LSN (normalized); only reclaim moves it, after persisting it. */
    final PaddedLong head;
    final AtomicBoolean closed = new AtomicBoolean();
    /**
     * The least epoch the next record may carry, which a reclaim up to the tail writes as the head
     * slot's floor: a primary's run epoch (constant), or the epoch of the last record a mirror holds.
     */
    volatile long floorEpoch;
    /** Wakes threads waiting for the durable LSN to move ({@link LogReader#awaitDurable}). */
    final DurableSignal durableSignal = new DurableSignal();
    private final ThreadLocal<RingCrc> crcs;

    LogRing(Media media, long regionOffset, LogHeader h, long tailLsn, long floorEpoch) {
        this.media = media;
        this.seg = media.segment();
        this.readView = seg.asReadOnly();
        this.regionOffset = regionOffset;
        this.ringBase = LogHeaderDescriptor.ringOffset(regionOffset);
        this.capacity = h.capacity();
        this.maxRecordSize = h.maxRecordSize();
        this.mirror = h.mirror();
        this.floorEpoch = floorEpoch;
        this.tail = new PaddedLong(tailLsn);
        this.durable = new PaddedLong(tailLsn);
        this.head = new PaddedLong(h.headLsn());
        int chunks = (int) ((capacity + RingCrc.VIEW_CHUNK - 1) / RingCrc.VIEW_CHUNK);
        ByteBuffer[] views = new ByteBuffer[chunks];
        for (int i = 0; i < chunks; i++) {
            long off = i * RingCrc.VIEW_CHUNK;
            views[i] = seg.asSlice(ringBase + off, Math.min(RingCrc.VIEW_CHUNK, capacity - off)).asByteBuffer();
        }
        this.crcs = ThreadLocal.withInitial(() -> new RingCrc(views));
    }

    /** This thread's CRC32C state over the ring. */
    RingCrc crc() {
        return crcs.get();
    }

    long ringPos(long lsn) {
        return lsn % capacity;
    }

    /** The LSN moved past the implicit skip at the ring end, where no record starts. */
    long normalize(long lsn) {
        return LogFormat.normalize(lsn, capacity);
    }

    /** Flushes the ring bytes of LSNs {@code [from, to)}: one flush, two if the range wraps. */
    void flushRange(long from, long to) {
        if (to <= from) {
            return;
        }
        long p = ringPos(from);
        long n = to - from;
        if (p + n <= capacity) {
            media.flush(ringBase + p, n);
        } else {
            media.flush(ringBase + p, capacity - p);
            media.flush(ringBase, n - (capacity - p));
        }
    }

    String where() {
        return LogFormat.where(media, regionOffset);
    }

    void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("log is closed: " + where());
        }
    }
}
