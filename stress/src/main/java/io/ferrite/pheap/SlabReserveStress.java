package io.ferrite.pheap;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Two threads reserve from one slab at once (the slab handed from the available list to a new
 * owner while the old one still allocates from it): slot 0 is taken, 1 and 2 free. Each must get
 * a different free slot; the slab counts three used.
 */
@JCStressTest
@Outcome(id = "1, 2, 3", expect = ACCEPTABLE, desc = "The first thread reserved first.")
@Outcome(id = "2, 1, 3", expect = ACCEPTABLE, desc = "The second thread reserved first.")
@Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "Both threads got slot 1: one slot handed out twice.")
@Outcome(id = "2, 2, .*", expect = FORBIDDEN, desc = "Both threads got slot 2: one slot handed out twice.")
@Outcome(id = "0, .*, .*", expect = FORBIDDEN, desc = "The live slot 0 was handed out again.")
@Outcome(id = ".*, 0, .*", expect = FORBIDDEN, desc = "The live slot 0 was handed out again.")
@Outcome(id = "-1, .*, .*", expect = FORBIDDEN, desc = "A free slot existed but the slab said full.")
@Outcome(id = ".*, -1, .*", expect = FORBIDDEN, desc = "A free slot existed but the slab said full.")
@Outcome(id = ".*, .*, [^3]", expect = FORBIDDEN, desc = "The used count is not 3: the slab's accounting is off.")
@State
public class SlabReserveStress {
    final SlabAllocator.SlabState slab = Slabs.slab(3);

    public SlabReserveStress() {
        slab.owned = true;
        slab.reserve();
    }

    @Actor
    public void a1(III_Result r) {
        r.r1 = slab.reserve();
    }

    @Actor
    public void a2(III_Result r) {
        r.r2 = slab.reserve();
    }

    @Arbiter
    public void check(III_Result r) {
        r.r3 = slab.usedCount();
    }
}
