package io.ferrite;

/**
 * Base of every error Ferrite reports. The message says what is wrong and where (file, offset,
 * structure, values); {@link #hint()} names the {@code ferrite} command or the setting that helps,
 * so that an operator never needs a stack trace to act.
 */
public class FerriteException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String hint;

    public FerriteException(String message, String hint) {
        this(message, hint, null);
    }

    public FerriteException(String message, String hint, Throwable cause) {
        super(hint == null || hint.isEmpty() ? message : message + " (" + hint + ")", cause);
        this.hint = hint == null ? "" : hint;
    }

    /** What to run or change; empty when there is nothing an operator can do. */
    public String hint() {
        return hint;
    }
}
