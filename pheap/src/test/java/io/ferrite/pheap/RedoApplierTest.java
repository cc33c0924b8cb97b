package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.pheap.format.Le;
import io.ferrite.pheap.format.RedoRecordDescriptor;
import io.ferrite.pheap.format.SlabTableDescriptor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RedoApplierTest {
    static final long POOL = 1 << 16;
    static final long LOG_START = 16384;
    static final long LOG_END = 20480;

    @Test
    void everyOperationAppliesAndIsIdempotent() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pool = a.allocate(POOL, 4096);
            long base = 0x2000_0000_0000L;
            List<long[]> dirty = new ArrayList<>();
            RedoApplier ap = new RedoApplier(pool, base, 8192, LOG_START, LOG_END, (o, l) -> dirty.add(new long[] {o, l}));
            RedoWriter w = new RedoWriter(64).begin(42);
            w.write(30000, new byte[] {1, 2, 3}, 0, 3);
            w.writeValue(30008, 0x1122334455667788L, 8);
            w.writeValue(30016, -1, 2);
            w.writePointer(30024, 40000);
            w.writePointer(30032, 0);
            w.setBits(30040, 0b1010);
            w.clearBits(30048, 0b11);
            w.zero(30056, 16);
            w.writeBase(30072);
            int len = w.finish();
            pool.set(Le.U64, 30048, 0b111);
            pool.set(Le.U64, 30056, -1L);
            pool.set(Le.U64, 30064, -1L);
            for (int round = 0; round < 2; round++) {
                assertEquals(9, ap.apply(100, w.segment(), 0, len));
                assertEquals(1, pool.get(ValueLayout.JAVA_BYTE, 30000));
                assertEquals(3, pool.get(ValueLayout.JAVA_BYTE, 30002));
                assertEquals(0x1122334455667788L, pool.get(Le.U64, 30008));
                assertEquals(0xffffL, pool.get(Le.U64, 30016));
                assertEquals(base + 40000, pool.get(Le.U64, 30024));
                assertEquals(0, pool.get(Le.U64, 30032));
                assertEquals(0b1010, pool.get(Le.U64, 30040));
                assertEquals(0b100, pool.get(Le.U64, 30048));
                assertEquals(0, pool.get(Le.U64, 30056));
                assertEquals(0, pool.get(Le.U64, 30064));
                assertEquals(SlabTableDescriptor.recordedBaseWord(base), pool.get(Le.U64, 30072));
                assertEquals(base, SlabTableDescriptor.recordedBase(pool.get(Le.U64, 30072)));
            }
            assertEquals(18, dirty.size());
            assertEquals(42, w.segment().get(Le.U64, RedoRecordDescriptor.TX_ID_OFFSET));
        }
    }

    @Test
    void malformedRecordsChangeNothing() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pool = a.allocate(POOL, 4096);
            RedoApplier ap = new RedoApplier(pool, 0x1000_0000L, 8192, LOG_START, LOG_END, null);
            // a valid first op, then one inside the log region: the first must not be applied
            RedoWriter w = new RedoWriter(64).begin(1);
            w.writeValue(30000, 7, 8);
            w.writeValue(LOG_START + 8, 7, 8);
            int len = w.finish();
            RedoRecordException e = assertThrows(RedoRecordException.class, () -> ap.apply(5, w.segment(), 0, len));
            assertTrue(e.getMessage().contains("LSN 5") && e.getMessage().contains("outside the writable pool"), e.getMessage());
            assertEquals(5, e.lsn());
            assertEquals(0, pool.get(Le.U64, 30000));
            // superblock, past the end, unaligned bit op, truncated record, unknown kind
            for (long off : new long[] {0, 4096, POOL - 4}) {
                RedoWriter x = new RedoWriter(64).begin(1);
                x.writeValue(off, 1, 8);
                int l = x.finish();
                assertThrows(RedoRecordException.class, () -> ap.apply(1, x.segment(), 0, l), "offset " + off);
            }
            RedoWriter u = new RedoWriter(64).begin(1);
            u.setBits(30001, 1);
            int ul = u.finish();
            assertThrows(RedoRecordException.class, () -> ap.apply(1, u.segment(), 0, ul));
            RedoWriter t = new RedoWriter(64).begin(1);
            t.writeValue(30000, 1, 8);
            int tl = t.finish();
            assertThrows(RedoRecordException.class, () -> ap.apply(1, t.segment(), 0, tl - 8));
            t.segment().set(ValueLayout.JAVA_BYTE, RedoRecordDescriptor.HEADER_LENGTH, (byte) 99);
            assertThrows(RedoRecordException.class, () -> ap.apply(1, t.segment(), 0, tl));
            assertThrows(RedoRecordException.class, () -> ap.apply(1, t.segment(), 0, 8));
            assertEquals(0, pool.get(Le.U64, 30000));
        }
    }

    @Test
    void slabTableRecordsTheBaseForEverySlabInUse() {
        try (Pools p = new Pools("slabtable")) {
            try (Heap h = p.create()) {
                PType big = PType.builder("Big").bytes("b", 100_000).build();
                try (Tx tx = h.begin()) {
                    tx.allocate(HeapTest.NODE);
                    tx.allocate(big);
                    tx.commit();
                }
                var sb = h.superblock();
                int used = 0;
                for (int i = 0; i < sb.slabCount(); i++) {
                    long e = SlabTableDescriptor.entryOffset(sb.slabTableOffset(), i);
                    int state = h.segment().get(Le.U32, e + SlabTableDescriptor.STATE_OFFSET);
                    long word = h.segment().get(Le.U64, e + SlabTableDescriptor.RECORDED_BASE_OFFSET);
                    if (state == SlabTableDescriptor.STATE_FREE) {
                        assertEquals(0, word);
                    } else {
                        used++;
                        assertEquals(SlabTableDescriptor.recordedBaseWord(h.baseAddress()), word, "slab " + i);
                    }
                }
                assertTrue(used >= 3, "a small slab and a run of at least two");
            }
        }
    }
}
