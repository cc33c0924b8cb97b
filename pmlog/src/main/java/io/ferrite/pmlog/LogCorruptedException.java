package io.ferrite.pmlog;

import io.ferrite.FerriteException;

/**
 * A log's header is damaged (a checksum does not match, no valid head slot): the log cannot be
 * opened safely. Torn or garbage records at the tail are not this: they are dropped by tail
 * recovery and reported in {@link RecoveryInfo}.
 */
public class LogCorruptedException extends FerriteException {
    private static final long serialVersionUID = 1L;

    public LogCorruptedException(String message, String hint) {
        super(message, hint);
    }
}
