package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.pheap.format.BlobHeaderDescriptor;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link PoolView}: reads what the heap applied, converts pointers to offsets, and cannot write. */
class PoolViewTest {
    @Test
    void readsAppliedMemoryAndCannotWrite() {
        try (Pools p = new Pools("poolview"); Heap h = p.create()) {
            Ref root = h.root(HeapTest.ROOT);
            Ref a;
            Ref s;
            try (Tx tx = h.begin()) {
                a = tx.allocate(HeapTest.NODE);
                s = tx.allocateString("hello");
                tx.setLong(a, HeapTest.KEY, 0x1122_3344_5566_7788L);
                tx.setInt(a, HeapTest.SMALL, -5);
                tx.setRef(a, HeapTest.BLOB, s);
                tx.setRef(root, HeapTest.HEAD, a);
                tx.commit();
            }
            PoolView v = PoolView.of(h);
            assertEquals(h.superblock().slabAreaOffset(), v.slabAreaOffset());
            assertEquals(h.superblock().poolSize(), v.poolSize());
            assertEquals(h.superblock().poolSize(), v.segment().byteSize());
            assertEquals(h.baseAddress(), v.baseAddress());
            assertEquals(p.path.toString(), v.poolName());
            assertEquals(0x1122_3344_5566_7788L, v.getLong(a.offset() + HeapTest.KEY.offset()));
            assertEquals(-5, v.getInt(a.offset() + HeapTest.SMALL.offset()));
            // a pointer field holds an absolute address; the view turns it back into the offset
            long head = v.getLong(root.offset() + HeapTest.HEAD.offset());
            assertEquals(v.addressOf(a.offset()), head);
            assertEquals(a.offset(), v.offsetOf(head));
            long blob = v.offsetOf(v.getLong(a.offset() + HeapTest.BLOB.offset()));
            assertEquals(s.offset(), blob);
            int len = v.getInt(BlobHeaderDescriptor.lengthOffset(blob));
            assertEquals("hello", new String(v.getBytes(BlobHeaderDescriptor.dataOffset(blob), len), StandardCharsets.UTF_8));
            assertTrue(v.segment().isReadOnly());
            RuntimeException w = assertThrows(IllegalArgumentException.class,
                    () -> v.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG, a.offset(), 1L));
            assertTrue(w.getMessage().contains("read-only"), w.getMessage());
            assertEquals(0x1122_3344_5566_7788L, h.getLong(a, HeapTest.KEY));
        }
    }
}
