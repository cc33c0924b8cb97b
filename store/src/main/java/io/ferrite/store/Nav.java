package io.ferrite.store;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.PField;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;

/**
 * Reads of store objects by pool offset, either from applied memory (under a read lock) or
 * through a transaction (seeing its own writes), so that one traversal serves both.
 */
abstract class Nav {
    /** The offset a pointer field holds (0 = null); a pointer outside the pool is {@link Mem#BAD}. */
    abstract long ptr(long obj, PField f);

    abstract long i64(long obj, PField f);

    /** The bytes of the blob at {@code off}, or null if its length is impossible. */
    abstract byte[] blob(long off);

    static final class Raw extends Nav {
        private final Mem mem;

        Raw(Mem mem) {
            this.mem = mem;
        }

        @Override
        long ptr(long obj, PField f) {
            return mem.ptr(obj, f);
        }

        @Override
        long i64(long obj, PField f) {
            return mem.i64(obj, f);
        }

        @Override
        byte[] blob(long off) {
            return mem.blob(off);
        }
    }

    static final class InTx extends Nav {
        private final Heap heap;
        private final Tx tx;

        InTx(Heap heap, Tx tx) {
            this.heap = heap;
            this.tx = tx;
        }

        @Override
        long ptr(long obj, PField f) {
            Ref r = tx.getRef(heap.ref(obj), f);
            return r == null ? 0 : r.offset();
        }

        @Override
        long i64(long obj, PField f) {
            return tx.getLong(heap.ref(obj), f);
        }

        @Override
        byte[] blob(long off) {
            return tx.getBytes(heap.ref(off));
        }
    }
}
