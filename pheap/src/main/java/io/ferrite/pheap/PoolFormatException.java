package io.ferrite.pheap;

import io.ferrite.FerriteException;

/** A file is not a usable pool: not a pool, a newer format, truncated, or both superblocks damaged. */
public class PoolFormatException extends FerriteException {
    private static final long serialVersionUID = 1L;

    public PoolFormatException(String message, String hint) {
        super(message, hint);
    }

    public PoolFormatException(String message, String hint, Throwable cause) {
        super(message, hint, cause);
    }
}
