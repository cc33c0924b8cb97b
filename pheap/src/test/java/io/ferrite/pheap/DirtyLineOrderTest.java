package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A line written before it is marked dirty is either written back by a checkpoint that clears
 * its mark, or stays marked for the next one. The dangerous case is a mark that finds the bit
 * already set: the apply's data store may still sit in the store buffer when that load runs, so
 * a checkpoint that clears the bit and writes the line back in between misses the store, and no
 * mark is left to catch it.
 *
 * <p>A bounded stress test (a jcstress test of the same shape belongs to the stress module): an
 * applier stores round number r into a word of a line whose bit is set and marks it, while a
 * checkpointer drains the marks and "writes back" (copies) the line; after each round the line
 * must be dirty or its written-back copy must hold r.
 */
class DirtyLineOrderTest {
    @Test
    void aLineStoredBeforeItsMarkIsWrittenBackOrStaysDirty() throws Exception {
        int maxRounds = 2_000_000;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        DirtyLineSet d = new DirtyLineSet(4096);
        long off = 1024; // line 16: its mark and its data are on different cache lines
        try (Arena arena = Arena.ofShared()) {
            MemorySegment pool = arena.allocate(4096, 64);
            AtomicLong start = new AtomicLong();
            AtomicLong done = new AtomicLong();
            AtomicReference<Throwable> error = new AtomicReference<>();
            long[] writtenBack = new long[1];
            DirtyLineSet.RangeSink writeBack = (o, l) -> {
                if (o <= off && off < o + l) {
                    writtenBack[0] = pool.get(ValueLayout.JAVA_LONG, off);
                }
            };
            d.markDirty(off, 8); // round 0: the word holds 0, written back as 0, bit set
            Thread applier = new Thread(() -> {
                try {
                    for (long r = 1; ; r++) {
                        long s;
                        while ((s = start.get()) < r && s >= 0) {
                            Thread.onSpinWait();
                        }
                        if (s < 0) {
                            return;
                        }
                        pool.set(ValueLayout.JAVA_LONG, off, r); // a plain store, as RedoApplier's
                        d.markDirty(off, 8);
                        done.set(r);
                    }
                } catch (Throwable e) {
                    error.set(e);
                }
            }, "applier");
            applier.start();
            long rounds = 0;
            long lost = 0;
            long stillDirty = 0;
            try {
                for (long r = 1; r <= maxRounds && System.nanoTime() - deadline < 0; r++) {
                    int delay = (int) ((r * 0x9E3779B97F4A7C15L >>> 33) % 9); // 0..8 pauses: vary how the two meet
                    start.set(r);
                    for (int i = 0; i < delay; i++) {
                        Thread.onSpinWait();
                    }
                    d.drain(writeBack);
                    while (done.get() < r && error.get() == null) {
                        Thread.onSpinWait();
                    }
                    assertNull(error.get());
                    if (d.isDirty(off)) {
                        stillDirty++;
                        d.drain(writeBack);
                    } else if (writtenBack[0] != r) {
                        lost++;
                    }
                    writtenBack[0] = r;
                    d.markDirty(off, 8); // the next round starts with the bit set
                    rounds = r;
                }
            } finally {
                start.set(-1);
                applier.join(10_000);
            }
            assertNull(error.get());
            System.out.println("dirty line order: " + rounds + " rounds, " + stillDirty + " left dirty for the next"
                    + " checkpoint, " + lost + " stores missed by a checkpoint that cleared their mark");
            assertEquals(0, lost, "a line's store was neither written back nor left dirty in " + lost + " of " + rounds + " rounds");
        }
    }
}
