package io.ferrite.pmlog;

import io.ferrite.FerriteException;

/** A payload larger than the log's {@code maxRecordSize}: refused whole, never truncated. */
public class RecordTooLargeException extends FerriteException {
    private static final long serialVersionUID = 1L;

    public RecordTooLargeException(String message, String hint) {
        super(message, hint);
    }
}
