package io.ferrite.pheap;

import java.time.Duration;

/**
 * The heap's admission gate ({@link Heap#admission()}): while it is closed, every new
 * transaction ({@link Heap#begin()}), every commit that has not started appending and every
 * record of the heap's own fails at once with {@link AdmissionClosedException}; commits that
 * passed the gate before it closed finish (append, wait for their durability, apply). A power
 * event's drain closes it, waits for {@link #awaitInFlight}, then ships the log.
 *
 * <p>Threading: any thread may close, reopen and wait. A commit marks itself in flight (a
 * volatile store in its thread's context) and then reads the gate (a volatile load); closing
 * writes the gate and then reads the marks: so either the commit sees the gate closed and
 * refuses itself, or the closer sees it in flight and {@link #awaitInFlight} waits for it. The
 * commit path pays one volatile store and one volatile load, and takes the gate's monitor only
 * while the gate is closed (to wake a waiter). Nothing here is durable: a reopened heap starts
 * with the gate open.
 */
public final class AdmissionGate {
    private final Iterable<ThreadCtx> contexts;
    private final String poolName;
    /** Why the gate is closed; null while it is open. */
    private volatile String closedReason;

    AdmissionGate(Iterable<ThreadCtx> contexts, String poolName) {
        this.contexts = contexts;
        this.poolName = poolName;
    }

    /** Closes the gate: new transactions and commits fail with {@code reason} in their message. */
    public void close(String reason) {
        closedReason = reason == null || reason.isEmpty() ? "closed" : reason;
    }

    /** Opens the gate again: transactions are admitted from now on. */
    public void reopen() {
        closedReason = null;
    }

    public boolean isOpen() {
        return closedReason == null;
    }

    /** Why the gate is closed, or null while it is open. */
    public String reason() {
        return closedReason;
    }

    /**
     * Waits until no commit that passed the gate is still in flight, at most {@code timeout};
     * returns true when none is (at once if the gate is open and nothing commits). Commits that
     * arrive after the gate closed are refused, so while it stays closed the answer can only go
     * from false to true.
     */
    public boolean awaitInFlight(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (anyInFlight()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                // a commit that ends while the gate is closed notifies under this monitor
                long ms = Math.max(1, left / 1_000_000);
                wait(Math.min(ms, 100));
            }
            return true;
        }
    }

    private boolean anyInFlight() {
        for (ThreadCtx c : contexts) {
            if (c.committing) {
                return true;
            }
        }
        return false;
    }

    /** Admits the commit of {@code c} or refuses it; the caller calls {@link #exit} after an admitted one. */
    void enter(ThreadCtx c) {
        c.committing = true;
        String why = closedReason;
        if (why != null) {
            exit(c);
            throw refused(why);
        }
    }

    /** The commit of {@code c} is done (applied, handed over as ASYNC, or failed). */
    void exit(ThreadCtx c) {
        c.committing = false;
        if (closedReason != null) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** Refuses a new transaction at once while the gate is closed. */
    void checkBegin() {
        String why = closedReason;
        if (why != null) {
            throw refused(why);
        }
    }

    private AdmissionClosedException refused(String why) {
        return new AdmissionClosedException("pool " + poolName + " admits no transactions: its admission gate is closed (" + why
                + ")", "retry once the heap admits transactions again (heap.admission().reopen())");
    }
}
