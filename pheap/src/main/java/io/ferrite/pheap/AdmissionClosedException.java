package io.ferrite.pheap;

import io.ferrite.FerriteException;

/**
 * A transaction was refused because the heap's admission gate is closed ({@link
 * Heap#admission()}): {@link Heap#begin()}, a commit that had not started appending, or a record of
 * the heap's own (a new type, the root) after the gate closed. Nothing of it was applied; the
 * message names the pool and why the gate was closed (a power event's drain, say).
 */
public class AdmissionClosedException extends FerriteException {
    private static final long serialVersionUID = 1L;

    public AdmissionClosedException(String message, String hint) {
        super(message, hint);
    }
}
