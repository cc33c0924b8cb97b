package io.ferrite.store;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.Tx;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The locking and transaction pattern of the collections guarded by one read-write lock (sorted
 * map, list): reads outside a transaction share the read lock and read applied memory; writes,
 * and every operation inside a transaction, take the write lock until the transaction ends and
 * read through it (seeing its own writes). An operation outside a transaction is its own commit.
 */
final class Guarded {
    /** The body of a write: the transaction, a Nav over it, and whether the operation is its own commit. */
    interface WriteBody<T> {
        T apply(Tx tx, Nav nav, boolean standalone);
    }

    private final Store store;
    private final Heap heap;
    private final Nav.Raw raw;
    private final ReentrantReadWriteLock rw = new ReentrantReadWriteLock();

    Guarded(Store store) {
        this.store = store;
        this.heap = store.heap();
        this.raw = new Nav.Raw(store.mem);
    }

    /** Begins a read: the Nav to use; call {@link #endRead} in a finally block. */
    Nav beginRead() {
        Transaction t = store.txState();
        if (t.active) {
            t.lock(rw.writeLock());
            return new Nav.InTx(heap, t.tx);
        }
        rw.readLock().lock();
        try {
            store.ensureOpen();
        } catch (RuntimeException e) {
            rw.readLock().unlock();
            throw e;
        }
        return raw;
    }

    void endRead(Nav nav) {
        if (nav == raw) {
            rw.readLock().unlock();
        }
    }

    /** Runs {@code body} under the write lock, in the current transaction or as its own commit. */
    <T> T write(WriteBody<T> body) {
        Transaction t = store.txState();
        boolean own = t.beginOp();
        try {
            t.lock(rw.writeLock());
            T r = body.apply(t.tx, new Nav.InTx(heap, t.tx), own);
            if (own) {
                t.commit();
            }
            return r;
        } finally {
            if (own) {
                t.abortIfActive();
            }
        }
    }
}
