package io.ferrite.pmlog;

import static io.ferrite.pmlog.LogHeaderDescriptor.EPOCH_OFFSET;
import static io.ferrite.pmlog.LogRecordDescriptor.HEADER_LENGTH;
import static io.ferrite.pmlog.LogRecordDescriptor.PADDING_TYPE;

import io.ferrite.media.Media;
import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;

/**
 * A durable, group-committed, append-only log in a ring of persistent memory (DESIGN.md §6;
 * format in {@link LogHeaderDescriptor} and {@link LogRecordDescriptor}; docs/pmlog.md).
 *
 * <p><b>Appending.</b> An appender reserves space with a CAS on the tail (no lock, no
 * allocation), copies the payload, writes the header and release-stores the record's LSN word
 * last, then marks the record complete in a DRAM completion bitmap. {@link #append} then waits
 * for durability by group commit: one thread at a time becomes the leader, walks the completed
 * prefix from the durable point, flushes it with one {@code flush} (two if it wraps) and one
 * {@code fence}, publishes {@link #durableLsn()} and wakes the waiters. Others spin briefly, then
 * park.
 *
 * <p><b>Epochs.</b> Every open increments and persists the header's epoch before any append;
 * records carry the epoch of the run that wrote them; recovery accepts a chain only while epochs
 * do not decrease, which refuses stale records left beyond a torn one by an earlier run. The rule
 * lives in {@link LogTailScanner}, which the {@code ferrite} tool scans with too.
 *
 * <p><b>Threading.</b> {@code append}, {@code appendAsync}, {@code awaitDurable}, {@code read},
 * {@code reclaim} and the getters may be called from any number of threads. {@link #close()} must
 * not race with appends. Readers must not read what another thread reclaims meanwhile.
 */
public final class PmLog implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.ferrite.pmlog");
    private static final ValueLayout.OfLong U64 = LogRecordDescriptor.U64;
    private static final ValueLayout.OfInt U32 = LogRecordDescriptor.U32;
    private static final ValueLayout.OfShort U16 = LogRecordDescriptor.U16;
    private static final VarHandle LSN_WORD = LogRecordDescriptor.LSN_WORD;
    private static final VarHandle BITS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle WAITERS = MethodHandles.arrayElementVarHandle(Thread[].class);
    private static final VarHandle BYTES_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    /** Ring views for CRC32C are direct ByteBuffers, which hold at most 2 GiB each. */
    private static final long VIEW_CHUNK = 1L << 30;
    private static final int WAITER_SLOTS = 64;
    private static final long PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long PURE_SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(1);
    private static final long IN_FLIGHT_WAIT_NANOS = TimeUnit.MICROSECONDS.toNanos(5);
    private static final long SHORT_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    private static final long MAX_EPOCH = 0xFFFF_FFFFL;

    private final Media media;
    private final boolean ownsMedia;
    private final long regionOffset;
    private final long ringBase;
    private final long capacity;
    private final int maxRecordSize;
    private final long epoch;
    private final MemorySegment seg;
    private final MemorySegment readView;
    private final PmLogOptions options;
    private final RecoveryInfo recoveryInfo;
    private final ByteBuffer[] ringViews;
    private final ThreadLocal<Crc> crcs;

    /** Next LSN to reserve (not normalized: may sit in the implicit-skip bytes before the ring end). */
    private final PaddedLong tail;
    /** Every record starting below this is durable (normalized). */
    private final PaddedLong durable;
    /** Oldest retained LSN (normalized); only {@link #reclaim} moves it, after persisting it. */
    private final PaddedLong head;
    /** 1 while a thread is the group-commit leader. */
    private final PaddedLong leader = new PaddedLong(0);
    /** One bit per 8 ring bytes: set (release) when the record starting there is complete; cleared by the leader. */
    private final long[] completed;
    private final Thread[] waiters = new Thread[WAITER_SLOTS];
    /** Threads inside {@link #park}: the leader skips the waiter scan when there are none. */
    private final java.util.concurrent.atomic.AtomicInteger parked = new java.util.concurrent.atomic.AtomicInteger();
    private final Object reclaimLock = new Object();
    private int activeSlot;
    /** Written and read only by the leader (ordered by the leader flag): did appends arrive during the last flush? */
    private boolean groupContended;
    private final AtomicBoolean closed = new AtomicBoolean();

    private PmLog(Media media, boolean ownsMedia, long regionOffset, LogHeader h, long epoch, RecoveryInfo info,
                  PmLogOptions options) {
        this.media = media;
        this.ownsMedia = ownsMedia;
        this.regionOffset = regionOffset;
        this.ringBase = LogHeaderDescriptor.ringOffset(regionOffset);
        this.capacity = h.capacity();
        this.maxRecordSize = h.maxRecordSize();
        this.epoch = epoch;
        this.seg = media.segment();
        this.readView = seg.asReadOnly();
        this.options = options;
        this.recoveryInfo = info;
        this.activeSlot = h.activeSlot();
        this.tail = new PaddedLong(info.tailLsn());
        this.durable = new PaddedLong(info.tailLsn());
        this.head = new PaddedLong(h.headLsn());
        this.completed = new long[(int) ((capacity / 8 + 63) / 64)];
        int chunks = (int) ((capacity + VIEW_CHUNK - 1) / VIEW_CHUNK);
        this.ringViews = new ByteBuffer[chunks];
        for (int i = 0; i < chunks; i++) {
            long off = i * VIEW_CHUNK;
            ringViews[i] = seg.asSlice(ringBase + off, Math.min(VIEW_CHUNK, capacity - off)).asByteBuffer();
        }
        this.crcs = ThreadLocal.withInitial(() -> new Crc(ringViews));
    }

    // ------------------------------------------------------------------ create / open

    /** Bytes a log region with a ring of {@code capacity} bytes occupies (header + ring). */
    public static long regionLength(long capacity) {
        return LogHeaderDescriptor.regionLength(capacity);
    }

    /** Creates a standalone log file holding a ring of {@code capacity} bytes. */
    public static PmLog create(Path path, long capacity, PmLogOptions options) {
        PmLogOptions o = options.copy().conclude();
        checkCapacity(capacity);
        Media m = Media.create(path, regionLength(capacity), o.mediaOptions());
        try {
            return format(m, 0, m.size(), o, true);
        } catch (RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    /** Opens a standalone log file, recovering its tail. */
    public static PmLog open(Path path, PmLogOptions options) {
        PmLogOptions o = options.copy().conclude();
        Media m = Media.open(path, o.mediaOptions());
        try {
            return open(m, 0, m.size(), o, true);
        } catch (RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    /** Formats a fresh log in {@code media[regionOffset, regionOffset+regionLength)}; the caller owns the media. */
    public static PmLog format(Media media, long regionOffset, long regionLength, PmLogOptions options) {
        return format(media, regionOffset, regionLength, options.copy().conclude(), false);
    }

    /** Opens (and tail-recovers) the log in a region of media; the caller owns the media. */
    public static PmLog open(Media media, long regionOffset, long regionLength, PmLogOptions options) {
        return open(media, regionOffset, regionLength, options.copy().conclude(), false);
    }

    /**
     * Checks the log in a region without changing a byte (works on read-only media): validates the
     * header (throwing {@link LogFormatException} / {@link LogCorruptedException} as an open would)
     * and scans the tail as recovery would. The result's epoch is the header's, not incremented.
     */
    public static RecoveryInfo inspect(Media media, long regionOffset, long regionLength) {
        return inspect(media, regionOffset, regionLength, null);
    }

    /**
     * As {@link #inspect(Media, long, long)}, delivering every record recovery would keep, in LSN
     * order, to {@code handler} (for dump tools; the segment is a read-only view valid during the
     * call). If the handler returns false the scan stops there and the result says so.
     */
    public static RecoveryInfo inspect(Media media, long regionOffset, long regionLength, RecordHandler handler) {
        LogHeader h = readHeader(media, regionOffset, regionLength);
        return recover(media.segment(), regionOffset, h, handler);
    }

    private static PmLog format(Media media, long regionOffset, long regionLength, PmLogOptions o, boolean owns) {
        checkRegionBounds(media, regionOffset, regionLength);
        if (media.readOnly()) {
            throw new IllegalArgumentException(where(media, regionOffset) + " is mapped read-only: cannot format a log");
        }
        long capacity = regionLength - LogHeaderDescriptor.HEADER_LENGTH;
        checkCapacity(capacity);
        long limit = maxRecordSizeFor(capacity);
        int maxRecord;
        if (o.maxRecordSizeExplicit()) {
            if (o.maxRecordSize() > limit) {
                throw new IllegalArgumentException("maxRecordSize=" + o.maxRecordSize() + " is too large for capacity="
                        + capacity + ": a record may take at most half the ring, so maxRecordSize <= " + limit);
            }
            maxRecord = o.maxRecordSize();
        } else {
            maxRecord = (int) Math.min(o.maxRecordSize(), limit);
        }
        MemorySegment seg = media.segment();
        long ringBase = LogHeaderDescriptor.ringOffset(regionOffset);
        // 1. A zeroed ring (old records of an earlier log must not look valid), with a first lsn
        //    word that can never match; persisted before the header makes the region a log.
        seg.asSlice(regionOffset, regionLength).fill((byte) 0);
        seg.set(U64, LogRecordDescriptor.lsnOffset(ringBase), -1L);
        media.persist(regionOffset, regionLength);
        // 2. Header: everything but the magic, persisted; then the magic, persisted.
        byte[] stat = staticPart(capacity, maxRecord);
        MemorySegment.copy(stat, 8, seg, ValueLayout.JAVA_BYTE, regionOffset + 8, stat.length - 8);
        seg.set(U32, regionOffset + LogHeaderDescriptor.STATIC_CRC_OFFSET, crc32c(stat, 0, stat.length));
        seg.set(U64, regionOffset + EPOCH_OFFSET, 1L);
        for (int i = 0; i < LogHeaderDescriptor.HEAD_SLOT_COUNT; i++) {
            writeSlot(seg, regionOffset + LogHeaderDescriptor.headSlotOffset(i), 0L, 1L);
        }
        media.persist(regionOffset, LogHeaderDescriptor.HEADER_LENGTH);
        seg.set(U64, regionOffset + LogHeaderDescriptor.MAGIC_OFFSET, LogHeaderDescriptor.MAGIC);
        media.persist(regionOffset, 8);
        LogHeader h = new LogHeader(capacity, maxRecord, 1L, 0L, 1L, 0, java.util.List.of());
        RecoveryInfo info = new RecoveryInfo(0, 0, 0, 0, 0, 1, "formatted");
        PmLog log = new PmLog(media, owns, regionOffset, h, 1L, info, o);
        LOG.log(Level.DEBUG, () -> "formatted log " + log.describe());
        return log;
    }

    private static PmLog open(Media media, long regionOffset, long regionLength, PmLogOptions o, boolean owns) {
        if (media.readOnly()) {
            throw new IllegalArgumentException(where(media, regionOffset)
                    + " is mapped read-only: opening a log writes its epoch; use PmLog.inspect to check it");
        }
        LogHeader h = readHeader(media, regionOffset, regionLength);
        if (h.epoch() >= MAX_EPOCH) {
            throw new LogCorruptedException(where(media, regionOffset) + ": epoch " + h.epoch() + " at offset "
                    + (regionOffset + EPOCH_OFFSET) + " cannot be incremented (limit " + MAX_EPOCH + ")",
                    verifyHint(media));
        }
        MemorySegment seg = media.segment();
        RecoveryInfo scanned = recover(seg, regionOffset, h, null);
        long epoch = h.epoch() + 1;
        // The new epoch is durable before any record of this run can be.
        seg.set(U64, regionOffset + EPOCH_OFFSET, epoch);
        media.persist(regionOffset + EPOCH_OFFSET, 8);
        RecoveryInfo info = new RecoveryInfo(scanned.headLsn(), scanned.tailLsn(), scanned.records(),
                scanned.payloadBytes(), scanned.bytesIgnored(), epoch, scanned.stopReason());
        PmLog log = new PmLog(media, owns, regionOffset, h, epoch, info, o);
        // A dropped tail is worth a line for an operator; crash images in memory (tests) are not.
        Level level = info.droppedTail() && media.path() != null ? Level.INFO : Level.DEBUG;
        LOG.log(level, () -> "opened log " + log.describe() + "; recovery: " + info);
        return log;
    }

    // ------------------------------------------------------------------ appending

    /** Appends one record and returns its LSN once it is durable. */
    public long append(MemorySegment payload, short type) {
        long lsn = appendAsync(payload, type);
        awaitDurable(lsn);
        return lsn;
    }

    public long append(byte[] payload, short type) {
        long lsn = appendAsync(payload, type);
        awaitDurable(lsn);
        return lsn;
    }

    /** Appends one record and returns its LSN at once; {@link #awaitDurable(long)} waits for it. */
    public long appendAsync(MemorySegment payload, short type) {
        long len = payload.byteSize();
        long lsn = reserveRecord(len, type);
        long rec = ringBase + ringPos(lsn);
        try {
            MemorySegment.copy(payload, 0, seg, LogRecordDescriptor.payloadOffset(rec), len);
            complete(rec, lsn, type, (int) len);
        } catch (RuntimeException | Error e) {
            abandon(rec, lsn, LogRecordDescriptor.recordLength(len));
            throw e;
        }
        return lsn;
    }

    /** As {@link #appendAsync(MemorySegment, short)}, from an array. */
    public long appendAsync(byte[] payload, short type) {
        int len = payload.length;
        long lsn = reserveRecord(len, type);
        long rec = ringBase + ringPos(lsn);
        try {
            MemorySegment.copy(payload, 0, seg, ValueLayout.JAVA_BYTE, LogRecordDescriptor.payloadOffset(rec), len);
            complete(rec, lsn, type, len);
        } catch (RuntimeException | Error e) {
            abandon(rec, lsn, LogRecordDescriptor.recordLength(len));
            throw e;
        }
        return lsn;
    }

    /**
     * Appends a record of {@code length} payload bytes written in place by {@code writer} (zero
     * copy), and returns its LSN once durable. A writer object reused across calls keeps the path
     * allocation-free (a capturing lambda allocates).
     */
    public long append(int length, short type, PayloadWriter writer) {
        long lsn = appendAsync(length, type, writer);
        awaitDurable(lsn);
        return lsn;
    }

    /** As {@link #append(int, short, PayloadWriter)}, returning at once; {@link #awaitDurable(long)} waits. */
    public long appendAsync(int length, short type, PayloadWriter writer) {
        if (length < 0) {
            throw new IllegalArgumentException("length=" + length + " must not be negative");
        }
        long lsn = reserveRecord(length, type);
        long rec = ringBase + ringPos(lsn);
        try {
            writer.reserved(lsn);
            writer.write(seg, LogRecordDescriptor.payloadOffset(rec), length);
            complete(rec, lsn, type, length);
        } catch (RuntimeException | Error e) {
            abandon(rec, lsn, LogRecordDescriptor.recordLength(length));
            throw e;
        }
        return lsn;
    }

    /** Returns once the record at {@code lsn} (and every record before it) is durable. */
    public void awaitDurable(long lsn) {
        if (durable.lv() > lsn) {
            return;
        }
        if (lsn >= tail.lv()) {
            throw new IllegalArgumentException("awaitDurable(lsn=" + lsn + "): no record there yet (tail="
                    + tail.lv() + " durable=" + durable.lv() + ")");
        }
        long spinUntil = 0;
        long spinStart = 0;
        for (;;) {
            if (leader.lv() == 0) {
                commit();
            }
            if (durable.lv() > lsn) {
                return;
            }
            if (closed.get()) {
                throw new IllegalStateException("log closed before lsn=" + lsn + " became durable (durable="
                        + durable.lv() + ")");
            }
            long now = System.nanoTime();
            if (spinUntil == 0) {
                spinUntil = now + options.spinNanos();
                spinStart = now;
            }
            if (now - spinUntil < 0) {
                // Pure spinning for the first microsecond (a group takes a few hundred ns), then
                // yielding, so that an oversubscribed machine runs the leader rather than us.
                if (now - spinStart < PURE_SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
                continue;
            }
            park(lsn);
        }
    }

    /** Every record that starts below this LSN is durable. */
    public long durableLsn() {
        return durable.lv();
    }

    /** The oldest retained LSN. */
    public long headLsn() {
        return head.lv();
    }

    /** The LSN the next appended record will get (if it fits before the ring end). */
    public long tailLsn() {
        return normalize(tail.lv());
    }

    /** Ring bytes. */
    public long capacity() {
        return capacity;
    }

    /** Largest payload an append accepts (from the header). */
    public int maxRecordSize() {
        return maxRecordSize;
    }

    /** The epoch of this run: every record appended now carries it. */
    public long epoch() {
        return epoch;
    }

    /** What tail recovery found when this log was opened (all zero for a freshly formatted log). */
    public RecoveryInfo recoveryInfo() {
        return recoveryInfo;
    }

    /** Offset of the log region in {@link #media()}. */
    public long regionOffset() {
        return regionOffset;
    }

    /** Bytes of the log region (header + ring). */
    public long regionLength() {
        return regionLength(capacity);
    }

    /** One line: where the log is, its size and the media's backend. */
    public String describe() {
        return String.format("%s: capacity=%d maxRecordSize=%d epoch=%d head=%d durable=%d tail=%d; %s",
                where(media, regionOffset), capacity, maxRecordSize, epoch, head.lv(), durable.lv(), tailLsn(),
                media.describe());
    }

    // ------------------------------------------------------------------ reading and reclaiming

    /** Delivers durable records from {@code fromLsn} (a record boundary ≥ head); returns the LSN after the last delivered. */
    public long read(long fromLsn, RecordHandler handler) {
        checkOpen();
        long h = head.lv();
        long d = durable.lv();
        long pos = normalize(fromLsn);
        if (pos < h) {
            throw new IllegalArgumentException("read from lsn=" + fromLsn + ": already reclaimed (head=" + h
                    + " durable=" + d + ")");
        }
        if (pos > d) {
            throw new IllegalArgumentException("read from lsn=" + fromLsn + ": beyond the durable end (head=" + h
                    + " durable=" + d + " tail=" + tailLsn() + ")");
        }
        boolean first = true;
        while (pos < d) {
            long p = ringPos(pos);
            if (LogRecordDescriptor.isImplicitSkip(p, capacity)) {
                pos += capacity - p;
                continue;
            }
            long rec = ringBase + p;
            long word = seg.get(U64, LogRecordDescriptor.lsnOffset(rec));
            if (word != pos) {
                if (first) {
                    throw new IllegalArgumentException("read from lsn=" + fromLsn + ": not a record boundary (the lsn "
                            + "word there holds " + word + "; head=" + h + " durable=" + d + ")");
                }
                throw new IllegalStateException("record at lsn=" + pos + " was overwritten during the read: it was "
                        + "reclaimed meanwhile (head=" + head.lv() + ")");
            }
            first = false;
            int len = seg.get(U32, LogRecordDescriptor.lengthOffset(rec));
            short type = seg.get(U16, LogRecordDescriptor.typeOffset(rec));
            if (type == PADDING_TYPE) {
                pos += HEADER_LENGTH + (len & 0xFFFF_FFFFL);
                continue;
            }
            boolean more = handler.onRecord(pos, type, readView, LogRecordDescriptor.payloadOffset(rec), len);
            pos += LogRecordDescriptor.recordLength(len);
            if (!more) {
                break;
            }
        }
        return normalize(pos);
    }

    /** Frees the space of every record before {@code upToLsn} (a record boundary ≤ durable). */
    public void reclaim(long upToLsn) {
        checkOpen();
        synchronized (reclaimLock) {
            long h = head.lv();
            long d = durable.lv();
            long to = normalize(upToLsn);
            if (to <= h) {
                return;
            }
            if (to > d) {
                throw new IllegalArgumentException("reclaim(upToLsn=" + upToLsn + "): beyond the durable end (head=" + h
                        + " durable=" + d + " capacity=" + capacity + ")");
            }
            long floor;
            if (to < d) {
                long rec = ringBase + ringPos(to);
                long word = seg.get(U64, LogRecordDescriptor.lsnOffset(rec));
                if (word != to) {
                    throw new IllegalArgumentException("reclaim(upToLsn=" + upToLsn + "): not a record boundary (the lsn "
                            + "word there holds " + word + "; head=" + h + " durable=" + d + ")");
                }
                floor = seg.get(U32, LogRecordDescriptor.epochOffset(rec)) & 0xFFFF_FFFFL;
            } else {
                floor = epoch;
            }
            int slot = 1 - activeSlot;
            long slotOff = regionOffset + LogHeaderDescriptor.headSlotOffset(slot);
            writeSlot(seg, slotOff, to, floor);
            media.persist(slotOff, LogHeaderDescriptor.SLOT_LENGTH);
            activeSlot = slot;
            head.sv(to);
        }
    }

    public Media media() {
        return media;
    }

    /**
     * Makes every completed record durable, then (for a standalone log) unmaps the file. Appends
     * must have returned before close is called.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (!commit() && System.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
            wakeAll();
        } finally {
            if (ownsMedia) {
                media.close();
            }
        }
    }

    // ------------------------------------------------------------------ internals: the hot path

    private long reserveRecord(long len, short type) {
        checkOpen();
        if (type == PADDING_TYPE) {
            throw new IllegalArgumentException("record type 0x" + Integer.toHexString(type & 0xFFFF)
                    + " is reserved for padding");
        }
        if (len > maxRecordSize) {
            throw new RecordTooLargeException("record of " + len + " payload bytes exceeds maxRecordSize="
                    + maxRecordSize + " of this log (capacity=" + capacity + ")",
                    "split the record, or create the log with a larger maxRecordSize");
        }
        return reserve(LogRecordDescriptor.recordLength(len));
    }

    /** Reserves {@code size} bytes (and the padding before a wrap); returns the record's LSN. */
    private long reserve(long size) {
        boolean hookRan = false;
        long deadline = 0;
        for (;;) {
            long t = tail.lv();
            long rem = capacity - ringPos(t);
            long skip = rem >= size ? 0 : rem;
            long end = t + skip + size;
            if (end - head.lv() > capacity) {
                // Full. Make what is complete durable (so that it can be reclaimed), run the hook once,
                // then fail or wait.
                commit();
                if (!hookRan) {
                    hookRan = true;
                    options.onFull().run();
                    continue;
                }
                if (end - head.lv() <= capacity) {
                    continue;
                }
                long now = System.nanoTime();
                if (options.fullPolicy() == PmLogOptions.FullPolicy.FAIL
                        || (deadline != 0 && now - deadline >= 0) || options.fullWaitTimeout().isZero()) {
                    throw full(t + skip, size);
                }
                if (deadline == 0) {
                    deadline = now + options.fullWaitTimeout().toNanos();
                }
                checkOpen();
                LockSupport.parkNanos(20_000);
                continue;
            }
            if (tail.cas(t, end)) {
                if (skip >= HEADER_LENGTH) {
                    writePadding(ringBase + ringPos(t), t, skip);
                }
                return t + skip;
            }
        }
    }

    private LogFullException full(long lsn, long size) {
        return new LogFullException(String.format("log full: lsn=%d head=%d durable=%d capacity=%d size=%d"
                        + " (retained %d bytes; policy %s, waited up to %d ms)", lsn, head.lv(), durable.lv(), capacity,
                size, tail.lv() - head.lv(), options.fullPolicy(),
                options.fullPolicy() == PmLogOptions.FullPolicy.FAIL ? 0 : options.fullWaitTimeout().toMillis()),
                "reclaim log space (checkpoint) sooner, or create the log with a larger capacity");
    }

    /** Header fields, then the lsn word with release semantics, then the completion bit. */
    private void complete(long rec, long lsn, short type, int len) {
        long tfe = LogRecordDescriptor.packTypeFlagsEpoch(type, (short) 0, epoch);
        int crc = crcs.get().record(lsn, tfe, rec - ringBase + HEADER_LENGTH, len);
        seg.set(U64, LogRecordDescriptor.lengthOffset(rec), LogRecordDescriptor.packLengthCrc(len, crc));
        seg.set(U64, LogRecordDescriptor.typeOffset(rec), tfe);
        LSN_WORD.setRelease(seg, LogRecordDescriptor.lsnOffset(rec), lsn);
        markComplete(rec - ringBase);
    }

    /** A padding record over {@code [lsn, lsn+bytes)}: never delivered; its CRC covers its header only. */
    private void writePadding(long rec, long lsn, long bytes) {
        int len = (int) (bytes - HEADER_LENGTH);
        long tfe = LogRecordDescriptor.packTypeFlagsEpoch(PADDING_TYPE, (short) 0, epoch);
        int crc = crcs.get().record(lsn, tfe, 0, 0);
        seg.set(U64, LogRecordDescriptor.lengthOffset(rec), LogRecordDescriptor.packLengthCrc(len, crc));
        seg.set(U64, LogRecordDescriptor.typeOffset(rec), tfe);
        LSN_WORD.setRelease(seg, LogRecordDescriptor.lsnOffset(rec), lsn);
        markComplete(rec - ringBase);
    }

    /** A reservation whose copy failed becomes padding, so that the log does not stall behind it. */
    private void abandon(long rec, long lsn, long size) {
        try {
            writePadding(rec, lsn, size);
        } catch (RuntimeException | Error ignored) {
            // the media is gone (closed); nothing more can be done
        }
    }

    private void markComplete(long ringPos) {
        long bit = ringPos >>> 3;
        BITS.getAndBitwiseOrRelease(completed, (int) (bit >>> 6), 1L << bit);
    }

    private boolean isComplete(long ringPos) {
        long bit = ringPos >>> 3;
        return ((long) BITS.getAcquire(completed, (int) (bit >>> 6)) & (1L << bit)) != 0;
    }

    private void clearComplete(long ringPos) {
        long bit = ringPos >>> 3;
        BITS.getAndBitwiseAnd(completed, (int) (bit >>> 6), ~(1L << bit));
    }

    /**
     * Group commit: if no one leads, lead: take the completed prefix from the durable point (waiting
     * a moment for records already reserved but still being written, and, when the previous group
     * saw appenders arrive during its flush, for one more arrival), flush it, fence once, publish the
     * new durable point, wake waiters. Returns false if another thread leads.
     */
    private boolean commit() {
        if (!leader.cas(0, 1)) {
            return false;
        }
        boolean advanced = false;
        try {
            long d = durable.lv();
            long pos = d;
            long flushFrom = d;
            long inFlightDeadline = 0;
            boolean anticipate = groupContended;
            for (;;) {
                long limit = tail.lv();
                while (pos < limit) {
                    long p = ringPos(pos);
                    if (LogRecordDescriptor.isImplicitSkip(p, capacity)) {
                        pos += capacity - p;
                        continue;
                    }
                    if (!isComplete(p)) {
                        // Reserved, still being written (a copy takes tens of ns): wait briefly so
                        // that it joins this group rather than costing a fence of its own.
                        long now = System.nanoTime();
                        if (inFlightDeadline == 0) {
                            inFlightDeadline = now + IN_FLIGHT_WAIT_NANOS;
                        }
                        if (now - inFlightDeadline < 0) {
                            Thread.onSpinWait();
                            continue;
                        }
                        break;
                    }
                    clearComplete(p);
                    long rec = ringBase + p;
                    long len = seg.get(U32, LogRecordDescriptor.lengthOffset(rec)) & 0xFFFF_FFFFL;
                    if (seg.get(U16, LogRecordDescriptor.typeOffset(rec)) == PADDING_TYPE) {
                        // Only the padding's header needs to reach media; its body is never read.
                        flushRange(flushFrom, pos + HEADER_LENGTH);
                        pos += HEADER_LENGTH + len;
                        flushFrom = pos;
                    } else {
                        pos += LogRecordDescriptor.recordLength(len);
                    }
                }
                if (pos < limit || !anticipate) {
                    break;
                }
                // Others appended while the previous group was flushed: one of them is probably
                // about to reserve. Give it a moment to join (PostgreSQL's commit_delay, adaptive).
                anticipate = false;
                long until = System.nanoTime() + options.groupWaitNanos();
                while (tail.lv() == limit && System.nanoTime() - until < 0) {
                    Thread.onSpinWait();
                }
                if (tail.lv() == limit) {
                    break;
                }
            }
            if (pos != d) {
                flushRange(flushFrom, pos);
                media.fence();
                durable.sv(normalize(pos));
                advanced = true;
            }
            groupContended = tail.lv() > pos;
        } finally {
            leader.so(0);
        }
        if (advanced) {
            wakeAll();
        }
        return true;
    }

    /** Flushes the ring bytes of LSNs {@code [from, to)}: one flush, two if the range wraps. */
    private void flushRange(long from, long to) {
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

    private void park(long lsn) {
        Thread me = Thread.currentThread();
        int slot = (int) ((me.threadId() * 0x9E3779B97F4A7C15L) >>> 58) & (WAITER_SLOTS - 1);
        int claimed = -1;
        parked.incrementAndGet();
        for (int i = 0; i < WAITER_SLOTS; i++) {
            int s = (slot + i) & (WAITER_SLOTS - 1);
            if (WAITERS.compareAndSet(waiters, s, (Thread) null, me)) {
                claimed = s;
                break;
            }
        }
        try {
            // Re-check after registering: a leader publishes durable, then unparks the registered
            // (an unpark before the park is not lost). With no leader, nobody will wake us: the
            // record before ours is still being written; look again soon.
            if (durable.lv() > lsn || closed.get()) {
                return;
            }
            LockSupport.parkNanos(this, claimed >= 0 && leader.lv() != 0 ? PARK_NANOS : SHORT_PARK_NANOS);
        } finally {
            if (claimed >= 0) {
                WAITERS.setRelease(waiters, claimed, (Thread) null);
            }
            parked.decrementAndGet();
        }
    }

    private void wakeAll() {
        // Waiters count themselves before re-checking durable; we publish durable before looking.
        if (parked.get() == 0) {
            return;
        }
        for (int i = 0; i < WAITER_SLOTS; i++) {
            Thread t = (Thread) WAITERS.getAcquire(waiters, i);
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    private long ringPos(long lsn) {
        return lsn % capacity;
    }

    private long normalize(long lsn) {
        return normalize(lsn, capacity);
    }

    private static long normalize(long lsn, long capacity) {
        long p = lsn % capacity;
        return LogRecordDescriptor.isImplicitSkip(p, capacity) ? lsn + (capacity - p) : lsn;
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("log is closed: " + where(media, regionOffset));
        }
    }

    // ------------------------------------------------------------------ internals: header and recovery

    static long maxRecordSizeFor(long capacity) {
        return Math.min(Integer.MAX_VALUE - 64, capacity / 2 - HEADER_LENGTH);
    }

    private static void checkCapacity(long capacity) {
        if (capacity < LogHeaderDescriptor.MIN_CAPACITY || capacity % LogHeaderDescriptor.CAPACITY_ALIGNMENT != 0) {
            throw new IllegalArgumentException("capacity=" + capacity + " must be a multiple of "
                    + LogHeaderDescriptor.CAPACITY_ALIGNMENT + " and at least " + LogHeaderDescriptor.MIN_CAPACITY);
        }
    }

    private static void checkRegionBounds(Media media, long regionOffset, long regionLength) {
        if (regionOffset < 0 || regionLength < 0 || regionOffset + regionLength > media.size()) {
            throw new IllegalArgumentException("log region offset=" + regionOffset + " length=" + regionLength
                    + " lies outside media of " + media.size() + " bytes (" + name(media) + ")");
        }
        if (regionOffset % 64 != 0) {
            throw new IllegalArgumentException("log region offset=" + regionOffset + " must be a multiple of 64 ("
                    + name(media) + ")");
        }
    }

    private static byte[] staticPart(long capacity, int maxRecordSize) {
        byte[] b = new byte[LogHeaderDescriptor.STATIC_LENGTH];
        MemorySegment s = MemorySegment.ofArray(b);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), LogHeaderDescriptor.MAGIC_OFFSET,
                LogHeaderDescriptor.MAGIC);
        s.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), LogHeaderDescriptor.VERSION_OFFSET,
                LogHeaderDescriptor.FORMAT_VERSION);
        s.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), LogHeaderDescriptor.HEADER_LENGTH_OFFSET,
                LogHeaderDescriptor.HEADER_LENGTH);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), LogHeaderDescriptor.CAPACITY_OFFSET,
                capacity);
        s.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), LogHeaderDescriptor.MAX_RECORD_SIZE_OFFSET,
                maxRecordSize);
        return b;
    }

    private static void writeSlot(MemorySegment seg, long slotOff, long lsn, long headEpoch) {
        byte[] b = new byte[LogHeaderDescriptor.SLOT_COVERED_LENGTH];
        BYTES_LE.set(b, 0, lsn);
        b[8] = (byte) headEpoch;
        b[9] = (byte) (headEpoch >>> 8);
        b[10] = (byte) (headEpoch >>> 16);
        b[11] = (byte) (headEpoch >>> 24);
        int crc = crc32c(b, 0, b.length);
        seg.set(U64, slotOff + LogHeaderDescriptor.SLOT_LSN_OFFSET, lsn);
        seg.set(U64, slotOff + LogHeaderDescriptor.SLOT_EPOCH_OFFSET, (headEpoch & 0xFFFF_FFFFL) | ((long) crc << 32));
    }

    /** Validates and reads the header ({@link LogHeader#read}); changes nothing. */
    static LogHeader readHeader(Media media, long regionOffset, long regionLength) {
        checkRegionBounds(media, regionOffset, regionLength);
        String where = where(media, regionOffset);
        String hint = verifyHint(media);
        long minRegion = LogHeaderDescriptor.HEADER_LENGTH + LogHeaderDescriptor.MIN_CAPACITY;
        MemorySegment seg = media.segment();
        if (regionLength < minRegion) {
            String what = regionLength >= 8 && seg.get(U64, regionOffset) == LogHeaderDescriptor.MAGIC
                    ? "a truncated log" : "not a Ferrite log";
            throw new LogFormatException(String.format("%s: %d bytes is too small for a log (%s): a log needs at least"
                    + " %d bytes (a %d-byte header and a ring of at least %d)", where, regionLength, what, minRegion,
                    LogHeaderDescriptor.HEADER_LENGTH, LogHeaderDescriptor.MIN_CAPACITY), hint);
        }
        long magic = seg.get(U64, regionOffset + LogHeaderDescriptor.MAGIC_OFFSET);
        if (magic != LogHeaderDescriptor.MAGIC) {
            throw new LogFormatException(String.format("%s is not a Ferrite log: magic at offset %d is '%s', expected '%s'",
                    where, regionOffset + LogHeaderDescriptor.MAGIC_OFFSET, LogHeaderDescriptor.describeMagic(magic),
                    LogHeaderDescriptor.MAGIC_TEXT), "check the path; " + hint);
        }
        int version = seg.get(U32, regionOffset + LogHeaderDescriptor.VERSION_OFFSET);
        if (version != LogHeaderDescriptor.FORMAT_VERSION) {
            throw new LogFormatException(String.format("%s: unknown log format version %d at offset %d (this build reads"
                            + " version %d)", where, version & 0xFFFF_FFFFL, regionOffset + LogHeaderDescriptor.VERSION_OFFSET,
                    LogHeaderDescriptor.FORMAT_VERSION), "open it with the Ferrite release that wrote it; " + hint);
        }
        byte[] stat = new byte[LogHeaderDescriptor.STATIC_LENGTH];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, regionOffset, stat, 0, stat.length);
        int storedCrc = seg.get(U32, regionOffset + LogHeaderDescriptor.STATIC_CRC_OFFSET);
        int crc = crc32c(stat, 0, stat.length);
        if (crc != storedCrc) {
            throw new LogCorruptedException(String.format("%s: log header checksum mismatch at offset %d: stored 0x%08x,"
                    + " computed 0x%08x over bytes %d..%d", where, regionOffset + LogHeaderDescriptor.STATIC_CRC_OFFSET,
                    storedCrc, crc, regionOffset, regionOffset + LogHeaderDescriptor.STATIC_LENGTH), hint);
        }
        int headerLength = seg.get(U32, regionOffset + LogHeaderDescriptor.HEADER_LENGTH_OFFSET);
        if (headerLength != LogHeaderDescriptor.HEADER_LENGTH) {
            throw new LogFormatException(String.format("%s: header length at offset %d is %d, expected %d", where,
                    regionOffset + LogHeaderDescriptor.HEADER_LENGTH_OFFSET, headerLength,
                    LogHeaderDescriptor.HEADER_LENGTH), hint);
        }
        long capacity = seg.get(U64, regionOffset + LogHeaderDescriptor.CAPACITY_OFFSET);
        if (capacity < LogHeaderDescriptor.MIN_CAPACITY || capacity % LogHeaderDescriptor.CAPACITY_ALIGNMENT != 0) {
            throw new LogCorruptedException(String.format("%s: capacity %d at offset %d is not a multiple of %d of at"
                    + " least %d", where, capacity, regionOffset + LogHeaderDescriptor.CAPACITY_OFFSET,
                    LogHeaderDescriptor.CAPACITY_ALIGNMENT, LogHeaderDescriptor.MIN_CAPACITY), hint);
        }
        if (regionLength(capacity) != regionLength) {
            throw new LogFormatException(String.format("%s: size does not match the header: the header at offset %d says"
                    + " capacity=%d, i.e. a region of %d bytes, but the %s is %d bytes", where,
                    regionOffset + LogHeaderDescriptor.CAPACITY_OFFSET, capacity, regionLength(capacity),
                    media.path() != null && regionOffset == 0 && regionLength == media.size() ? "file" : "region",
                    regionLength), "the file was truncated or extended; " + hint);
        }
        int maxRecord = seg.get(U32, regionOffset + LogHeaderDescriptor.MAX_RECORD_SIZE_OFFSET);
        if (maxRecord < 0 || maxRecord > maxRecordSizeFor(capacity)) {
            throw new LogCorruptedException(String.format("%s: maxRecordSize %d at offset %d is out of range for"
                    + " capacity %d (at most %d)", where, maxRecord & 0xFFFF_FFFFL,
                    regionOffset + LogHeaderDescriptor.MAX_RECORD_SIZE_OFFSET, capacity, maxRecordSizeFor(capacity)), hint);
        }
        long epoch = seg.get(U64, regionOffset + EPOCH_OFFSET);
        if (epoch < 1 || epoch > MAX_EPOCH) {
            throw new LogCorruptedException(String.format("%s: epoch %d at offset %d is out of range 1..%d", where,
                    epoch, regionOffset + EPOCH_OFFSET, MAX_EPOCH), hint);
        }
        long bestLsn = -1;
        long bestEpoch = 0;
        int best = -1;
        java.util.List<LogHeader.HeadSlot> slots = new java.util.ArrayList<>(LogHeaderDescriptor.HEAD_SLOT_COUNT);
        for (int i = 0; i < LogHeaderDescriptor.HEAD_SLOT_COUNT; i++) {
            long off = regionOffset + LogHeaderDescriptor.headSlotOffset(i);
            long lsn = seg.get(U64, off + LogHeaderDescriptor.SLOT_LSN_OFFSET);
            long ew = seg.get(U64, off + LogHeaderDescriptor.SLOT_EPOCH_OFFSET);
            byte[] b = new byte[LogHeaderDescriptor.SLOT_COVERED_LENGTH];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, b, 0, b.length);
            boolean valid = crc32c(b, 0, b.length) == (int) (ew >>> 32) && lsn >= 0 && lsn % 8 == 0
                    && (ew & 0xFFFF_FFFFL) <= epoch;
            slots.add(new LogHeader.HeadSlot(lsn, ew & 0xFFFF_FFFFL, valid));
            if (valid && lsn > bestLsn) {
                bestLsn = lsn;
                bestEpoch = ew & 0xFFFF_FFFFL;
                best = i;
            }
        }
        if (best < 0) {
            throw new LogCorruptedException(String.format("%s: no valid head slot at offsets %d and %d (both checksums"
                    + " fail): the reclaim point is unknown", where, regionOffset + LogHeaderDescriptor.HEAD_SLOT0_OFFSET,
                    regionOffset + LogHeaderDescriptor.HEAD_SLOT1_OFFSET), hint);
        }
        return new LogHeader(capacity, maxRecord, epoch, normalize(bestLsn, capacity), bestEpoch, best, slots);
    }

    /**
     * Tail recovery: the chain from the head as {@link LogTailScanner} accepts it (the one rule, shared
     * with the {@code ferrite} tool), delivering user records to {@code handler}. Bounded by capacity.
     */
    private static RecoveryInfo recover(MemorySegment seg, long regionOffset, LogHeader h, RecordHandler handler) {
        MemorySegment view = seg.asReadOnly();
        LogTailScanner.Visitor visitor = handler == null ? null
                : e -> e.padding() || handler.onRecord(e.lsn(), e.type(), view, e.payloadOffset(), e.length());
        LogTailScanner.TailScan t = new LogTailScanner(seg, regionOffset, h).scan(visitor);
        return new RecoveryInfo(t.headLsn(), t.endLsn(), t.records(), t.payloadBytes(), t.ignoredBytes(), h.epoch(),
                t.reason());
    }

    private static String name(Media media) {
        return media.path() == null ? "<memory>" : media.path().toString();
    }

    private static String where(Media media, long regionOffset) {
        return regionOffset == 0 ? name(media) : name(media) + " (log region at offset " + regionOffset + ")";
    }

    private static String verifyHint(Media media) {
        return "run `ferrite log --verify " + (media.path() == null ? "PATH" : media.path().toString()) + "`";
    }

    static int crc32c(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    /** Per-thread CRC32C state over the ring (no allocation per record). */
    private static final class Crc {
        private final CRC32C crc = new CRC32C();
        private final byte[] hdr = new byte[LogRecordDescriptor.CRC_COVERED_HEADER_LENGTH];
        private final ByteBuffer[] views;

        Crc(ByteBuffer[] ringViews) {
            views = new ByteBuffer[ringViews.length];
            for (int i = 0; i < views.length; i++) {
                views[i] = ringViews[i].duplicate();
            }
        }

        /** CRC32C over header bytes 8..24 (given as values) and the ring bytes {@code [payloadPos, +len)}. */
        int record(long lsn, long typeFlagsEpoch, long payloadPos, int len) {
            crc.reset();
            BYTES_LE.set(hdr, 0, lsn);
            BYTES_LE.set(hdr, 8, typeFlagsEpoch);
            crc.update(hdr, 0, hdr.length);
            long pos = payloadPos;
            long left = len;
            while (left > 0) {
                int chunk = (int) (pos / VIEW_CHUNK);
                int inChunk = (int) (pos % VIEW_CHUNK);
                int n = (int) Math.min(left, VIEW_CHUNK - inChunk);
                ByteBuffer v = views[chunk];
                v.limit(inChunk + n).position(inChunk);
                crc.update(v);
                pos += n;
                left -= n;
            }
            return (int) crc.getValue();
        }
    }
}
