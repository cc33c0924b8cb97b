package io.ferrite.store;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.PField;
import io.ferrite.pheap.PoolView;
import io.ferrite.pheap.format.BlobHeaderDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Direct reads of applied pool memory, for the read paths that run outside a transaction (under a
 * read lock, or optimistically and validated after), through pheap's read-only {@link PoolView}. Pointer fields hold absolute addresses; they
 * are turned into pool offsets against the heap's current base and range-checked, so a torn or
 * corrupted pointer is seen as such instead of being followed out of the pool.
 */
final class Mem {
    static final ValueLayout.OfLong U64 = EntryDescriptor.U64;
    static final ValueLayout.OfInt U32 = EntryDescriptor.U32;
    static final long BAD = -1;

    final MemorySegment seg;
    final long base;
    final long lo;
    /** The pool's size is read at every check: a pool that grows has more slab area after. */
    private final PoolView view;
    final String pool;

    Mem(Heap heap) {
        PoolView view = PoolView.of(heap);
        this.seg = view.segment();
        this.base = view.baseAddress();
        this.lo = view.slabAreaOffset();
        this.view = view;
        this.pool = view.poolName();
    }

    /** End of the slab area now (the pool's size). */
    long hi() {
        return view.poolSize();
    }

    /** The pool offset a pointer field holds: 0 for null, {@link #BAD} when it points outside the slab area. */
    long ptr(long obj, long fieldOffset) {
        long a = seg.get(U64, obj + fieldOffset);
        if (a == 0) {
            return 0;
        }
        long off = a - base;
        return off >= lo && off < hi() && (off & 7) == 0 ? off : BAD;
    }

    long ptr(long obj, PField f) {
        return ptr(obj, f.offset());
    }

    /**
     * The most objects of {@code type} the pool's slab area can hold: no walk over links between
     * such objects can legitimately take more steps, so it bounds every walk whose collection's
     * own count is itself impossible (a walk past it is a loop, not a long chain).
     */
    long capacity(io.ferrite.pheap.PType type) {
        return (hi() - lo) / type.size();
    }

    /**
     * A node count read from a collection header at {@code hdr}, checked against what the pool can
     * hold ({@code capacity} nodes): an impossible one is reported, as it could not bound a walk.
     */
    long count(String collection, long hdr, long n, long capacity, String nodes) {
        if (n < 0 || n > capacity) {
            throw new CorruptedEntryException(collection, null, hdr, "impossible size " + n + " (the pool holds at most " + capacity
                    + " " + nodes + ")", pool);
        }
        return n;
    }

    long i64(long obj, PField f) {
        return seg.get(U64, obj + f.offset());
    }

    /** The entry bytes of the blob at {@code off}, or null when its length is impossible. */
    byte[] blob(long off) {
        long len = seg.get(U32, BlobHeaderDescriptor.lengthOffset(off)) & 0xffffffffL;
        long data = BlobHeaderDescriptor.dataOffset(off);
        if (len > hi() - data || len > Integer.MAX_VALUE - 16) {
            return null;
        }
        byte[] b = new byte[(int) len];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, data, b, 0, (int) len);
        return b;
    }
}
