package io.ferrite.cli;

import io.ferrite.FerriteException;

/**
 * An error a command reports as one line, with the exit code it ends with
 * ({@link Ferrite#EXIT_USAGE} for operational problems, {@link Ferrite#EXIT_ERRORS_LEFT} when the
 * pool is damaged so that the command cannot do its job).
 */
final class ToolException extends FerriteException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    ToolException(int exitCode, String message, String hint) {
        super(message, hint);
        this.exitCode = exitCode;
    }

    ToolException(int exitCode, String message, String hint, Throwable cause) {
        super(message, hint, cause);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }

    static ToolException usage(String message, String hint) {
        return new ToolException(Ferrite.EXIT_USAGE, message, hint);
    }

    static ToolException usage(String message, String hint, Throwable cause) {
        return new ToolException(Ferrite.EXIT_USAGE, message, hint, cause);
    }

    static ToolException damaged(String message, String hint) {
        return new ToolException(Ferrite.EXIT_ERRORS_LEFT, message, hint);
    }

    static ToolException damaged(String message, String hint, Throwable cause) {
        return new ToolException(Ferrite.EXIT_ERRORS_LEFT, message, hint, cause);
    }
}
