package io.ferrite.pmlog;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LogDescriptorTest {

    @Test
    void recordOffsetsMatchTheLayout() {
        var l = LogRecordDescriptor.LAYOUT;
        assertEquals(LogRecordDescriptor.LENGTH_OFFSET, l.byteOffset(groupElement("length")));
        assertEquals(LogRecordDescriptor.CRC_OFFSET, l.byteOffset(groupElement("crc")));
        assertEquals(LogRecordDescriptor.LSN_OFFSET, l.byteOffset(groupElement("lsn")));
        assertEquals(LogRecordDescriptor.TYPE_OFFSET, l.byteOffset(groupElement("type")));
        assertEquals(LogRecordDescriptor.FLAGS_OFFSET, l.byteOffset(groupElement("flags")));
        assertEquals(LogRecordDescriptor.EPOCH_OFFSET, l.byteOffset(groupElement("epoch")));
        assertEquals(LogRecordDescriptor.HEADER_LENGTH, l.byteSize());
        assertEquals(LogRecordDescriptor.PAYLOAD_OFFSET, l.byteSize());
        assertEquals(ByteOrder.LITTLE_ENDIAN, LogRecordDescriptor.U64.order());
        assertEquals(ByteOrder.LITTLE_ENDIAN, LogRecordDescriptor.U32.order());
        assertEquals(ByteOrder.LITTLE_ENDIAN, LogRecordDescriptor.U16.order());
    }

    @Test
    void headerOffsetsMatchTheLayout() {
        var l = LogHeaderDescriptor.LAYOUT;
        assertEquals(LogHeaderDescriptor.MAGIC_OFFSET, l.byteOffset(groupElement("magic")));
        assertEquals(LogHeaderDescriptor.VERSION_OFFSET, l.byteOffset(groupElement("version")));
        assertEquals(LogHeaderDescriptor.HEADER_LENGTH_OFFSET, l.byteOffset(groupElement("headerLength")));
        assertEquals(LogHeaderDescriptor.CAPACITY_OFFSET, l.byteOffset(groupElement("capacity")));
        assertEquals(LogHeaderDescriptor.MAX_RECORD_SIZE_OFFSET, l.byteOffset(groupElement("maxRecordSize")));
        assertEquals(LogHeaderDescriptor.FLAGS_OFFSET, l.byteOffset(groupElement("flags")));
        assertEquals(LogHeaderDescriptor.STATIC_CRC_OFFSET, l.byteOffset(groupElement("staticCrc")));
        assertEquals(LogHeaderDescriptor.EPOCH_OFFSET, l.byteOffset(groupElement("epoch")));
        assertEquals(LogHeaderDescriptor.HEAD_SLOT0_OFFSET, l.byteOffset(groupElement("headSlot0")));
        assertEquals(LogHeaderDescriptor.HEAD_SLOT1_OFFSET, l.byteOffset(groupElement("headSlot1")));
        for (String slot : new String[] {"headSlot0", "headSlot1"}) {
            long base = l.byteOffset(groupElement(slot));
            assertEquals(base + LogHeaderDescriptor.SLOT_LSN_OFFSET, l.byteOffset(groupElement(slot), groupElement("lsn")));
            assertEquals(base + LogHeaderDescriptor.SLOT_EPOCH_OFFSET, l.byteOffset(groupElement(slot), groupElement("epoch")));
            assertEquals(base + LogHeaderDescriptor.SLOT_CRC_OFFSET, l.byteOffset(groupElement(slot), groupElement("crc")));
        }
        assertEquals(LogHeaderDescriptor.SLOT_LENGTH, LogHeaderDescriptor.HEAD_SLOT_LAYOUT.byteSize());
        assertEquals(LogHeaderDescriptor.HEADER_LENGTH, l.byteSize());
        // The dynamic words live on cache lines of their own, away from the static part.
        assertEquals(0, LogHeaderDescriptor.EPOCH_OFFSET % 64);
        assertEquals(0, LogHeaderDescriptor.HEAD_SLOT0_OFFSET % 64);
        assertEquals(0, LogHeaderDescriptor.HEAD_SLOT1_OFFSET % 64);
    }

    @Test
    void magicIsFerlog() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(8);
            s.set(LogHeaderDescriptor.U64, 0, LogHeaderDescriptor.MAGIC);
            assertEquals("FERLOG\0\0", new String(s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                    java.nio.charset.StandardCharsets.US_ASCII));
        }
        assertEquals("FERLOG\\x00\\x00", LogHeaderDescriptor.describeMagic(LogHeaderDescriptor.MAGIC));
    }

    @Test
    void packedWordsRoundTripThroughTheLayout() {
        Random rnd = new Random(42);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(LogRecordDescriptor.LAYOUT);
            var length = LogRecordDescriptor.LAYOUT.varHandle(groupElement("length"));
            var crc = LogRecordDescriptor.LAYOUT.varHandle(groupElement("crc"));
            var type = LogRecordDescriptor.LAYOUT.varHandle(groupElement("type"));
            var flags = LogRecordDescriptor.LAYOUT.varHandle(groupElement("flags"));
            var epoch = LogRecordDescriptor.LAYOUT.varHandle(groupElement("epoch"));
            for (int i = 0; i < 1000; i++) {
                int len = rnd.nextInt();
                int c = rnd.nextInt();
                short t = (short) rnd.nextInt();
                short f = (short) rnd.nextInt();
                long e = rnd.nextLong() & 0xFFFF_FFFFL;
                s.set(LogRecordDescriptor.U64, 0, LogRecordDescriptor.packLengthCrc(len, c));
                s.set(LogRecordDescriptor.U64, LogRecordDescriptor.TYPE_OFFSET, LogRecordDescriptor.packTypeFlagsEpoch(t, f, e));
                assertEquals(len, (int) length.get(s, 0L));
                assertEquals(c, (int) crc.get(s, 0L));
                assertEquals(t, (short) type.get(s, 0L));
                assertEquals(f, (short) flags.get(s, 0L));
                assertEquals((int) e, (int) epoch.get(s, 0L));
            }
        }
    }

    @Test
    void recordLengthAndSkipRule() {
        // Records are padded to a cache line: no two records share a line, so a group-commit
        // leader never flushes a line another core is writing the next record into.
        assertEquals(64, LogRecordDescriptor.recordLength(0));
        assertEquals(64, LogRecordDescriptor.recordLength(1));
        assertEquals(64, LogRecordDescriptor.recordLength(40));
        assertEquals(128, LogRecordDescriptor.recordLength(41));
        assertEquals(128, LogRecordDescriptor.recordLength(64));
        // The implicit skip can no longer arise from aligned records (capacities are multiples of
        // 64), but readers keep the rule for any position that leaves less than a header.
        assertTrue(LogRecordDescriptor.isImplicitSkip(1024 - 8, 1024));
        assertTrue(LogRecordDescriptor.isImplicitSkip(1024 - 16, 1024));
        assertFalse(LogRecordDescriptor.isImplicitSkip(1024 - 24, 1024));
        assertFalse(LogRecordDescriptor.isImplicitSkip(0, 1024));
        assertEquals(4096 + 65536, PmLog.regionLength(65536));
    }
}
