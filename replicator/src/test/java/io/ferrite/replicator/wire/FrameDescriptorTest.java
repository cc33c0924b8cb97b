package io.ferrite.replicator.wire;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FrameDescriptorTest {
    @Test
    void headerOffsetsMatchTheLayout() {
        var l = FrameDescriptor.HEADER_LAYOUT;
        assertEquals(FrameDescriptor.LENGTH_OFFSET, l.byteOffset(groupElement("length")));
        assertEquals(FrameDescriptor.CRC_OFFSET, l.byteOffset(groupElement("crc")));
        assertEquals(FrameDescriptor.TERM_OFFSET, l.byteOffset(groupElement("term")));
        assertEquals(FrameDescriptor.SEQUENCE_OFFSET, l.byteOffset(groupElement("sequence")));
        assertEquals(FrameDescriptor.TYPE_OFFSET, l.byteOffset(groupElement("type")));
        assertEquals(FrameDescriptor.VERSION_OFFSET, l.byteOffset(groupElement("version")));
        assertEquals(FrameDescriptor.RESERVED_OFFSET, l.byteOffset(groupElement("reserved")));
        assertEquals(FrameDescriptor.HEADER_LENGTH, l.byteSize());
    }

    @Test
    void bodyOffsetsMatchTheLayouts() {
        var h = FrameDescriptor.HELLO_LAYOUT;
        assertEquals(FrameDescriptor.HELLO_POOL_MSB_OFFSET, h.byteOffset(groupElement("poolMsb")));
        assertEquals(FrameDescriptor.HELLO_POOL_LSB_OFFSET, h.byteOffset(groupElement("poolLsb")));
        assertEquals(FrameDescriptor.HELLO_RESUME_LSN_OFFSET, h.byteOffset(groupElement("resumeLsn")));
        assertEquals(FrameDescriptor.HELLO_CAPACITY_OFFSET, h.byteOffset(groupElement("capacity")));
        assertEquals(FrameDescriptor.HELLO_ROLE_OFFSET, h.byteOffset(groupElement("role")));
        assertEquals(FrameDescriptor.HELLO_NODE_ID_LENGTH_OFFSET, h.byteOffset(groupElement("nodeIdLength")));
        assertEquals(FrameDescriptor.HELLO_NONCE_LENGTH_OFFSET, h.byteOffset(groupElement("nonceLength")));
        assertEquals(FrameDescriptor.HELLO_FIXED_LENGTH, h.byteSize());
        var e = FrameDescriptor.ENTRIES_LAYOUT;
        assertEquals(FrameDescriptor.ENTRIES_FIRST_LSN_OFFSET, e.byteOffset(groupElement("firstLsn")));
        assertEquals(FrameDescriptor.ENTRIES_END_LSN_OFFSET, e.byteOffset(groupElement("endLsn")));
        assertEquals(FrameDescriptor.ENTRIES_COUNT_OFFSET, e.byteOffset(groupElement("count")));
        assertEquals(FrameDescriptor.ENTRIES_RECORDS_OFFSET, e.byteSize());
    }
}
