package io.ferrite.pmlog;

import io.ferrite.FerriteException;

/**
 * The bytes are not a log this build can open: wrong magic, unknown format version, a size that
 * does not match the header, a region too small. The message names the file, the offset or field,
 * what was expected and what was found.
 */
public class LogFormatException extends FerriteException {
    private static final long serialVersionUID = 1L;

    public LogFormatException(String message, String hint) {
        super(message, hint);
    }
}
