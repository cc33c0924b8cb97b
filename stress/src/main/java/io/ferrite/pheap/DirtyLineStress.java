package io.ferrite.pheap;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * A line marked dirty after its data stores, against a concurrent checkpoint drain. The line is
 * already dirty (an earlier apply), so {@code markDirty} may find its bit set and skip the OR;
 * the drain clears the bit and "writes the line back" (here: reads the word, as the write-back
 * that follows the clear would persist it). The new value must reach the write-back, or the line
 * must stay dirty for the next checkpoint. The store-load case that {@code markDirty}'s full fence
 * exists for is the forbidden outcome.
 */
@JCStressTest
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "The drain's write-back holds the new value; line clean.")
@Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Written back with the new value and marked again (a spare write-back).")
@Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "The drain ran before the store; the line stays dirty for the next checkpoint.")
@Outcome(id = "0, 0", expect = FORBIDDEN, desc = "Written back without the new value and clean: the store is lost to checkpoints.")
@Outcome(id = "-1, .*", expect = FORBIDDEN, desc = "The drain did not report the line that was dirty before it began.")
@State
public class DirtyLineStress {
    final DirtyLineSet lines = new DirtyLineSet(4096);
    final MemorySegment pool = MemorySegment.ofArray(new long[512]);
    long writtenBack = -1;

    public DirtyLineStress() {
        lines.markDirty(128, 8);
    }

    @Actor
    public void apply() {
        pool.set(ValueLayout.JAVA_LONG, 128, 1L);
        lines.markDirty(128, 8);
    }

    @Actor
    public void checkpoint() {
        lines.drain((offset, length) -> {
            if (offset <= 128 && 128 < offset + length) {
                writtenBack = pool.get(ValueLayout.JAVA_LONG, 128);
            }
        });
    }

    @Arbiter
    public void check(II_Result r) {
        r.r1 = (int) writtenBack;
        r.r2 = lines.isDirty(128) ? 1 : 0;
    }
}
