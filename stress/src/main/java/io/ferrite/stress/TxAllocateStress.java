package io.ferrite.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Two transactions allocate an object of one type at once, through the whole allocation path
 * (per-thread current slab, the type's available list, fresh slabs, the bitmap's redo bit), and
 * write their own marker into it. The arbiter frees both, so slots are reused across samples and
 * slabs are retired and taken again while other samples allocate. The two objects must differ and
 * each must hold its own marker.
 */
@JCStressTest
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Two different objects, each holding its own transaction's marker.")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "Both transactions got the same object.")
@Outcome(id = ".*, 0", expect = FORBIDDEN, desc = "An object does not hold its transaction's marker: its slot was written by the other.")
@State
public class TxAllocateStress {
    final Heap heap = SharedHeap.HeapHolder.HEAP;
    Ref r1;
    Ref r2;

    private Ref allocate(long marker) {
        try (Tx tx = heap.begin()) {
            Ref o = tx.allocate(SharedHeap.PAIR);
            tx.setLong(o, SharedHeap.A, marker);
            tx.commit();
            return o;
        }
    }

    @Actor
    public void a1() {
        r1 = allocate(1);
    }

    @Actor
    public void a2() {
        r2 = allocate(2);
    }

    @Arbiter
    public void check(II_Result r) {
        r.r1 = r1.offset() != r2.offset() ? 1 : 0;
        r.r2 = heap.getLong(r1, SharedHeap.A) == 1 && heap.getLong(r2, SharedHeap.A) == 2 ? 1 : 0;
        try (Tx tx = heap.begin()) {
            tx.free(r1);
            if (r1.offset() != r2.offset()) {
                tx.free(r2);
            }
            tx.commit();
        }
    }
}
