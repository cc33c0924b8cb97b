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

    @Test
    void baseCopyBodyOffsetsMatchTheLayouts() {
        var c = FrameDescriptor.BASE_COPY_LAYOUT;
        assertEquals(FrameDescriptor.BASE_COPY_OFFSET_OFFSET, c.byteOffset(groupElement("imageOffset")));
        assertEquals(FrameDescriptor.BASE_COPY_TOTAL_OFFSET, c.byteOffset(groupElement("imageLength")));
        assertEquals(FrameDescriptor.BASE_COPY_CRC_OFFSET, c.byteOffset(groupElement("crc")));
        assertEquals(FrameDescriptor.BASE_COPY_DATA_OFFSET, c.byteSize());
        var b = FrameDescriptor.BEGIN_LAYOUT;
        assertEquals(FrameDescriptor.BEGIN_POOL_MSB_OFFSET, b.byteOffset(groupElement("poolMsb")));
        assertEquals(FrameDescriptor.BEGIN_POOL_LSB_OFFSET, b.byteOffset(groupElement("poolLsb")));
        assertEquals(FrameDescriptor.BEGIN_TERM_OFFSET, b.byteOffset(groupElement("term")));
        assertEquals(FrameDescriptor.BEGIN_CHECKPOINT_LSN_OFFSET, b.byteOffset(groupElement("checkpointLsn")));
        assertEquals(FrameDescriptor.BEGIN_IMAGE_LENGTH_OFFSET, b.byteOffset(groupElement("imageLength")));
        assertEquals(FrameDescriptor.BEGIN_START_OFFSET_OFFSET, b.byteOffset(groupElement("startOffset")));
        assertEquals(FrameDescriptor.BEGIN_CHUNK_SIZE_OFFSET, b.byteOffset(groupElement("chunkSize")));
        assertEquals(FrameDescriptor.BEGIN_LENGTH, b.byteSize());
        var r = FrameDescriptor.RESUME_LAYOUT;
        assertEquals(FrameDescriptor.RESUME_TERM_OFFSET, r.byteOffset(groupElement("term")));
        assertEquals(FrameDescriptor.RESUME_CHECKPOINT_LSN_OFFSET, r.byteOffset(groupElement("checkpointLsn")));
        assertEquals(FrameDescriptor.RESUME_IMAGE_LENGTH_OFFSET, r.byteOffset(groupElement("imageLength")));
        assertEquals(FrameDescriptor.RESUME_OFFSET_OFFSET, r.byteOffset(groupElement("offset")));
        assertEquals(FrameDescriptor.RESUME_CHUNK_SIZE_OFFSET, r.byteOffset(groupElement("chunkSize")));
        assertEquals(FrameDescriptor.RESUME_LENGTH, r.byteSize());
        assertEquals(FrameDescriptor.BASE_COPY_END, FrameDescriptor.BASE_COPY_RESUME + 1);
        assertEquals("BASE_COPY_END", FrameDescriptor.typeName(FrameDescriptor.BASE_COPY_END));
    }
}
