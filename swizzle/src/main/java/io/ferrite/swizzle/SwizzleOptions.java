package io.ferrite.swizzle;

import io.ferrite.ConfigurationException;

/**
 * How a swizzle runs. Fluent setters, documented defaults, one {@link #conclude()}.
 *
 * <table>
 * <caption>Options</caption>
 * <tr><th>option</th><th>system property</th><th>default</th><th>meaning</th></tr>
 * <tr><td>parallelism</td><td>{@value #PARALLELISM_PROP_NAME}</td><td>all cores</td>
 *     <td>threads that rewrite slabs (1 = the calling thread only)</td></tr>
 * <tr><td>flushChunkBytes</td><td>{@value #FLUSH_CHUNK_BYTES_PROP_NAME}</td><td>{@value #FLUSH_CHUNK_BYTES_DEFAULT}</td>
 *     <td>a pass writes back what it rewrote every this many bytes, while the lines are still in
 *     the core's cache (one fence per batch still orders them)</td></tr>
 * <tr><td>batchBytes</td><td>{@value #BATCH_BYTES_PROP_NAME}</td><td>{@value #BATCH_BYTES_DEFAULT}</td>
 *     <td>slab bytes a thread takes at once; the fences of a batch are shared by its slabs</td></tr>
 * </table>
 */
public final class SwizzleOptions {
    public static final String PARALLELISM_PROP_NAME = "ferrite.swizzle.parallelism";
    public static final String BATCH_BYTES_PROP_NAME = "ferrite.swizzle.batchBytes";
    public static final long BATCH_BYTES_DEFAULT = 8L << 20;
    public static final String FLUSH_CHUNK_BYTES_PROP_NAME = "ferrite.swizzle.flushChunkBytes";
    public static final long FLUSH_CHUNK_BYTES_DEFAULT = 16L << 10;

    private int parallelism = Integer.getInteger(PARALLELISM_PROP_NAME, Runtime.getRuntime().availableProcessors());
    private long batchBytes = Long.getLong(BATCH_BYTES_PROP_NAME, BATCH_BYTES_DEFAULT);
    private long flushChunkBytes = Long.getLong(FLUSH_CHUNK_BYTES_PROP_NAME, FLUSH_CHUNK_BYTES_DEFAULT);

    public static SwizzleOptions defaults() {
        return new SwizzleOptions();
    }

    public SwizzleOptions parallelism(int threads) {
        this.parallelism = threads;
        return this;
    }

    public SwizzleOptions batchBytes(long bytes) {
        this.batchBytes = bytes;
        return this;
    }

    public SwizzleOptions flushChunkBytes(long bytes) {
        this.flushChunkBytes = bytes;
        return this;
    }

    public long flushChunkBytes() {
        return flushChunkBytes;
    }

    public int parallelism() {
        return parallelism;
    }

    public long batchBytes() {
        return batchBytes;
    }

    public SwizzleOptions copy() {
        return new SwizzleOptions().parallelism(parallelism).batchBytes(batchBytes).flushChunkBytes(flushChunkBytes);
    }

    /** Validates; throws {@link ConfigurationException} naming the bad value. */
    public SwizzleOptions conclude() {
        if (parallelism < 1 || parallelism > 1024) {
            throw new ConfigurationException("parallelism=" + parallelism + " must be in 1..1024 ("
                    + PARALLELISM_PROP_NAME + ")");
        }
        if (batchBytes < 1) {
            throw new ConfigurationException("batchBytes=" + batchBytes + " must be positive (" + BATCH_BYTES_PROP_NAME
                    + "); 1 makes every slab its own batch");
        }
        if (flushChunkBytes < 64) {
            throw new ConfigurationException("flushChunkBytes=" + flushChunkBytes + " must be at least one cache line (64) ("
                    + FLUSH_CHUNK_BYTES_PROP_NAME + ")");
        }
        return this;
    }
}
