package io.ferrite.media;

/**
 * The file system has no room to extend a file: growth did not happen, the file keeps its old
 * size and mapping. {@link #freeBytes()} is what the file system reported free at the failure.
 */
public final class MediaFullException extends MediaException {
    private static final long serialVersionUID = 1L;

    private final long requestedBytes;
    private final long freeBytes;

    public MediaFullException(String message, String hint, long requestedBytes, long freeBytes) {
        super(message, hint);
        this.requestedBytes = requestedBytes;
        this.freeBytes = freeBytes;
    }

    /** Bytes the growth needed beyond the old size. */
    public long requestedBytes() {
        return requestedBytes;
    }

    /** Free bytes on the file system when growth failed (-1 when unknown). */
    public long freeBytes() {
        return freeBytes;
    }
}
