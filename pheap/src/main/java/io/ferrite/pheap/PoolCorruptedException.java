package io.ferrite.pheap;

/**
 * A pool of a format this build reads whose bytes are damaged: both superblocks fail their CRC, the
 * superblock's geometry is inconsistent, the file is shorter than the pool it describes, the slab
 * metadata or the type registry is damaged, the root object or the checkpoint LSN points at nothing
 * (all found at open), or a read meets a pointer outside the slab area or a blob length past its
 * object. The message names the file, the structure and offset; the hint names {@code ferrite check}.
 *
 * <p>A subtype of {@link PoolFormatException}: "not a usable pool" still catches it, and whoever
 * needs to tell a wrong file (send the operator to the path or a newer release) from a damaged
 * one (send the operator to {@code ferrite check} and a backup or replica) tests for this type.
 */
public class PoolCorruptedException extends PoolFormatException {
    private static final long serialVersionUID = 1L;

    public PoolCorruptedException(String message, String hint) {
        super(message, hint);
    }

    public PoolCorruptedException(String message, String hint, Throwable cause) {
        super(message, hint, cause);
    }
}
