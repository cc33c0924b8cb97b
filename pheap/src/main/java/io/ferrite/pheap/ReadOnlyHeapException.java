package io.ferrite.pheap;

import io.ferrite.FerriteException;

/**
 * A heap opened as a replica ({@link HeapOptions#replica(boolean)}) was asked for a transaction, a
 * new type or a root: its pool changes only through records applied from a primary ({@link
 * Heap#applyReplicated}). Nothing was written.
 */
public class ReadOnlyHeapException extends FerriteException {
    private static final long serialVersionUID = 1L;

    public ReadOnlyHeapException(String message, String hint) {
        super(message, hint);
    }
}
