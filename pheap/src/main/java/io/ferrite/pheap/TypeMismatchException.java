package io.ferrite.pheap;

import io.ferrite.FerriteException;

/** A type is registered again with a layout that differs from the persisted one. */
public class TypeMismatchException extends FerriteException {
    private static final long serialVersionUID = 1L;

    public TypeMismatchException(String message, String hint) {
        super(message, hint);
    }

    public TypeMismatchException(String message, String hint, Throwable cause) {
        super(message, hint, cause);
    }
}
