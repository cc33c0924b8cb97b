package io.ferrite.pheap;

import io.ferrite.FerriteException;

/** The pool is already open for writing, in this process or another one; the message names the holder. */
public class HeapLockedException extends FerriteException {
    private static final long serialVersionUID = 1L;

    public HeapLockedException(String message, String hint) {
        super(message, hint);
    }

    public HeapLockedException(String message, String hint, Throwable cause) {
        super(message, hint, cause);
    }
}
