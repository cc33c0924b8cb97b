package io.ferrite.pheap;

import io.ferrite.FerriteException;

/**
 * A redo record that cannot be applied: shorter than its header, an unknown version or operation
 * kind, a length past the record's end, an unaligned word, a target outside the writable pool.
 * Raised by the replay before any byte of the record is applied, so the pool is unchanged.
 *
 * <p>Its own type so that whoever feeds records from elsewhere (a replica applying a primary's
 * frames, a restore from an archive) can tell a bad frame, which is the source's fault and names
 * its LSN, from a bug.
 */
public class RedoRecordException extends FerriteException {
    private static final long serialVersionUID = 1L;
    private final long lsn;

    public RedoRecordException(long lsn, String message, String hint) {
        super(message, hint);
        this.lsn = lsn;
    }

    /** The LSN of the record (as the caller gave it). */
    public long lsn() {
        return lsn;
    }
}
