package io.ferrite.media;

import io.ferrite.FerriteException;

/** A file could not be mapped or persisted: the message names the path and what to do. */
public class MediaException extends FerriteException {
    private static final long serialVersionUID = 1L;

    public MediaException(String message, String hint) {
        super(message, hint);
    }

    public MediaException(String message, String hint, Throwable cause) {
        super(message, hint, cause);
    }
}
