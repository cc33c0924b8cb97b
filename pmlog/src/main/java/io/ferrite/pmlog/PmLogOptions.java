package io.ferrite.pmlog;

/** Options of a {@link PmLog}. SKELETON: completed with issue 2. */
public final class PmLogOptions {
    public static PmLogOptions defaults() {
        return new PmLogOptions();
    }
}
