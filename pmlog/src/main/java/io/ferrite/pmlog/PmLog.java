package io.ferrite.pmlog;

import io.ferrite.media.Media;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * A durable, group-committed, append-only log in a ring of persistent memory (DESIGN.md §6).
 * SKELETON: the API contract; the implementation lands with issue 2.
 */
public final class PmLog implements AutoCloseable {

    /** Creates a standalone log file holding a ring of {@code capacity} bytes. */
    public static PmLog create(Path path, long capacity, PmLogOptions options) {
        throw new UnsupportedOperationException("pmlog: not built yet");
    }

    /** Opens a standalone log file, recovering its tail. */
    public static PmLog open(Path path, PmLogOptions options) {
        throw new UnsupportedOperationException("pmlog: not built yet");
    }

    /** Formats a fresh log in {@code media[regionOffset, regionOffset+regionLength)}; the caller owns the media. */
    public static PmLog format(Media media, long regionOffset, long regionLength, PmLogOptions options) {
        throw new UnsupportedOperationException("pmlog: not built yet");
    }

    /** Opens (and tail-recovers) the log in a region of media; the caller owns the media. */
    public static PmLog open(Media media, long regionOffset, long regionLength, PmLogOptions options) {
        throw new UnsupportedOperationException("pmlog: not built yet");
    }

    /** Appends one record and returns its LSN once it is durable. */
    public long append(MemorySegment payload, short type) {
        throw new UnsupportedOperationException();
    }

    public long append(byte[] payload, short type) {
        throw new UnsupportedOperationException();
    }

    /** Appends one record and returns its LSN at once; {@link #awaitDurable(long)} waits for it. */
    public long appendAsync(MemorySegment payload, short type) {
        throw new UnsupportedOperationException();
    }

    /** Returns once the record at {@code lsn} (and every record before it) is durable. */
    public void awaitDurable(long lsn) {
        throw new UnsupportedOperationException();
    }

    /** Every record that starts below this LSN is durable. */
    public long durableLsn() {
        throw new UnsupportedOperationException();
    }

    /** The oldest retained LSN. */
    public long headLsn() {
        throw new UnsupportedOperationException();
    }

    /** The LSN the next appended record will get. */
    public long tailLsn() {
        throw new UnsupportedOperationException();
    }

    /** Delivers durable records from {@code fromLsn} (a record boundary ≥ head); returns the LSN after the last delivered. */
    public long read(long fromLsn, RecordHandler handler) {
        throw new UnsupportedOperationException();
    }

    /** Frees the space of every record before {@code upToLsn} (a record boundary ≤ durable). */
    public void reclaim(long upToLsn) {
        throw new UnsupportedOperationException();
    }

    public Media media() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void close() {
        throw new UnsupportedOperationException();
    }
}
