package io.ferrite.pheap;

import io.ferrite.FerriteException;

/** A transaction's redo record is larger than the pool's log accepts; it was aborted. */
public class TransactionTooLargeException extends FerriteException {
    private static final long serialVersionUID = 1L;

    public TransactionTooLargeException(String message, String hint) {
        super(message, hint);
    }
}
