package io.ferrite.pmlog;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Tells threads that wait for the durable LSN to pass a point (shippers, tailing readers) that it
 * moved, without their spinning and without cost to the commit path when nobody waits.
 *
 * <p>Whoever publishes a new durable LSN (the group-commit leader, the mirror append) calls
 * {@link #published()} after the volatile store of the durable LSN: that is one volatile read of
 * {@code waiting} when nobody waits. A waiter increments {@code waiting} (a volatile store, under
 * the lock) before it reads the durable LSN; both sides store, then load, volatiles, so at least one
 * of them sees the other: either the waiter sees the new durable LSN, or the publisher sees the
 * waiter and signals under the lock, which the waiter holds until it sleeps on the condition.
 * These waiters are apart from the commit path's parked appenders on purpose: a shipper that is
 * slow to wake must not delay an appender's wake-up, and vice versa.
 */
final class DurableSignal {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition advanced = lock.newCondition();
    /** Threads inside {@link #await}; written under the lock, read by publishers without it. */
    private volatile int waiting;

    /** Called after each publication of a new durable LSN (and at close). */
    void published() {
        if (waiting != 0) {
            lock.lock();
            try {
                advanced.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Waits until {@code ring}'s durable LSN is above {@code lsn}, the log is closed, the timeout
     * passes or the thread is interrupted (its interrupt flag is then set again); returns the
     * durable LSN seen last.
     */
    long await(LogRing ring, long lsn, long timeout, TimeUnit unit) {
        long d = ring.durable.lv();
        if (d > lsn || timeout <= 0 || ring.closed.get()) {
            return d;
        }
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            waiting++;
            try {
                while ((d = ring.durable.lv()) <= lsn && nanos > 0 && !ring.closed.get()) {
                    nanos = advanced.awaitNanos(nanos);
                }
            } finally {
                waiting--;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            d = ring.durable.lv();
        } finally {
            lock.unlock();
        }
        return d;
    }
}
