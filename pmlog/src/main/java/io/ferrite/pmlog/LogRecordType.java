package io.ferrite.pmlog;

/**
 * The one table of the record types Ferrite itself writes into a log (the {@code type} field of
 * {@link LogRecordDescriptor}). Values {@code 0xFF00..0xFFFF} are reserved for the log and for
 * replication; an application that uses pmlog on its own may use any other value; a heap's log
 * holds {@link #REDO} records (and, once replication exists, the reserved ones).
 *
 * <table>
 * <caption>Record types</caption>
 * <tr><th>type</th><th>value</th><th>written by</th><th>delivered to readers</th></tr>
 * <tr><td>REDO</td><td>{@value #REDO_CODE}</td><td>pheap: one per transaction (payload: pheap's {@code RedoRecordDescriptor})</td><td>yes</td></tr>
 * <tr><td>SEAL</td><td>{@value #SEAL_CODE}</td><td>reserved: the drain's final record (final LSN, term)</td><td>yes</td></tr>
 * <tr><td>TERM_CHANGE</td><td>{@value #TERM_CHANGE_CODE}</td><td>reserved: promotion, the first record of a new term</td><td>yes</td></tr>
 * <tr><td>CHECKPOINT_MARKER</td><td>{@value #CHECKPOINT_MARKER_CODE}</td><td>reserved: a checkpoint's LSN, for replicas and archives</td><td>yes</td></tr>
 * <tr><td>PADDING</td><td>{@value #PADDING_CODE} (0xFFFF)</td><td>pmlog: the ring end before a wrap; a failed reservation</td><td>never (frames only)</td></tr>
 * </table>
 *
 * <p>The values are part of the format: they never change; a new type takes a new value.
 */
public enum LogRecordType {
    REDO(LogRecordType.REDO_CODE, "redo"),
    SEAL(LogRecordType.SEAL_CODE, "seal"),
    TERM_CHANGE(LogRecordType.TERM_CHANGE_CODE, "term-change"),
    CHECKPOINT_MARKER(LogRecordType.CHECKPOINT_MARKER_CODE, "checkpoint-marker"),
    PADDING(LogRecordType.PADDING_CODE, "padding");

    /** A heap transaction's redo record. */
    public static final short REDO_CODE = 1;
    /** Reserved for replication: the final record of a drained primary. */
    public static final short SEAL_CODE = (short) 0xFFFC;
    /** Reserved for replication: the first record of a new term. */
    public static final short TERM_CHANGE_CODE = (short) 0xFFFD;
    /** Reserved for replication and archives: a checkpoint's LSN. */
    public static final short CHECKPOINT_MARKER_CODE = (short) 0xFFFE;
    /** A padding record: fills the ring end before a wrap, or a reservation whose append failed. */
    public static final short PADDING_CODE = (short) 0xFFFF;
    /** The first value reserved for the log and replication; applications use values below it. */
    public static final int RESERVED_FROM = 0xFF00;

    private final short code;
    private final String label;

    LogRecordType(short code, String label) {
        this.code = code;
        this.label = label;
    }

    /** The value in the record header's type field. */
    public short code() {
        return code;
    }

    /** A short lower-case name, for tools. */
    public String label() {
        return label;
    }

    /** The type with this value, or null when it is none of Ferrite's (an application's own type). */
    public static LogRecordType of(short code) {
        for (LogRecordType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }

    /** True for values reserved for the log and replication ({@code 0xFF00..0xFFFF}). */
    public static boolean isReserved(short code) {
        return (code & 0xFFFF) >= RESERVED_FROM;
    }
}
