package io.ferrite.pmlog;

import io.ferrite.FerriteException;

/** An append found no room in the ring (after the {@code onFull} hook and any configured wait). */
public class LogFullException extends FerriteException {
    private static final long serialVersionUID = 1L;

    public LogFullException(String message, String hint) {
        super(message, hint);
    }
}
