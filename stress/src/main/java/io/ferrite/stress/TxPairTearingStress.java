package io.ferrite.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * A transaction's apply against a direct reader of a 16-byte field pair (two int64 fields of one
 * object). The documented behaviour: isolation against a concurrent apply is the caller's
 * (docs/transactions.md, "Threads and isolation"; pheap's package notes), and aligned 8-byte
 * stores are the only atomic unit (docs/media.md, DESIGN section 3). So the reader may see the
 * pair mixed, one field old and one new, but each 8-byte field whole: old or new, never a word
 * made of bytes of both. After the commit returned, both fields are new.
 */
@JCStressTest
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "Read before the apply: both old.")
@Outcome(id = "2, 2, 1", expect = ACCEPTABLE, desc = "Read after the apply: both new.")
@Outcome(id = "1, 2, 1", expect = ACCEPTABLE_INTERESTING, desc = "Documented pair tearing: a old, b new (only 8-byte words are atomic).")
@Outcome(id = "2, 1, 1", expect = ACCEPTABLE_INTERESTING, desc = "Documented pair tearing: a new, b old (only 8-byte words are atomic).")
@Outcome(id = "0, .*, .*", expect = FORBIDDEN, desc = "Field a is neither old nor new: an 8-byte word tore.")
@Outcome(id = ".*, 0, .*", expect = FORBIDDEN, desc = "Field b is neither old nor new: an 8-byte word tore.")
@Outcome(id = ".*, .*, 0", expect = FORBIDDEN, desc = "After commit returned, the pair is not both new.")
@State
public class TxPairTearingStress {
    static final long OLD = 0x1111_1111_1111_1111L;
    static final long NEW = 0x2222_2222_2222_2222L;
    final Heap heap = SharedHeap.HeapHolder.HEAP;
    final Ref obj;

    public TxPairTearingStress() {
        try (Tx tx = heap.begin()) {
            Ref o = tx.allocate(SharedHeap.PAIR);
            tx.setLong(o, SharedHeap.A, OLD);
            tx.setLong(o, SharedHeap.B, OLD);
            tx.commit();
            obj = o;
        }
    }

    static int kind(long v) {
        return v == OLD ? 1 : v == NEW ? 2 : 0;
    }

    @Actor
    public void writer() {
        try (Tx tx = heap.begin()) {
            tx.setLong(obj, SharedHeap.A, NEW);
            tx.setLong(obj, SharedHeap.B, NEW);
            tx.commit();
        }
    }

    @Actor
    public void reader(III_Result r) {
        r.r1 = kind(heap.getLong(obj, SharedHeap.A));
        r.r2 = kind(heap.getLong(obj, SharedHeap.B));
    }

    @Arbiter
    public void check(III_Result r) {
        r.r3 = heap.getLong(obj, SharedHeap.A) == NEW && heap.getLong(obj, SharedHeap.B) == NEW ? 1 : 0;
        try (Tx tx = heap.begin()) {
            tx.free(obj);
            tx.commit();
        }
    }
}
