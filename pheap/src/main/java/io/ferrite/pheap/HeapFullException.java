package io.ferrite.pheap;

import io.ferrite.FerriteException;

/**
 * No room for an allocation. The transaction that asked is aborted (nothing it did is applied)
 * before this is thrown; the message gives the sizes.
 */
public class HeapFullException extends FerriteException {
    private static final long serialVersionUID = 1L;
    private final long requestedBytes;
    private final long freeSlabs;
    private final long totalSlabs;

    public HeapFullException(String message, long requestedBytes, long freeSlabs, long totalSlabs) {
        super(message, "free objects, or create a larger pool");
        this.requestedBytes = requestedBytes;
        this.freeSlabs = freeSlabs;
        this.totalSlabs = totalSlabs;
    }

    public long requestedBytes() {
        return requestedBytes;
    }

    public long freeSlabs() {
        return freeSlabs;
    }

    public long totalSlabs() {
        return totalSlabs;
    }
}
