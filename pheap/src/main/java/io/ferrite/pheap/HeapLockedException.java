package io.ferrite.pheap;

import io.ferrite.FerriteException;
import java.util.Optional;

/**
 * The pool's writer lock cannot be taken: another writer holds it, in this process or another one
 * ({@link #holder()} names it: pid, host, thread, since when), or the lock file cannot be used (a
 * symbolic link, not a plain file of the pool's owner, not creatable); the message says which.
 */
public class HeapLockedException extends FerriteException {
    private static final long serialVersionUID = 1L;
    private final String holder;

    public HeapLockedException(String message, String hint) {
        this(message, hint, (Throwable) null);
    }

    public HeapLockedException(String message, String hint, Throwable cause) {
        super(message, hint, cause);
        this.holder = null;
    }

    /** Another writer holds the pool; {@code holder} says who, in words starting "pid N". */
    public HeapLockedException(String message, String hint, String holder) {
        super(message, hint, null);
        this.holder = holder;
    }

    /** Who holds the pool's writer lock, when that is why the lock was refused. */
    public Optional<String> holder() {
        return Optional.ofNullable(holder);
    }
}
