package io.ferrite.pheap;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZ_Result;

/**
 * Retirement exactly once. The owner's thread ends ({@code disown}) while another thread's free
 * empties the slab ({@code release}): whichever comes second sees it empty and unowned. Exactly one
 * of them must answer "retire": two would write two retire records for one slab, the second after
 * the index may have been reused (zeroing a live slab); none would leak the slab.
 */
@JCStressTest
@Outcome(id = "true, false", expect = ACCEPTABLE, desc = "Disown first, then the free emptied it: the free retires.")
@Outcome(id = "false, true", expect = ACCEPTABLE, desc = "The free first (still owned), then disown found it empty: disown retires.")
@Outcome(id = "true, true", expect = FORBIDDEN, desc = "Retired twice.")
@Outcome(id = "false, false", expect = FORBIDDEN, desc = "Never retired: the empty slab leaks.")
@State
public class SlabRetireOnceStress {
    final SlabAllocator.SlabState slab = Slabs.slab(4);

    public SlabRetireOnceStress() {
        slab.owned = true;
        slab.reserve();
    }

    @Actor
    public void free(ZZ_Result r) {
        r.r1 = slab.release(0);
    }

    @Actor
    public void ownerGone(ZZ_Result r) {
        r.r2 = slab.disown();
    }
}
