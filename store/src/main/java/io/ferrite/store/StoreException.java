package io.ferrite.store;

import io.ferrite.FerriteException;

/** Base of the object store's errors: the message names the store, collection and key involved. */
public class StoreException extends FerriteException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message, String hint) {
        super(message, hint);
    }

    public StoreException(String message, String hint, Throwable cause) {
        super(message, hint, cause);
    }
}
