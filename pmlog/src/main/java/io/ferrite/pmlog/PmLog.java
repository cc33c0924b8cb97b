package io.ferrite.pmlog;

import io.ferrite.media.Media;
import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * A durable, group-committed, append-only log in a ring of persistent memory (DESIGN.md §6;
 * format in {@link LogHeaderDescriptor} and {@link LogRecordDescriptor}; docs/pmlog.md).
 *
 * <p>This class is the facade: it creates, opens and closes a log and hands each job to its own
 * class — the header to {@link LogFormat}, tail recovery to {@link LogTailScanner}, appending,
 * group commit and reclaim to {@link LogAppender}, reading to {@link LogReader}.
 *
 * <p><b>Appending.</b> An appender reserves space with a CAS on the tail, copies the payload,
 * writes the header and release-stores the record's LSN word last; {@link #append} then waits for
 * durability by group commit: one leader at a time flushes the completed prefix and fences once
 * for the whole group, publishes {@link #durableLsn()} and wakes the waiters.
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

    private final LogRing ring;
    private final LogAppender appender;
    private final LogReader reader;
    /** Null unless the log is a mirror. */
    private final MirrorAppender mirror;
    private final boolean ownsMedia;
    private final long epoch;
    private final RecoveryInfo recoveryInfo;

    /**
     * @param epoch      a primary's run epoch; a mirror's header epoch (the highest mirrored)
     * @param floorEpoch the least epoch the next record may carry (a primary: its epoch; a mirror: its last record's)
     */
    private PmLog(Media media, boolean ownsMedia, long regionOffset, LogHeader h, long epoch, long floorEpoch,
                  RecoveryInfo info, PmLogOptions options) {
        this.ring = new LogRing(media, regionOffset, h, info.tailLsn(), floorEpoch);
        this.appender = new LogAppender(ring, epoch, h.activeSlot(), options);
        this.reader = new LogReader(ring);
        this.mirror = h.mirror() ? new MirrorAppender(ring, epoch, options) : null;
        this.ownsMedia = ownsMedia;
        this.epoch = epoch;
        this.recoveryInfo = info;
    }

    // ------------------------------------------------------------------ create / open

    /** Bytes a log region with a ring of {@code capacity} bytes occupies (header + ring). */
    public static long regionLength(long capacity) {
        return LogHeaderDescriptor.regionLength(capacity);
    }

    /** Creates a standalone log file holding a ring of {@code capacity} bytes. */
    public static PmLog create(Path path, long capacity, PmLogOptions options) {
        PmLogOptions o = options.copy().conclude();
        LogFormat.checkCapacity(capacity);
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
     * Creates a standalone <b>mirror</b> log file: a log that stores another log's records verbatim
     * ({@link #appendMirrored}), starting at {@code startLsn} (a record boundary of the primary, where
     * the records it will receive start). {@code capacity} must be the primary's: LSNs and wrap
     * points then coincide. The largest record is the largest the capacity allows, whatever the
     * options say, so that any record the primary accepted fits.
     */
    public static PmLog createMirror(Path path, long capacity, long startLsn, PmLogOptions options) {
        PmLogOptions o = options.copy().conclude();
        LogFormat.checkCapacity(capacity);
        Media m = Media.create(path, regionLength(capacity), o.mediaOptions());
        try {
            return format(m, 0, m.size(), o, true, startLsn, LogHeaderDescriptor.FLAG_MIRROR);
        } catch (RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    /** As {@link #createMirror}, in a region of media the caller owns (a replica's pool). */
    public static PmLog formatMirror(Media media, long regionOffset, long regionLength, long startLsn,
                                     PmLogOptions options) {
        return format(media, regionOffset, regionLength, options.copy().conclude(), false, startLsn,
                LogHeaderDescriptor.FLAG_MIRROR);
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
        LogHeader h = LogFormat.readHeader(media, regionOffset, regionLength);
        return recover(media.segment(), regionOffset, h, handler);
    }

    private static PmLog format(Media media, long regionOffset, long regionLength, PmLogOptions o, boolean owns) {
        return format(media, regionOffset, regionLength, o, owns, 0L, 0);
    }

    private static PmLog format(Media media, long regionOffset, long regionLength, PmLogOptions o, boolean owns,
                                long startLsn, int flags) {
        LogHeader h = LogFormat.format(media, regionOffset, regionLength, o, startLsn, flags);
        RecoveryInfo info = new RecoveryInfo(startLsn, startLsn, 0, 0, 0, 1, "formatted");
        PmLog log = new PmLog(media, owns, regionOffset, h, 1L, 1L, info, o);
        LOG.log(Level.DEBUG, () -> "formatted log " + log.describe());
        return log;
    }

    private static PmLog open(Media media, long regionOffset, long regionLength, PmLogOptions o, boolean owns) {
        if (media.readOnly()) {
            throw new IllegalArgumentException(LogFormat.where(media, regionOffset)
                    + " is mapped read-only: opening a log writes its epoch; use PmLog.inspect to check it");
        }
        LogHeader h = LogFormat.readHeader(media, regionOffset, regionLength);
        if (h.mirror()) {
            return openMirror(media, regionOffset, h, o, owns);
        }
        if (h.epoch() >= LogFormat.MAX_EPOCH) {
            throw new LogCorruptedException(LogFormat.where(media, regionOffset) + ": epoch " + h.epoch()
                    + " at offset " + (regionOffset + LogHeaderDescriptor.EPOCH_OFFSET) + " cannot be incremented (limit "
                    + LogFormat.MAX_EPOCH + ")", LogFormat.verifyHint(media));
        }
        LogTailScanner.TailScan scanned = new LogTailScanner(media.segment(), regionOffset, h).scan(null);
        long epoch = h.epoch() + 1;
        // The new epoch is durable before any record of this run can be.
        LogFormat.writeEpoch(media, regionOffset, epoch);
        return opened(new PmLog(media, owns, regionOffset, h, epoch, epoch, info(scanned, epoch), o));
    }

    /**
     * A mirror's open writes nothing: its epoch word already bounds every record it holds, and its
     * next record is its primary's, with the primary's epoch. Appends continue at the recovered tail.
     */
    private static PmLog openMirror(Media media, long regionOffset, LogHeader h, PmLogOptions o, boolean owns) {
        LogTailScanner.TailScan scanned = new LogTailScanner(media.segment(), regionOffset, h).scan(null);
        return opened(new PmLog(media, owns, regionOffset, h, h.epoch(), scanned.lastEpoch(), info(scanned, h.epoch()), o));
    }

    private static RecoveryInfo info(LogTailScanner.TailScan t, long epoch) {
        return new RecoveryInfo(t.headLsn(), t.endLsn(), t.records(), t.payloadBytes(), t.ignoredBytes(), epoch,
                t.reason());
    }

    private static PmLog opened(PmLog log) {
        RecoveryInfo info = log.recoveryInfo;
        // A dropped tail is worth a line for an operator; crash images in memory (tests) are not.
        Level level = info.droppedTail() && log.media().path() != null ? Level.INFO : Level.DEBUG;
        LOG.log(level, () -> "opened log " + log.describe() + "; recovery: " + info);
        return log;
    }

    /**
     * Tail recovery: the chain from the head as {@link LogTailScanner} accepts it (the one rule, shared
     * with the {@code ferrite} tool), delivering user records to {@code handler}. Bounded by capacity.
     */
    private static RecoveryInfo recover(MemorySegment seg, long regionOffset, LogHeader h, RecordHandler handler) {
        MemorySegment view = seg.asReadOnly();
        LogTailScanner.Visitor visitor = handler == null ? null
                : e -> e.padding() || handler.onRecord(e.lsn(), e.type(), view, e.payloadOffset(), e.length());
        return info(new LogTailScanner(seg, regionOffset, h).scan(visitor), h.epoch());
    }

    // ------------------------------------------------------------------ appending

    /** Appends one record and returns its LSN once it is durable. */
    public long append(MemorySegment payload, short type) {
        long lsn = appender.appendAsync(payload, type);
        appender.awaitDurable(lsn);
        return lsn;
    }

    public long append(byte[] payload, short type) {
        long lsn = appender.appendAsync(payload, type);
        appender.awaitDurable(lsn);
        return lsn;
    }

    /** Appends one record and returns its LSN at once; {@link #awaitDurable(long)} waits for it. */
    public long appendAsync(MemorySegment payload, short type) {
        return appender.appendAsync(payload, type);
    }

    /** As {@link #appendAsync(MemorySegment, short)}, from an array. */
    public long appendAsync(byte[] payload, short type) {
        return appender.appendAsync(payload, type);
    }

    /**
     * Appends a record of {@code length} payload bytes written in place by {@code writer} (zero
     * copy), and returns its LSN once durable. A writer object reused across calls keeps the path
     * allocation-free (a capturing lambda allocates).
     */
    public long append(int length, short type, PayloadWriter writer) {
        long lsn = appender.appendAsync(length, type, writer);
        appender.awaitDurable(lsn);
        return lsn;
    }

    /** As {@link #append(int, short, PayloadWriter)}, returning at once; {@link #awaitDurable(long)} waits. */
    public long appendAsync(int length, short type, PayloadWriter writer) {
        return appender.appendAsync(length, type, writer);
    }

    /** Returns once the record at {@code lsn} (and every record before it) is durable. */
    public void awaitDurable(long lsn) {
        appender.awaitDurable(lsn);
    }

    /**
     * Mirrors one record: {@code frame[offset, offset+length)} is the record's header and payload as
     * its primary framed them (a padding record: its header alone; what {@link LogReader#pollFrames}
     * delivers). The record is checked (LSN continuity, length, epoch order, ring fit, CRC32C; a
     * {@link MirrorFrameException} names the LSN when it is refused, and nothing is written), then
     * persisted at its LSN; returns the LSN expected next, once the record is durable. Only on a
     * mirror ({@link #createMirror}); one stream of frames at a time.
     */
    public long appendMirrored(MemorySegment frame, long offset, long length) {
        if (mirror == null) {
            throw new IllegalStateException(ring.where() + " is not a mirror: appendMirrored takes records into a log"
                    + " made by createMirror/formatMirror");
        }
        return mirror.append(frame, offset, length);
    }

    /** True when this log is a mirror of another log's records ({@link #createMirror}). */
    public boolean isMirror() {
        return mirror != null;
    }

    // ------------------------------------------------------------------ reading and reclaiming

    /** Delivers durable records from {@code fromLsn} (a record boundary ≥ head); returns the LSN after the last delivered. */
    public long read(long fromLsn, RecordHandler handler) {
        return reader.read(fromLsn, handler);
    }

    /** The reader of this log (shared, thread-safe). */
    public LogReader reader() {
        return reader;
    }

    /** Frees the space of every record before {@code upToLsn} (a record boundary ≤ durable). */
    public void reclaim(long upToLsn) {
        ring.checkOpen();
        appender.reclaim(upToLsn);
    }

    // ------------------------------------------------------------------ state

    /** Every record that starts below this LSN is durable. */
    public long durableLsn() {
        return ring.durable.lv();
    }

    /** The oldest retained LSN. */
    public long headLsn() {
        return ring.head.lv();
    }

    /** The LSN the next appended record will get (if it fits before the ring end). */
    public long tailLsn() {
        return ring.normalize(ring.tail.lv());
    }

    /** Ring bytes. */
    public long capacity() {
        return ring.capacity;
    }

    /** Largest payload an append accepts (from the header). */
    public int maxRecordSize() {
        return ring.maxRecordSize;
    }

    /** The epoch of this run: every record appended now carries it. A mirror's: the highest epoch it holds a record of. */
    public long epoch() {
        return mirror == null ? epoch : mirror.headerEpoch();
    }

    /** What tail recovery found when this log was opened (all zero for a freshly formatted log). */
    public RecoveryInfo recoveryInfo() {
        return recoveryInfo;
    }

    /** Offset of the log region in {@link #media()}. */
    public long regionOffset() {
        return ring.regionOffset;
    }

    /** Bytes of the log region (header + ring). */
    public long regionLength() {
        return regionLength(ring.capacity);
    }

    /** One line: where the log is, its size and the media's backend. */
    public String describe() {
        return String.format("%s: capacity=%d maxRecordSize=%d epoch=%d head=%d durable=%d tail=%d; %s",
                ring.where() + (mirror == null ? "" : " (mirror)"), ring.capacity, ring.maxRecordSize, epoch(), headLsn(), durableLsn(), tailLsn(),
                ring.media.describe());
    }

    public Media media() {
        return ring.media;
    }

    /**
     * Makes every completed record durable, then (for a standalone log) unmaps the file. Appends
     * must have returned before close is called.
     */
    @Override
    public void close() {
        if (!ring.closed.compareAndSet(false, true)) {
            return;
        }
        try {
            appender.closeCommit();
        } finally {
            if (ownsMedia) {
                ring.media.close();
            }
        }
    }
}
