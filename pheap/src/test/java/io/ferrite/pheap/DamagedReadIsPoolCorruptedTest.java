package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.pheap.format.BlobHeaderDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * Damage found while reading an open pool (a pointer word outside the slab area, a blob length
 * past its object) is a {@link PoolCorruptedException} naming the pool offset, like the damage
 * open finds: a caller (and the CLI's exit code) tells it from a bug by its type.
 */
class DamagedReadIsPoolCorruptedTest {
    @Test
    void aPointerOutsideTheSlabAreaAndABlobLengthPastItsObjectArePoolCorrupted() {
        try (Pools p = new Pools("damagedread"); Heap h = p.create()) {
            Ref a;
            Ref s;
            try (Tx tx = h.begin()) {
                a = tx.allocate(HeapTest.NODE);
                s = tx.allocateString("hello");
                tx.setRef(a, HeapTest.BLOB, s);
                tx.commit();
            }
            MemorySegment seg = h.media().segment();
            long ptr = a.offset() + HeapTest.NEXT.offset();
            seg.set(ValueLayout.JAVA_LONG, ptr, h.baseAddress() + 8);
            PoolCorruptedException e = assertThrows(PoolCorruptedException.class, () -> h.getRef(a, HeapTest.NEXT));
            assertTrue(e.getMessage().contains("pool offset " + ptr) && e.getMessage().contains("ferrite check"), e.getMessage());
            try (Tx tx = h.begin()) {
                assertThrows(PoolCorruptedException.class, () -> tx.getRef(a, HeapTest.NEXT));
            }
            seg.set(ValueLayout.JAVA_LONG, ptr, 0L);
            seg.set(ValueLayout.JAVA_INT, BlobHeaderDescriptor.lengthOffset(s.offset()), 1 << 20);
            try (Tx tx = h.begin()) {
                e = assertThrows(PoolCorruptedException.class, () -> tx.getBytes(s));
                assertTrue(e.getMessage().contains("pool offset " + s.offset()) && e.getMessage().contains("ferrite check"),
                        e.getMessage());
            }
        }
    }
}
