package io.ferrite.pmlog;

import io.ferrite.FerriteException;

/**
 * A mirror refused a record framed on its primary ({@link PmLog#appendMirrored}): its LSN is not
 * the next one the mirror expects (a gap or a repeat), its checksum or length does not match, its
 * epoch goes back, or it does not fit the mirror's ring where it fits the primary's (the capacities
 * differ). Nothing of the frame was written; the mirror still expects {@link #expectedLsn()}. A
 * replica tells a bad frame from a bug by this type.
 */
public class MirrorFrameException extends FerriteException {
    private static final long serialVersionUID = 1L;
    private final long lsn;
    private final long expectedLsn;

    public MirrorFrameException(String message, long lsn, long expectedLsn) {
        super(message, "resend from LSN " + expectedLsn + ", the mirror's tail");
        this.lsn = lsn;
        this.expectedLsn = expectedLsn;
    }

    /** The LSN the refused frame carries (-1 if it was too short to carry one). */
    public long lsn() {
        return lsn;
    }

    /** The LSN the mirror expects next. */
    public long expectedLsn() {
        return expectedLsn;
    }
}
