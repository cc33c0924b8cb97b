package io.ferrite.store;

import io.ferrite.pheap.Durability;
import io.ferrite.pheap.PField;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.StampedLock;

/**
 * The store transaction of one thread: a pheap {@link Tx} plus the collection locks it holds
 * until it commits or aborts. Handed to the body of {@link Store#inTransaction}; collection
 * operations called by that thread inside the body join it. One object per thread and store,
 * reused: do not keep it after the body returns.
 *
 * <p>Locks: an operation inside a transaction takes its collection's lock (a hash map's stripe, a
 * sorted map's or list's write lock) and keeps it to the end, so the transaction is isolated from
 * other threads' operations on what it touched. A lock that cannot be taken within
 * {@link Store.Context#lockTimeout} aborts the attempt; the body is then run again (deadlock
 * avoidance), so it must not have side effects outside the store.
 */
public final class Transaction {
    /**
     * Thrown inside a body when a lock could not be taken in time; the attempt is retried. An
     * Error (stackless), so that a body catching RuntimeException does not swallow it; and the
     * attempt is doomed anyway: it is retried even if the body returns normally after catching it.
     */
    static final class LockConflict extends Error {
        private static final long serialVersionUID = 1L;
        static final LockConflict INSTANCE = new LockConflict();

        private LockConflict() {
            super("lock conflict", null, false, false);
        }
    }

    final Store store;
    final Thread thread;
    Tx tx;
    boolean active;
    /** True while a body of {@link Store#inTransaction} runs (operations join; locks may conflict). */
    boolean user;
    /** A lock could not be taken in this attempt: it must not commit. */
    boolean doomed;

    // held locks, released in reverse order at the end
    private StampedLock[] stamped = new StampedLock[8];
    private long[] stamps = new long[8];
    private int nStamped;
    private Lock[] locks = new Lock[4];
    private int nLocks;

    // hash-map splits of this transaction (of one map per transaction), published when it commits
    PersistentMap<?, ?> splitMap;
    long splitLp;
    /** Bucket pages and directory pages the splits allocated, by index (null until the first). */
    java.util.Map<Integer, Ref> splitPages;
    java.util.Map<Integer, Ref> splitDir2s;


    // scratch results of a collection's lookup inside the transaction (one at a time)
    Ref fNode;
    Ref fPrev;
    Ref fEntryRef;
    byte[] fEntry;
    /** The found entry's value bytes (checked), when the lookup was asked for them. */
    byte[] fValue;
    Ref fPage;
    PField fSlot;

    // work to do after commit, before the locks are released (DRAM mirrors of applied state)
    private Runnable[] after = new Runnable[4];
    private int nAfter;

    Transaction(Store store) {
        this.store = store;
        this.thread = Thread.currentThread();
    }

    /**
     * The pheap transaction underneath (its durability, the heap). Objects allocated through it are
     * not reachable from the store's root: {@code ferrite check} would count them as leaks.
     */
    public Tx heapTx() {
        checkActive();
        return tx;
    }

    public Store store() {
        return store;
    }

    private void checkActive() {
        if (!active || Thread.currentThread() != thread) {
            throw new IllegalStateException("store transaction is not active on this thread");
        }
    }

    /** Begins a transaction for one operation unless one is active; true when the caller owns it. */
    boolean beginOp() {
        if (active) {
            return false;
        }
        begin(false);
        return true;
    }

    void begin(boolean userBody) {
        store.ensureOpen();
        tx = store.heap().begin(Durability.SYNC);
        active = true;
        user = userBody;
        doomed = false;
    }

    void lockStripe(StampedLock l) {
        for (int i = 0; i < nStamped; i++) {
            if (stamped[i] == l) {
                return;
            }
        }
        long s;
        if (!user && nStamped == 0 && nLocks == 0) {
            s = l.writeLock();
        } else {
            try {
                s = l.tryWriteLock(store.lockTimeoutNanos, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("interrupted while waiting for a collection lock", "");
            }
            if (s == 0) {
                doomed = true;
                throw LockConflict.INSTANCE;
            }
        }
        addStamped(l, s);
    }

    /** Takes {@code l} only if free now (no waiting); true when held after the call. */
    boolean tryLockStripe(StampedLock l) {
        for (int i = 0; i < nStamped; i++) {
            if (stamped[i] == l) {
                return true;
            }
        }
        long s = l.tryWriteLock();
        if (s == 0) {
            return false;
        }
        addStamped(l, s);
        return true;
    }

    private void addStamped(StampedLock l, long s) {
        if (nStamped == stamped.length) {
            stamped = Arrays.copyOf(stamped, nStamped * 2);
            stamps = Arrays.copyOf(stamps, nStamped * 2);
        }
        stamped[nStamped] = l;
        stamps[nStamped++] = s;
    }

    boolean holds(Lock l) {
        for (int i = 0; i < nLocks; i++) {
            if (locks[i] == l) {
                return true;
            }
        }
        return false;
    }

    void lock(Lock l) {
        if (holds(l)) {
            return;
        }
        if (!user && nStamped == 0 && nLocks == 0) {
            l.lock();
        } else {
            boolean ok;
            try {
                ok = l.tryLock(store.lockTimeoutNanos, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("interrupted while waiting for a collection lock", "");
            }
            if (!ok) {
                doomed = true;
                throw LockConflict.INSTANCE;
            }
        }
        addLock(l);
    }

    boolean tryLock(Lock l) {
        if (holds(l)) {
            return true;
        }
        if (!l.tryLock()) {
            return false;
        }
        addLock(l);
        return true;
    }

    private void addLock(Lock l) {
        if (nLocks == locks.length) {
            locks = Arrays.copyOf(locks, nLocks * 2);
        }
        locks[nLocks++] = l;
    }

    void afterCommit(Runnable r) {
        if (nAfter == after.length) {
            after = Arrays.copyOf(after, nAfter * 2);
        }
        after[nAfter++] = r;
    }

    /** Commits, publishes the DRAM mirrors, releases the locks. */
    void commit() {
        try {
            tx.commit();
        } catch (RuntimeException | Error e) {
            end(false);
            throw e;
        }
        end(true);
    }

    /** Aborts if still active and releases everything. */
    void abortIfActive() {
        if (active) {
            tx.abort();
            end(false);
        }
    }

    private void end(boolean committed) {
        try {
            if (committed) {
                if (splitMap != null) {
                    splitMap.publishSplit(this);
                }
                for (int i = 0; i < nAfter; i++) {
                    after[i].run();
                }
            }
        } finally {
            Arrays.fill(after, 0, nAfter, null);
            nAfter = 0;
            splitMap = null;
            splitPages = null;
            splitDir2s = null;
            fNode = fPrev = fEntryRef = fPage = null;
            fEntry = null;
            fValue = null;
            fSlot = null;
            active = false;
            user = false;
            tx = null;
            for (int i = nStamped - 1; i >= 0; i--) {
                stamped[i].unlockWrite(stamps[i]);
                stamped[i] = null;
            }
            nStamped = 0;
            for (int i = nLocks - 1; i >= 0; i--) {
                locks[i].unlock();
                locks[i] = null;
            }
            nLocks = 0;
        }
    }
}
