package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DirtyLineSetTest {
    @Test
    void marksCoalesceIntoRunsAndDrainClears() {
        long size = 64L << 20;
        DirtyLineSet d = new DirtyLineSet(size);
        d.markDirty(100, 8);            // line 1
        d.markDirty(128, 64);           // line 2
        d.markDirty(4096 - 8, 16);      // lines 63, 64 (crosses a word)
        d.markDirty(3L << 20, 1 << 20); // 16384 lines in another chunk
        d.markDirty(size - 1, 1);       // last line
        assertTrue(d.isDirty(64));
        assertFalse(d.isDirty(0));
        List<long[]> runs = new ArrayList<>();
        long lines = d.drain((o, l) -> runs.add(new long[] {o, l}));
        assertEquals(2 + 2 + 16384 + 1, lines);
        assertArrayEquals(new long[] {64, 128}, runs.get(0));
        assertArrayEquals(new long[] {4096 - 64, 128}, runs.get(1));
        assertArrayEquals(new long[] {3L << 20, 1 << 20}, runs.get(2));
        assertArrayEquals(new long[] {size - 64, 64}, runs.get(3));
        assertEquals(4, runs.size());
        assertEquals(0, d.drain((o, l) -> fail("nothing left")));
        assertFalse(d.isDirty(64));
    }

    @Test
    void concurrentMarksAreNotLost() throws Exception {
        DirtyLineSet d = new DirtyLineSet(1 << 20);
        Thread[] ts = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int id = t;
            ts[t] = new Thread(() -> {
                for (int line = id; line < 16384; line += 2) {
                    d.markDirty(line * 64L, 1);
                }
            });
            ts[t].start();
        }
        for (Thread t : ts) {
            t.join();
        }
        assertEquals(16384, d.drain((o, l) -> { }));
    }
}
