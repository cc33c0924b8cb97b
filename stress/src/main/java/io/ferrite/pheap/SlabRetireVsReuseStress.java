package io.ferrite.pheap;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZ_Result;

/**
 * Slab retirement racing reuse. The slab is unowned, on its type's available list, with one live
 * slot. One thread's applied free empties it ({@code release} returns true when the caller must
 * retire it); another thread's allocation has just polled it from the list and takes ownership
 * ({@code takeOwnership} refuses a slab being retired). Exactly one wins: a retired slab is never
 * reused (its index goes back to the free slabs and may become another type's), and an empty slab
 * is never left neither retired nor owned.
 */
@JCStressTest
@Outcome(id = "true, false", expect = ACCEPTABLE, desc = "The free emptied it first: retired once; the allocation moves on.")
@Outcome(id = "false, true", expect = ACCEPTABLE, desc = "The allocation took it first: owned, not retired.")
@Outcome(id = "true, true", expect = FORBIDDEN, desc = "Retired and reused at once: a live slab would be zeroed.")
@Outcome(id = "false, false", expect = FORBIDDEN, desc = "Neither: the empty slab is lost.")
@State
public class SlabRetireVsReuseStress {
    final SlabAllocator.SlabState slab = Slabs.slab(4);

    public SlabRetireVsReuseStress() {
        slab.owned = true;
        slab.reserve();
        slab.disown(); // unowned, one live slot: queued as available
    }

    @Actor
    public void free(ZZ_Result r) {
        r.r1 = slab.release(0);
    }

    @Actor
    public void allocate(ZZ_Result r) {
        r.r2 = slab.takeOwnership();
    }
}
