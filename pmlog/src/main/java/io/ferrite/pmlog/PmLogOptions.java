package io.ferrite.pmlog;

import io.ferrite.ConfigurationException;
import io.ferrite.media.MediaOptions;
import java.time.Duration;

/**
 * Options of a {@link PmLog}. Fluent setters, documented defaults, one {@link #conclude()}.
 *
 * <table>
 * <caption>Options</caption>
 * <tr><th>option</th><th>system property</th><th>default</th><th>meaning</th></tr>
 * <tr><td>maxRecordSize</td><td>{@value #MAX_RECORD_SIZE_PROP_NAME}</td><td>1 MiB, at most capacity/2 - 24</td>
 *     <td>largest payload an append accepts; fixed at format (stored in the header), ignored at open</td></tr>
 * <tr><td>fullPolicy</td><td>{@value #FULL_POLICY_PROP_NAME}</td><td>WAIT</td>
 *     <td>when the ring is full: FAIL at once, or WAIT up to fullWaitTimeout for {@link PmLog#reclaim}</td></tr>
 * <tr><td>fullWaitTimeout</td><td>{@value #FULL_WAIT_TIMEOUT_MS_PROP_NAME} (ms)</td><td>5 s</td>
 *     <td>how long a WAIT append waits for space before {@link LogFullException}</td></tr>
 * <tr><td>onFull</td><td>-</td><td>none</td>
 *     <td>called on the appending thread when an append finds the ring full (before failing or waiting);
 *     the heap triggers a checkpoint from it. It must not append to the same log.</td></tr>
 * <tr><td>spinNanos</td><td>{@value #SPIN_NANOS_PROP_NAME}</td><td>5 µs</td>
 *     <td>how long a waiter for durability spins before it parks</td></tr>
 * <tr><td>groupWaitNanos</td><td>{@value #GROUP_WAIT_NANOS_PROP_NAME}</td><td>2 µs</td>
 *     <td>when appends arrived during the previous group's flush, how long a leader waits for one more
 *     reservation to join its group (0: never wait)</td></tr>
 * <tr><td>mediaOptions</td><td>(see {@link MediaOptions})</td><td>defaults</td>
 *     <td>how a standalone log file is mapped ({@link PmLog#create(java.nio.file.Path, long, PmLogOptions)})</td></tr>
 * </table>
 */
public final class PmLogOptions {
    public static final String MAX_RECORD_SIZE_PROP_NAME = "ferrite.pmlog.maxRecordSize";
    public static final int MAX_RECORD_SIZE_DEFAULT = 1 << 20;
    public static final String FULL_POLICY_PROP_NAME = "ferrite.pmlog.fullPolicy";
    public static final FullPolicy FULL_POLICY_DEFAULT = FullPolicy.WAIT;
    public static final String FULL_WAIT_TIMEOUT_MS_PROP_NAME = "ferrite.pmlog.fullWaitTimeoutMs";
    public static final long FULL_WAIT_TIMEOUT_MS_DEFAULT = 5_000;
    public static final String SPIN_NANOS_PROP_NAME = "ferrite.pmlog.spinNanos";
    public static final long SPIN_NANOS_DEFAULT = 5_000;
    public static final String GROUP_WAIT_NANOS_PROP_NAME = "ferrite.pmlog.groupWaitNanos";
    public static final long GROUP_WAIT_NANOS_DEFAULT = 2_000;

    /** What an append does when the ring is full. */
    public enum FullPolicy {
        /** Throw {@link LogFullException} at once (after the onFull hook). */
        FAIL,
        /** Wait up to {@code fullWaitTimeout} for space to be reclaimed, then throw. */
        WAIT
    }

    private int maxRecordSize = Integer.getInteger(MAX_RECORD_SIZE_PROP_NAME, MAX_RECORD_SIZE_DEFAULT);
    private boolean maxRecordSizeSet = System.getProperty(MAX_RECORD_SIZE_PROP_NAME) != null;
    private FullPolicy fullPolicy = parsePolicy(System.getProperty(FULL_POLICY_PROP_NAME, FULL_POLICY_DEFAULT.name()));
    private Duration fullWaitTimeout = Duration.ofMillis(Long.getLong(FULL_WAIT_TIMEOUT_MS_PROP_NAME, FULL_WAIT_TIMEOUT_MS_DEFAULT));
    private Runnable onFull = () -> { };
    private long spinNanos = Long.getLong(SPIN_NANOS_PROP_NAME, SPIN_NANOS_DEFAULT);
    private long groupWaitNanos = Long.getLong(GROUP_WAIT_NANOS_PROP_NAME, GROUP_WAIT_NANOS_DEFAULT);
    private MediaOptions mediaOptions = MediaOptions.defaults();

    private static FullPolicy parsePolicy(String name) {
        for (FullPolicy p : FullPolicy.values()) {
            if (p.name().equalsIgnoreCase(name.trim())) {
                return p;
            }
        }
        throw new ConfigurationException(FULL_POLICY_PROP_NAME + "=" + name + " is not a full policy; expected FAIL or WAIT");
    }

    public static PmLogOptions defaults() {
        return new PmLogOptions();
    }

    /** Largest payload an append accepts (set at format; an open uses the value in the header). */
    public PmLogOptions maxRecordSize(int bytes) {
        this.maxRecordSize = bytes;
        this.maxRecordSizeSet = true;
        return this;
    }

    public PmLogOptions fullPolicy(FullPolicy policy) {
        this.fullPolicy = policy;
        return this;
    }

    public PmLogOptions fullWaitTimeout(Duration timeout) {
        this.fullWaitTimeout = timeout;
        return this;
    }

    /** Called on the appending thread when the ring is full; must not append to the same log. */
    public PmLogOptions onFull(Runnable hook) {
        this.onFull = hook;
        return this;
    }

    public PmLogOptions spinNanos(long nanos) {
        this.spinNanos = nanos;
        return this;
    }

    /** How long a group-commit leader may wait for one more appender to join when appenders are contending. */
    public PmLogOptions groupWaitNanos(long nanos) {
        this.groupWaitNanos = nanos;
        return this;
    }

    /** How a standalone log file is mapped; region logs use the caller's media. */
    public PmLogOptions mediaOptions(MediaOptions options) {
        this.mediaOptions = options;
        return this;
    }

    public int maxRecordSize() {
        return maxRecordSize;
    }

    /** True when {@link #maxRecordSize(int)} was called (or its property set); otherwise it is clamped to the capacity. */
    public boolean maxRecordSizeExplicit() {
        return maxRecordSizeSet;
    }

    public FullPolicy fullPolicy() {
        return fullPolicy;
    }

    public Duration fullWaitTimeout() {
        return fullWaitTimeout;
    }

    public Runnable onFull() {
        return onFull;
    }

    public long spinNanos() {
        return spinNanos;
    }

    public long groupWaitNanos() {
        return groupWaitNanos;
    }

    public MediaOptions mediaOptions() {
        return mediaOptions;
    }

    public PmLogOptions copy() {
        PmLogOptions c = new PmLogOptions();
        c.maxRecordSize = maxRecordSize;
        c.maxRecordSizeSet = maxRecordSizeSet;
        c.fullPolicy = fullPolicy;
        c.fullWaitTimeout = fullWaitTimeout;
        c.onFull = onFull;
        c.spinNanos = spinNanos;
        c.groupWaitNanos = groupWaitNanos;
        c.mediaOptions = mediaOptions == null ? null : mediaOptions.copy();
        return c;
    }

    /** Validates the combination; throws {@link ConfigurationException} naming the bad value. */
    public PmLogOptions conclude() {
        if (maxRecordSize < 0) {
            throw new ConfigurationException("maxRecordSize=" + maxRecordSize + " must not be negative");
        }
        ConfigurationException.requireSet(fullPolicy, "fullPolicy");
        if (onFull == null) {
            throw new ConfigurationException("onFull must not be null (use () -> { })");
        }
        ConfigurationException.requireSet(mediaOptions, "mediaOptions");
        if (fullWaitTimeout == null || fullWaitTimeout.isNegative()) {
            throw new ConfigurationException("fullWaitTimeout=" + fullWaitTimeout + " must be zero or positive");
        }
        if (groupWaitNanos < 0) {
            throw new ConfigurationException("groupWaitNanos=" + groupWaitNanos + " must not be negative");
        }
        if (spinNanos < 0) {
            throw new ConfigurationException("spinNanos=" + spinNanos + " must not be negative");
        }
        return this;
    }
}
