package io.ferrite.pheap;

import io.ferrite.ConfigurationException;
import io.ferrite.media.MediaOptions;
import java.time.Duration;

/**
 * Options of a {@link Heap}. Fluent setters, documented defaults, one {@link #conclude()}.
 * Geometry options (slab size, log and registry length) apply at create; an open uses what the
 * pool's superblock says.
 *
 * <table>
 * <caption>Options</caption>
 * <tr><th>option</th><th>system property</th><th>default</th><th>meaning</th></tr>
 * <tr><td>mediaOptions</td><td>(see {@link MediaOptions})</td><td>defaults</td><td>flush backend etc.;
 *     the address hint is the heap's (the pool's recorded base)</td></tr>
 * <tr><td>durability</td><td>{@value #DURABILITY_PROP_NAME}</td><td>SYNC</td><td>default of {@link Heap#begin()}</td></tr>
 * <tr><td>slabSize</td><td>-</td><td>1 MiB</td><td>bytes per slab (power of two, 4 KiB..1 GiB); create only</td></tr>
 * <tr><td>logCapacity</td><td>-</td><td>0 = pool size / 16, between 256 KiB and 256 MiB</td><td>bytes of the redo log ring; create only</td></tr>
 * <tr><td>maxSize</td><td>-</td><td>0 = the create size (fixed); {@link #GROWABLE_MAX_SIZE_DEFAULT} for {@link
 *     Heap#create(java.nio.file.Path, HeapOptions)}</td><td>bytes the pool may grow to: address space reserved
 *     at every open, slab table sized for it; create only (an open reserves what the superblock records)</td></tr>
 * <tr><td>growthIncrement</td><td>-</td><td>0 = double, at most {@link #GROWTH_STEP_CAP} per step</td>
 *     <td>bytes added when the allocator runs out of free slabs (rounded up to whole slabs; never past maxSize)</td></tr>
 * <tr><td>registryLength</td><td>-</td><td>64 KiB</td><td>bytes of the type registry region; create only</td></tr>
 * <tr><td>checkpointInterval</td><td>{@value #CHECKPOINT_INTERVAL_MS_PROP_NAME} (ms)</td><td>1 s</td>
 *     <td>period of the background checkpoint thread, which also runs when the log is half full;
 *     zero = no thread (checkpoints on demand, when the log is full, and at close)</td></tr>
 * <tr><td>logFullPolicy</td><td>{@value #LOG_FULL_POLICY_PROP_NAME}</td><td>WAIT</td>
 *     <td>when a checkpoint cannot make room in the log: WAIT (back-pressure, up to
 *     logFullTimeout) or FAIL (the commit fails at once with a clear error)</td></tr>
 * <tr><td>logFullTimeout</td><td>-</td><td>5 s</td><td>longest back-pressure wait</td></tr>
 * <tr><td>swizzleParallelism</td><td>{@value #SWIZZLE_PARALLELISM_PROP_NAME}</td><td>0 = all cores</td>
 *     <td>threads that rewrite pointers when an open lands at another base than the pool's</td></tr>
 * <tr><td>forceRelocation</td><td>{@value #FORCE_RELOCATION_PROP_NAME}</td><td>false</td>
 *     <td>open: keep the mapping off the pool's recorded base, so that every pointer is swizzled
 *     (tests, benchmarks); backend jdk-sync maps where the JDK chooses, which is almost never the
 *     recorded base, so it always relocates in practice</td></tr>
 * <tr><td>addressHint</td><td>-</td><td>0 = the pool's recorded base (open), a random free
 *     high address (create)</td><td>where to ask the kernel to map the pool; if taken, it maps
 *     elsewhere and open swizzles; page aligned; not with backend jdk-sync</td></tr>
 * <tr><td>retentionFloor</td><td>-</td><td>none</td><td>a {@link RetentionFloor} that holds log
 *     space besides the checkpoint: the log is reclaimed up to min(checkpoint LSN, floor)
 *     (replication slots)</td></tr>
 * <tr><td>replica</td><td>-</td><td>false</td><td>open as a replica: transactions, new types and
 *     a new root are refused ({@link ReadOnlyHeapException}); the pool changes through {@link
 *     Heap#applyReplicated} only, and the heap's readers see what was applied</td></tr>
 * </table>
 */
public final class HeapOptions {
    public static final String DURABILITY_PROP_NAME = "ferrite.heap.durability";
    public static final Durability DURABILITY_DEFAULT = Durability.SYNC;
    public static final int SLAB_SIZE_DEFAULT = 1 << 20;
    public static final long REGISTRY_LENGTH_DEFAULT = 64 * 1024;
    public static final String CHECKPOINT_INTERVAL_MS_PROP_NAME = "ferrite.heap.checkpointIntervalMs";
    public static final long CHECKPOINT_INTERVAL_MS_DEFAULT = 1000;
    public static final String LOG_FULL_POLICY_PROP_NAME = "ferrite.heap.logFullPolicy";
    public static final String SWIZZLE_PARALLELISM_PROP_NAME = "ferrite.heap.swizzleParallelism";
    public static final String FORCE_RELOCATION_PROP_NAME = "ferrite.heap.forceRelocation";
    /** The maximum of a pool created without a size: 64 GiB of address space, a 2 MiB slab table at 1 MiB slabs. */
    public static final long GROWABLE_MAX_SIZE_DEFAULT = 64L << 30;
    /** The initial size of a pool created without a size. */
    public static final long GROWABLE_INITIAL_SIZE_DEFAULT = 16L << 20;
    /** Doubling adds at most this much per step. */
    public static final long GROWTH_STEP_CAP = 1L << 30;
    /** The slab area starts at a multiple of this (DAX huge pages). */
    public static final long SLAB_AREA_ALIGNMENT = 2L << 20;

    /** What a commit does when the log is full and a checkpoint cannot make room. */
    public enum LogFullPolicy {
        /** Back-pressure: wait for room up to logFullTimeout, then fail. */
        WAIT,
        /** Fail the commit at once (it is aborted; nothing is applied). */
        FAIL
    }

    private MediaOptions mediaOptions = MediaOptions.defaults();
    private long maxSize;
    private long growthIncrement;
    private Durability durability = Durability.valueOf(System.getProperty(DURABILITY_PROP_NAME, DURABILITY_DEFAULT.name()));
    private int slabSize = SLAB_SIZE_DEFAULT;
    private long logCapacity;
    private long registryLength = REGISTRY_LENGTH_DEFAULT;
    private Duration checkpointInterval = Duration.ofMillis(Long.getLong(CHECKPOINT_INTERVAL_MS_PROP_NAME, CHECKPOINT_INTERVAL_MS_DEFAULT));
    private LogFullPolicy logFullPolicy = LogFullPolicy.valueOf(System.getProperty(LOG_FULL_POLICY_PROP_NAME, "WAIT"));
    private Duration logFullTimeout = Duration.ofSeconds(5);
    private int swizzleParallelism = Integer.getInteger(SWIZZLE_PARALLELISM_PROP_NAME, 0);
    private boolean forceRelocation = Boolean.getBoolean(FORCE_RELOCATION_PROP_NAME);
    private long addressHint;
    private RetentionFloor retentionFloor;
    private boolean replica;

    public static HeapOptions defaults() {
        return new HeapOptions();
    }

    public HeapOptions mediaOptions(MediaOptions options) {
        this.mediaOptions = options;
        return this;
    }

    public HeapOptions durability(Durability durability) {
        this.durability = durability;
        return this;
    }

    public HeapOptions slabSize(int bytes) {
        this.slabSize = bytes;
        return this;
    }

    public HeapOptions logCapacity(long bytes) {
        this.logCapacity = bytes;
        return this;
    }

    public HeapOptions registryLength(long bytes) {
        this.registryLength = bytes;
        return this;
    }

    public HeapOptions checkpointInterval(Duration interval) {
        this.checkpointInterval = interval;
        return this;
    }

    public HeapOptions logFullPolicy(LogFullPolicy policy) {
        this.logFullPolicy = policy;
        return this;
    }

    public HeapOptions logFullTimeout(Duration timeout) {
        this.logFullTimeout = timeout;
        return this;
    }

    /** Threads that swizzle at open (0 = all cores, 1 = the opening thread only). */
    public HeapOptions swizzleParallelism(int threads) {
        this.swizzleParallelism = threads;
        return this;
    }

    /** Open maps the pool away from its recorded base, so that every pointer is rewritten. */
    public HeapOptions forceRelocation(boolean force) {
        this.forceRelocation = force;
        return this;
    }

    /** Where to ask the kernel to map the pool (0 = the pool's recorded base, or a random address at create). */
    public HeapOptions addressHint(long address) {
        this.addressHint = address;
        return this;
    }

    /** Holds log space besides the checkpoint (null = nothing held): see {@link RetentionFloor}. */
    public HeapOptions retentionFloor(RetentionFloor floor) {
        this.retentionFloor = floor;
        return this;
    }

    /** Opens the heap as a replica: applied to by {@link Heap#applyReplicated}, never written by transactions. */
    public HeapOptions replica(boolean replica) {
        this.replica = replica;
        return this;
    }

    /** The retention floor provider, or null when nothing holds log space besides the checkpoint. */
    public RetentionFloor retentionFloor() {
        return retentionFloor;
    }

    public boolean replica() {
        return replica;
    }

    public int swizzleParallelism() {
        return swizzleParallelism;
    }

    /** The swizzle threads to use: the option, or all cores when it is 0. */
    public int swizzleThreads() {
        return swizzleParallelism > 0 ? swizzleParallelism : Runtime.getRuntime().availableProcessors();
    }

    public boolean forceRelocation() {
        return forceRelocation;
    }

    public long addressHint() {
        return addressHint;
    }

    public MediaOptions mediaOptions() {
        return mediaOptions;
    }

    /** Bytes the pool may grow to (create only); 0 = it keeps its create size. */
    public HeapOptions maxSize(long bytes) {
        this.maxSize = bytes;
        return this;
    }

    public long maxSize() {
        return maxSize;
    }

    /** Bytes each automatic growth adds; 0 = double the pool, at most {@link #GROWTH_STEP_CAP}. */
    public HeapOptions growthIncrement(long bytes) {
        this.growthIncrement = bytes;
        return this;
    }

    public long growthIncrement() {
        return growthIncrement;
    }

    /** The step a pool of {@code size} bytes grows by. */
    long growthStep(long size) {
        return growthIncrement > 0 ? growthIncrement : Math.min(size, GROWTH_STEP_CAP);
    }

    public Durability durability() {
        return durability;
    }

    public int slabSize() {
        return slabSize;
    }

    public long logCapacity() {
        return logCapacity;
    }

    /** The log capacity used for a pool of {@code poolSize} bytes. */
    public long logCapacityFor(long poolSize) {
        long c = logCapacity > 0 ? logCapacity : Math.min(256L << 20, Math.max(256L << 10, poolSize / 16));
        return (c + 4095) & ~4095L;
    }

    public long registryLength() {
        return registryLength;
    }

    public Duration checkpointInterval() {
        return checkpointInterval;
    }

    public LogFullPolicy logFullPolicy() {
        return logFullPolicy;
    }

    public Duration logFullTimeout() {
        return logFullTimeout;
    }

    public HeapOptions copy() {
        HeapOptions c = new HeapOptions();
        c.mediaOptions = mediaOptions == null ? null : mediaOptions.copy();
        c.durability = durability;
        c.maxSize = maxSize;
        c.growthIncrement = growthIncrement;
        c.slabSize = slabSize;
        c.logCapacity = logCapacity;
        c.registryLength = registryLength;
        c.checkpointInterval = checkpointInterval;
        c.logFullPolicy = logFullPolicy;
        c.logFullTimeout = logFullTimeout;
        c.swizzleParallelism = swizzleParallelism;
        c.forceRelocation = forceRelocation;
        c.addressHint = addressHint;
        c.retentionFloor = retentionFloor;
        c.replica = replica;
        return c;
    }

    /** Validates the combination; throws {@link ConfigurationException} naming the bad value. */
    public HeapOptions conclude() {
        ConfigurationException.requireSet(mediaOptions, "mediaOptions");
        ConfigurationException.requireSet(durability, "durability");
        ConfigurationException.requireSet(logFullPolicy, "logFullPolicy");
        if (slabSize < 4096 || slabSize > (1 << 30) || Integer.bitCount(slabSize) != 1) {
            throw new ConfigurationException("slabSize=" + slabSize + " must be a power of two between 4096 and 1 GiB");
        }
        if (logCapacity < 0 || (logCapacity > 0 && logCapacity < 64 * 1024)) {
            throw new ConfigurationException("logCapacity=" + logCapacity + " must be 0 (automatic) or at least 64 KiB");
        }
        if (registryLength < 4096 || registryLength % 4096 != 0) {
            throw new ConfigurationException("registryLength=" + registryLength + " must be a multiple of 4096, at least 4096");
        }
        if (checkpointInterval == null || checkpointInterval.isNegative()) {
            throw new ConfigurationException("checkpointInterval=" + checkpointInterval + " must be zero (off) or positive");
        }
        if (logFullTimeout == null || logFullTimeout.isNegative()) {
            throw new ConfigurationException("logFullTimeout=" + logFullTimeout + " must be zero or positive");
        }
        if (mediaOptions.addressHint() != 0 || mediaOptions.requireAddress()) {
            throw new ConfigurationException("mediaOptions.addressHint/requireAddress are set by the heap (the pool's recorded base);"
                    + " leave them unset and use HeapOptions.addressHint / forceRelocation");
        }
        if (swizzleParallelism < 0 || swizzleParallelism > 1024) {
            throw new ConfigurationException("swizzleParallelism=" + swizzleParallelism + " must be 0 (all cores) or 1..1024 ("
                    + SWIZZLE_PARALLELISM_PROP_NAME + ")");
        }
        if (addressHint < 0 || (addressHint & 4095) != 0) {
            throw new ConfigurationException("addressHint=0x" + Long.toHexString(addressHint) + " must be 0 or a page-aligned"
                    + " user-space address");
        }
        if (mediaOptions.backend() == io.ferrite.media.FlushBackend.JDK_SYNC && addressHint != 0) {
            throw new ConfigurationException("addressHint=0x" + Long.toHexString(addressHint)
                    + " needs a backend that maps at a chosen address; backend jdk-sync maps through the JDK (use libpmem or msync)");
        }
        if (maxSize < 0 || maxSize % 4096 != 0) {
            throw new ConfigurationException("maxSize=" + maxSize + " must be 0 (the create size) or a positive multiple of 4096");
        }
        if (growthIncrement < 0) {
            throw new ConfigurationException("growthIncrement=" + growthIncrement + " must be 0 (doubling) or positive");
        }
        if (maxSize != 0 && mediaOptions.backend() == io.ferrite.media.FlushBackend.JDK_SYNC) {
            throw new ConfigurationException("maxSize=" + maxSize + " needs address space reserved beyond the file, which backend"
                    + " jdk-sync cannot do (it maps through the JDK); use libpmem or msync, or maxSize 0");
        }
        mediaOptions.conclude();
        return this;
    }
}
