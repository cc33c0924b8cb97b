package io.ferrite.store;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The layouts the store's direct reads rely on: pheap's blob header (mirrored in
 * {@link EntryDescriptor}, since pheap keeps its constants package-private), the entry layout
 * constants, and round trips of entries.
 */
class LayoutTest {
    @Test
    void entryConstantsMatchTheirLayout() {
        assertEquals(EntryDescriptor.CRC_OFFSET, EntryDescriptor.LAYOUT.byteOffset(PathElement.groupElement("crc")));
        assertEquals(EntryDescriptor.KEY_LENGTH_OFFSET, EntryDescriptor.LAYOUT.byteOffset(PathElement.groupElement("keyLength")));
        assertEquals(EntryDescriptor.HEADER_LENGTH, EntryDescriptor.LAYOUT.byteSize());
        assertEquals(EntryDescriptor.KEY_OFFSET, EntryDescriptor.HEADER_LENGTH);
    }

    @Test
    void entriesRoundTripAndDamageIsSeen() {
        Random rnd = new Random(11);
        for (int i = 0; i < 200; i++) {
            byte[] k = new byte[rnd.nextInt(40)];
            byte[] v = new byte[rnd.nextInt(300)];
            rnd.nextBytes(k);
            rnd.nextBytes(v);
            byte[] e = EntryDescriptor.build(k, v);
            assertNull(EntryDescriptor.problem(e));
            assertTrue(EntryDescriptor.keyEquals(e, k));
            assertEquals(v.length, EntryDescriptor.valueLength(e));
            int at = rnd.nextInt(e.length);
            e[at] ^= (byte) (1 << rnd.nextInt(8));
            assertNotNull(EntryDescriptor.problem(e), "a flipped bit at " + at + " is seen");
        }
        assertNotNull(EntryDescriptor.problem(new byte[3]));
    }

    @Test
    void pheapBlobHeaderIsWhatTheDirectReadsAssume() {
        try (TestPools p = new TestPools("layout"); Store s = p.create(TestPools.context())) {
            byte[] bytes = EntryDescriptor.build("key".getBytes(), "value".getBytes());
            Ref blob;
            try (Tx tx = s.heap().begin()) {
                blob = tx.allocateBytes(bytes);
                tx.commit();
            }
            MemorySegment seg = s.heap().media().segment();
            assertEquals(bytes.length, seg.get(EntryDescriptor.U32, io.ferrite.pheap.format.BlobHeaderDescriptor.lengthOffset(blob.offset())));
            byte[] raw = new byte[bytes.length];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, io.ferrite.pheap.format.BlobHeaderDescriptor.dataOffset(blob.offset()), raw, 0, raw.length);
            assertArrayEquals(bytes, raw);
            assertArrayEquals(bytes, s.mem.blob(blob.offset()));
        }
    }
}
