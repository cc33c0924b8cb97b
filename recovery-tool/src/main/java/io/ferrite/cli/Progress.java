package io.ferrite.cli;

import java.io.PrintStream;

/**
 * A progress bar on the terminal for long runs: drawn on standard error only when standard output
 * is a terminal, first after half a second (short runs stay quiet), redrawn at most ten times a
 * second, and erased when done. Not a terminal (a pipe, a file, a test): prints nothing.
 */
final class Progress implements AutoCloseable {
    private static final long FIRST_DRAW_NANOS = 500_000_000L;
    private static final long REDRAW_NANOS = 100_000_000L;
    private final String label;
    private final long total;
    private final boolean enabled;
    private final PrintStream out;
    private final long started = System.nanoTime();
    private long lastDraw;
    private boolean drawn;

    Progress(String label, long total, boolean enabled) {
        this.label = label;
        this.total = Math.max(1, total);
        this.enabled = enabled;
        this.out = System.err;
    }

    /** True when standard output is an interactive terminal. */
    static boolean terminal() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    void update(long done) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (now - started < FIRST_DRAW_NANOS || now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        drawn = true;
        int width = 30;
        long d = Math.min(done, total);
        int filled = (int) (width * d / total);
        out.print("\r" + label + " [" + "=".repeat(filled) + " ".repeat(width - filled) + "] "
                + (100 * d / total) + "% (" + d + "/" + total + ")");
        out.flush();
    }

    @Override
    public void close() {
        if (drawn) {
            out.print("\r" + " ".repeat(label.length() + 60) + "\r");
            out.flush();
        }
    }
}
