package io.ferrite.cli;

/**
 * One thing {@code ferrite check} found.
 *
 * @param severity how bad
 * @param area     the structure: superblock, registry, slab table, slab, bitmap, log, pointer, reachability, free space
 * @param offset   pool (or file) offset of the structure, -1 when none applies
 * @param message  what is wrong, with the values
 * @param repair   what {@code --repair} does about it
 */
record Finding(Severity severity, String area, long offset, String message, Repair repair) {

    enum Severity {
        /** Damage: the pool is not consistent. */
        ERROR,
        /** The pool needs recovery (crash): replay, a torn log tail, a stale superblock copy. Recovery fixes it. */
        RECOVERY,
        /** Worth knowing, not wrong (a damaged redundant copy that nothing reads). */
        WARNING;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** How a finding line starts in text output. */
        String heading() {
            return this == RECOVERY ? "needs recovery" : label();
        }
    }

    /** The explicit repairs {@code check --repair} may apply. */
    enum Repair {
        NONE("no automatic repair"),
        /** Open the heap normally: replay the log, rewrite both superblocks, mark clean on close. */
        REPLAY("replay the log (open and close the heap)"),
        /** Zero the LSN word of the torn record after the last valid one. */
        DROP_TORN_TAIL("drop the torn log tail"),
        /** Free allocated objects no pointer path from the root reaches, in one logged transaction. */
        FREE_UNREACHABLE("free the unreachable objects");

        final String text;

        Repair(String text) {
            this.text = text;
        }
    }

    static Finding error(String area, long offset, String message) {
        return new Finding(Severity.ERROR, area, offset, message, Repair.NONE);
    }

    static Finding warning(String area, long offset, String message) {
        return new Finding(Severity.WARNING, area, offset, message, Repair.NONE);
    }

    boolean counts() {
        return severity != Severity.WARNING;
    }

    /** The finding as one line, raw (for JSON, which escapes it). */
    String line() {
        return severity.heading() + ": " + area + (offset >= 0 ? " @" + offset : "") + ": " + message
                + (repair == Repair.NONE ? "" : " [--repair: " + repair.text + "]");
    }

    /** The line safe for a terminal: messages quote type and field names from the pool. */
    @Override
    public String toString() {
        return Json.printable(line());
    }
}
