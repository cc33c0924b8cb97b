package io.ferrite.swizzle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Round trips of the recorded-base word and the pointer word; pointer-map validation. */
class DescriptorTest {

    @Test
    void recordedBaseWordRoundTrips() {
        Random rnd = new Random(3);
        for (int i = 0; i < 100_000; i++) {
            long base = (1 + rnd.nextLong(1L << 47)) & RecordedBaseDescriptor.BASE_MASK;
            if (base == 0) {
                continue;
            }
            for (int state = RecordedBaseDescriptor.STATE_AT; state <= RecordedBaseDescriptor.STATE_MIXED; state++) {
                long w = RecordedBaseDescriptor.encode(base, state);
                assertEquals(state, RecordedBaseDescriptor.state(w));
                assertEquals(base, RecordedBaseDescriptor.base(w));
                assertEquals(w & 7, w & 7L); // keeps aligned-word semantics trivially
            }
            long junk = rnd.nextLong();
            int s = RecordedBaseDescriptor.state(junk);
            if (s != RecordedBaseDescriptor.STATE_INVALID) {
                assertEquals(junk, RecordedBaseDescriptor.encode(RecordedBaseDescriptor.base(junk), s));
            }
        }
        assertEquals(RecordedBaseDescriptor.STATE_INVALID, RecordedBaseDescriptor.state(0));
        assertEquals(RecordedBaseDescriptor.STATE_INVALID, RecordedBaseDescriptor.state(0x1000));
        assertEquals(RecordedBaseDescriptor.STATE_INVALID, RecordedBaseDescriptor.state(0xA51)); // no base
        assertThrows(IllegalArgumentException.class, () -> RecordedBaseDescriptor.at(0x1234));
        assertThrows(IllegalArgumentException.class, () -> RecordedBaseDescriptor.at(-4096));
        assertEquals(RecordedBaseDescriptor.LENGTH, RecordedBaseDescriptor.LAYOUT.byteSize());
        assertEquals(RecordedBaseDescriptor.LENGTH, RecordedBaseDescriptor.LAYOUT.byteAlignment());
        assertEquals("AT(0x7f0000000000)", RecordedBaseDescriptor.describe(RecordedBaseDescriptor.at(0x7f00_0000_0000L)));
    }

    @Test
    void pointerWordForms() {
        long base = 0x7f12_3456_7000L;
        long off = 0x1_2340;
        assertEquals(off, Pointers.offset(Pointers.pointer(off, base), base));
        assertTrue(Pointers.isTagged(Pointers.tagged(off)));
        assertFalse(Pointers.isTagged(base + off));
        assertFalse(Pointers.isTagged(Pointers.NULL));
        assertEquals(off, Pointers.taggedOffset(Pointers.tagged(off)));
        assertEquals(base + off, Pointers.encodeFor(RecordedBaseDescriptor.at(base), off));
        assertEquals(base + 4096 + off, Pointers.encodeFor(RecordedBaseDescriptor.shift(base + 4096), off));
        assertEquals(base + off, Pointers.encodeFor(RecordedBaseDescriptor.mixed(base), off));
        assertEquals(Pointers.NULL, Pointers.encodeFor(RecordedBaseDescriptor.at(base), -1));
        assertThrows(IllegalArgumentException.class, () -> Pointers.encodeFor(0, off));
        assertEquals(8, Pointers.WORD.byteAlignment());
        assertEquals(java.nio.ByteOrder.LITTLE_ENDIAN, Pointers.WORD.order());
    }

    @Test
    void pointerMapsAreSortedAndValidated() {
        PointerMap m = PointerMap.builder().pointer("b", 16, 2).pointer("a", 0, PointerMap.ANY_TYPE).build();
        assertEquals(2, m.count());
        assertEquals("a", m.name(0));
        assertEquals(0, m.offset(0));
        assertEquals(PointerMap.ANY_TYPE, m.targetType(0));
        assertEquals(16, m.offset(1));
        assertEquals(2, m.targetType(1));
        assertEquals(24, m.minObjectSize());
        assertTrue(PointerMap.of(new String[0], new long[0], new int[0]).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> PointerMap.builder().pointer("x", 4, 0).build());
        assertThrows(IllegalArgumentException.class, () -> PointerMap.builder().pointer("x", 8, 0).pointer("y", 8, 0).build());
        assertThrows(IllegalArgumentException.class, () -> PointerMap.builder().pointer("x", -8, 0).build());
        assertThrows(IllegalArgumentException.class, () -> PointerMap.builder().pointer("x", 8, -5).build());
    }

    @Test
    void defaultAllocationBitsFollowIsAllocated() {
        java.util.BitSet live = new java.util.BitSet();
        Random rnd = new Random(9);
        for (int i = 0; i < 150; i++) {
            if (rnd.nextBoolean()) {
                live.set(i);
            }
        }
        SwizzleView v = new SwizzleView() {
            public io.ferrite.media.Media media() { return null; }
            public long poolBase() { return 0; }
            public void persistPoolBase(long base) { }
            public int slabCount() { return 1; }
            public long slabsOffset() { return 0; }
            public long slabSize() { return 0; }
            public int slabType(int slab) { return 0; }
            public int slabSpan(int slab) { return 1; }
            public long recordedBaseOffset(int slab) { return 0; }
            public long objectsOffset(int slab) { return 0; }
            public long objectSize(int slab) { return 8; }
            public int objectCount(int slab) { return 150; }
            public boolean isAllocated(int slab, int index) { return live.get(index); }
            public PointerMap pointerMap(int typeId) { return PointerMap.NONE; }
        };
        for (int first = 0; first < 150; first += 64) {
            long bits = v.allocationBits(0, first);
            for (int j = 0; j < 64; j++) {
                assertEquals(first + j < 150 && live.get(first + j), (bits >>> j & 1) != 0, "slot " + (first + j));
            }
        }
    }

    @Test
    void optionsAreValidated() {
        assertTrue(assertThrows(io.ferrite.ConfigurationException.class, () -> SwizzleOptions.defaults().parallelism(0).conclude())
                .getMessage().contains("parallelism=0"));
        assertTrue(assertThrows(io.ferrite.ConfigurationException.class, () -> SwizzleOptions.defaults().batchBytes(0).conclude())
                .getMessage().contains("batchBytes=0"));
        assertTrue(assertThrows(io.ferrite.ConfigurationException.class,
                () -> SwizzleOptions.defaults().flushChunkBytes(8).conclude()).getMessage().contains("flushChunkBytes=8"));
        assertTrue(SwizzleOptions.defaults().conclude().parallelism() >= 1);
    }
}
