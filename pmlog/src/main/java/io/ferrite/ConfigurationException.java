package io.ferrite;

/**
 * A context object's options do not go together: thrown by every {@code conclude()}
 * ({@code MediaOptions}, {@code PmLogOptions}, {@code SwizzleOptions}, {@code HeapOptions},
 * {@code Store.Context}) and by a system property that does not parse. The message names the
 * option or the combination ({@code "backend=jdk-sync ... addressHint"}) and the values given.
 * Nothing was opened or written when this is thrown.
 */
public class ConfigurationException extends FerriteException {
    private static final long serialVersionUID = 1L;

    public ConfigurationException(String message) {
        super(message, "");
    }

    public ConfigurationException(String message, String hint) {
        super(message, hint);
    }

    /** A required option left null: the message names it. */
    public static <T> T requireSet(T value, String what) {
        if (value == null) {
            throw new ConfigurationException(what + " must not be null");
        }
        return value;
    }
}
