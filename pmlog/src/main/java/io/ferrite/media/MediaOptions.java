package io.ferrite.media;

import io.ferrite.ConfigurationException;

/**
 * How a file is mapped. Fluent setters, documented defaults, one {@link #conclude()}.
 *
 * <table>
 * <caption>Options</caption>
 * <tr><th>option</th><th>system property</th><th>default</th><th>meaning</th></tr>
 * <tr><td>backend</td><td>{@value #BACKEND_PROP_NAME}</td><td>auto</td><td>flush backend; see {@link FlushBackend}</td></tr>
 * <tr><td>addressHint</td><td>-</td><td>0 (none)</td><td>map here if the kernel allows ({@code MAP_FIXED_NOREPLACE})</td></tr>
 * <tr><td>requireAddress</td><td>-</td><td>false</td><td>fail rather than land elsewhere than the hint</td></tr>
 * <tr><td>avoidAddress</td><td>-</td><td>0 (none)</td><td>keep the mapping off the range starting here (forced relocation)</td></tr>
 * <tr><td>readOnly</td><td>-</td><td>false</td><td>map read-only (inspection tools)</td></tr>
 * <tr><td>maxSize</td><td>-</td><td>0 (the file's size)</td><td>reserve this many bytes of address space (an anonymous
 * {@code PROT_NONE} mapping) and map the file over its prefix, so that {@link Media#grow} maps more of the file at the
 * addresses that follow; libc mapping (msync, libpmem, auto) only</td></tr>
 * <tr><td>preallocate</td><td>-</td><td>true</td><td>on create, reserve the file's blocks so a full tmpfs fails now, not with SIGBUS later</td></tr>
 * </table>
 */
public final class MediaOptions {
    public static final String BACKEND_PROP_NAME = "ferrite.media.backend";
    public static final FlushBackend BACKEND_DEFAULT = FlushBackend.AUTO;

    private FlushBackend backend = FlushBackend.parse(System.getProperty(BACKEND_PROP_NAME, BACKEND_DEFAULT.configName()));
    private long addressHint;
    private boolean requireAddress;
    private long avoidAddress;
    private boolean readOnly;
    private boolean preallocate = true;
    private long maxSize;

    public static MediaOptions defaults() {
        return new MediaOptions();
    }

    public MediaOptions backend(FlushBackend backend) {
        this.backend = backend;
        return this;
    }

    public MediaOptions addressHint(long address) {
        this.addressHint = address;
        return this;
    }

    public MediaOptions requireAddress(boolean require) {
        this.requireAddress = require;
        return this;
    }

    public MediaOptions avoidAddress(long address) {
        this.avoidAddress = address;
        return this;
    }

    public MediaOptions readOnly(boolean readOnly) {
        this.readOnly = readOnly;
        return this;
    }

    public MediaOptions preallocate(boolean preallocate) {
        this.preallocate = preallocate;
        return this;
    }

    /** Bytes of address space to reserve for growth; 0 reserves just the file's size. */
    public MediaOptions maxSize(long maxSize) {
        this.maxSize = maxSize;
        return this;
    }

    public long maxSize() {
        return maxSize;
    }

    public FlushBackend backend() {
        return backend;
    }

    public long addressHint() {
        return addressHint;
    }

    public boolean requireAddress() {
        return requireAddress;
    }

    public long avoidAddress() {
        return avoidAddress;
    }

    public boolean readOnly() {
        return readOnly;
    }

    public boolean preallocate() {
        return preallocate;
    }

    public MediaOptions copy() {
        MediaOptions c = new MediaOptions();
        c.backend = backend;
        c.addressHint = addressHint;
        c.requireAddress = requireAddress;
        c.avoidAddress = avoidAddress;
        c.readOnly = readOnly;
        c.preallocate = preallocate;
        c.maxSize = maxSize;
        return c;
    }

    /** Validates the combination; throws {@link ConfigurationException} naming the bad pair. */
    public MediaOptions conclude() {
        if (backend == null) {
            throw new ConfigurationException("backend must not be null (use auto)");
        }
        if (backend == FlushBackend.MEMORY) {
            throw new ConfigurationException("backend=memory is for in-memory test images; files use auto, libpmem, jdk-sync, msync or crashsim");
        }
        if (requireAddress && addressHint == 0) {
            throw new ConfigurationException("requireAddress=true needs an addressHint");
        }
        if (addressHint != 0 && (addressHint & (LibC.PAGE_SIZE - 1)) != 0) {
            throw new ConfigurationException("addressHint=0x" + Long.toHexString(addressHint) + " is not page aligned");
        }
        if (addressHint != 0 && addressHint == avoidAddress) {
            throw new ConfigurationException("addressHint and avoidAddress are both 0x" + Long.toHexString(addressHint));
        }
        if (backend == FlushBackend.JDK_SYNC && (addressHint != 0 || avoidAddress != 0)) {
            throw new ConfigurationException("backend=jdk-sync maps through the JDK, which takes no address hint; use libpmem or msync");
        }
        if (maxSize < 0 || maxSize % LibC.PAGE_SIZE != 0) {
            throw new ConfigurationException("maxSize=" + maxSize + " must be 0 or a positive multiple of the page size "
                    + LibC.PAGE_SIZE);
        }
        if (maxSize != 0 && backend == FlushBackend.JDK_SYNC) {
            throw new ConfigurationException("backend=jdk-sync maps through the JDK, which cannot reserve address space for growth"
                    + " (maxSize=" + maxSize + "); use libpmem or msync");
        }
        return this;
    }
}
