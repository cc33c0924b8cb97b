package io.ferrite.media;

import java.util.Locale;

/**
 * How bytes of a mapping are made durable. {@link #AUTO} picks at open: DAX with libpmem →
 * {@link #LIBPMEM}; DAX without it → {@link #JDK_SYNC}; tmpfs with libpmem → {@link #LIBPMEM}
 * (emulated persistent memory: the real cost of cache-line write-back); anything else → {@link #MSYNC}.
 */
public enum FlushBackend {
    /** Choose at open from the file system and what is installed. */
    AUTO("auto"),
    /** {@code pmem_flush} / {@code pmem_drain} from libpmem (CLWB or CLFLUSHOPT + SFENCE). */
    LIBPMEM("libpmem"),
    /** The JDK's {@code READ_WRITE_SYNC} mapping; {@code force()} writes back cache lines (DAX only). */
    JDK_SYNC("jdk-sync"),
    /** {@code msync(MS_SYNC)} on the page range: correct on any ordinary file system. */
    MSYNC("msync"),
    /** Tests only: a shadow of what is persisted, from which crash images are built. */
    CRASHSIM("crashsim"),
    /** A volatile in-memory segment (crash images under test); flush and fence do nothing. */
    MEMORY("memory");

    private final String configName;

    FlushBackend(String configName) {
        this.configName = configName;
    }

    /** The name used in configuration, logs and {@code ferrite info}. */
    public String configName() {
        return configName;
    }

    /** Parses a configuration name ({@code libpmem}, {@code jdk-sync}, {@code msync}, ...). */
    public static FlushBackend parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (FlushBackend b : values()) {
            if (b.configName.equals(n) || b.name().toLowerCase(Locale.ROOT).equals(n)) {
                return b;
            }
        }
        throw new IllegalArgumentException("unknown flush backend '" + name
                + "'; expected one of auto, libpmem, jdk-sync, msync, crashsim");
    }

    @Override
    public String toString() {
        return configName;
    }
}
