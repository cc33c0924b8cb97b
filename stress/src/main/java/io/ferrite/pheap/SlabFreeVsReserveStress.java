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
 * A free racing an allocation in the same slab. The slab (two slots, both live) is owned by the
 * allocating thread; another thread's applied free gives slot 0 back ({@code release}) while the
 * owner reserves. Either the owner gets slot 0, or it finds the slab full and stops owning it, and
 * then the release queues the slab on its type's available list so that the freed slot is found
 * again. Never slot 1 (live), never a freed slot that no list leads to.
 */
@JCStressTest
@Outcome(id = "0, 0, 2", expect = ACCEPTABLE, desc = "Release first: the owner reused slot 0; the slab stays owned, not queued.")
@Outcome(id = "-1, 1, 1", expect = ACCEPTABLE, desc = "Reserve first: full, owner let go; the release queued the slab with slot 0 free.")
@Outcome(id = "-1, 0, .*", expect = FORBIDDEN, desc = "Slot 0 was freed but the unowned slab is on no list: the slot is lost.")
@Outcome(id = "1, .*, .*", expect = FORBIDDEN, desc = "The live slot 1 was handed out.")
@Outcome(id = "0, 1, .*", expect = FORBIDDEN, desc = "Owned slab queued as available: a second owner could take it.")
@Outcome(id = ".*, .*, [^12]", expect = FORBIDDEN, desc = "Used count off.")
@State
public class SlabFreeVsReserveStress {
    final SlabAllocator.SlabState slab = Slabs.slab(2);

    public SlabFreeVsReserveStress() {
        slab.owned = true;
        slab.reserve();
        slab.reserve();
    }

    @Actor
    public void owner(III_Result r) {
        r.r1 = slab.reserve();
    }

    @Actor
    public void freer() {
        slab.release(0);
    }

    @Arbiter
    public void check(III_Result r) {
        r.r2 = slab.type.available.contains(slab) ? 1 : 0;
        r.r3 = slab.usedCount();
    }
}
