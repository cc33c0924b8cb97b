package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.pheap.annotation.Bytes;
import io.ferrite.pheap.annotation.Persistent;
import io.ferrite.pheap.annotation.Pointer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

class TypeTest {
    @Persistent("Account")
    record Account(byte flags, short region, int branch, long balance, float rate, double score,
            @Bytes(12) byte[] iban, @Pointer(Account.class) long next, @Pointer(name = PType.ANY_BLOB) long note) {
    }

    record NotAnnotated(long x) {
    }

    @Test
    void builderLaysOutNaturallyAligned() {
        PType t = PType.builder("T").int8("a").int64("b").int16("c").bytes("d", 3).int32("e").pointer("p", "T").build();
        assertEquals(0, t.field("a").offset());
        assertEquals(8, t.field("b").offset());
        assertEquals(16, t.field("c").offset());
        assertEquals(18, t.field("d").offset());
        assertEquals(24, t.field("e").offset());
        assertEquals(32, t.field("p").offset());
        assertEquals(40, t.size());
        assertArrayEquals(new long[] {32}, t.pointerOffsets());
        for (PField f : t.fields()) {
            assertEquals(f.offset(), t.layout().byteOffset(PathElement.groupElement(f.name())), f.name());
        }
        assertEquals(t.size(), t.layout().byteSize());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.field("zz"));
        assertTrue(e.getMessage().contains("has no field 'zz'"));
        assertThrows(IllegalArgumentException.class, () -> PType.builder("X").int8("a").int8("a"));
        assertThrows(IllegalArgumentException.class, () -> PType.builder("ferrite.blob.64"));
    }

    @Test
    void varHandlesReadAndWriteFields() {
        PType t = PType.builder("V").int32("i").float64("d").int16("s").build();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(64, 8);
            t.field("i").handle().set(m, 8L, 42);
            t.field("d").handle().set(m, 8L, 2.5);
            t.field("s").handle().set(m, 8L, (short) -3);
            assertEquals(42, (int) t.field("i").handle().get(m, 8L));
            assertEquals(2.5, (double) t.field("d").handle().get(m, 8L));
            assertEquals(-3, (short) t.field("s").handle().get(m, 8L));
        }
    }

    @Test
    void recordDerivation() {
        PType t = PType.of(Account.class);
        assertEquals("Account", t.name());
        assertEquals(List.of("flags", "region", "branch", "balance", "rate", "score", "iban", "next", "note"),
                t.fields().stream().map(PField::name).toList());
        assertEquals(FieldKind.INT8, t.field("flags").kind());
        assertEquals(FieldKind.FLOAT, t.field("rate").kind());
        assertEquals(12, t.field("iban").length());
        assertEquals("Account", t.field("next").target());
        assertEquals(PType.ANY_BLOB, t.field("note").target());
        assertNull(t.differenceFrom(PType.of(Account.class)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PType.of(NotAnnotated.class));
        assertTrue(e.getMessage().contains("@Persistent"));
    }

    @Test
    void registryPersistsAndDecodesWithoutClasses() {
        try (Pools p = new Pools("types")) {
            PType acc = PType.of(Account.class);
            try (Heap h = p.create()) {
                h.register(acc);
                h.register(acc);
                assertSame(acc, h.type("Account"));
            }
            try (Heap h = p.open()) {
                PType decoded = h.type("Account");
                assertNotNull(decoded);
                assertNotSame(acc, decoded);
                assertNull(acc.differenceFrom(decoded), () -> acc.differenceFrom(decoded));
                assertEquals(acc.toString(), decoded.toString());
                assertTrue(h.types().stream().anyMatch(t -> t.name().equals(PType.ANY_BLOB)));
                assertTrue(h.types().stream().anyMatch(t -> t.name().equals("ferrite.blob.64")));
                h.register(acc);
            }
        }
    }

    @Test
    void reRegisteringADifferentLayoutIsRefused() {
        try (Pools p = new Pools("mismatch")) {
            try (Heap h = p.create()) {
                h.register(PType.builder("Node").int64("key").pointer("next", "Node").build());
            }
            try (Heap h = p.open()) {
                PType changed = PType.builder("Node").int32("key").pointer("next", "Node").build();
                TypeMismatchException e = assertThrows(TypeMismatchException.class, () -> h.register(changed));
                assertTrue(e.getMessage().contains("type Node"), e.getMessage());
                assertTrue(e.getMessage().contains("field 0 was 'key int64 @0', now 'key int32 @0'"), e.getMessage());
                PType added = PType.builder("Node").int64("key").pointer("next", "Node").int64("extra").build();
                e = assertThrows(TypeMismatchException.class, () -> h.register(added));
                assertTrue(e.getMessage().contains("size"), e.getMessage());
            }
        }
    }
}
