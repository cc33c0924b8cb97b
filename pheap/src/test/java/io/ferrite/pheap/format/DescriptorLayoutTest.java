package io.ferrite.pheap.format;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.StructLayout;
import org.junit.jupiter.api.Test;

/** Every descriptor's FFM layout agrees with its offset constants: the format is written once. */
class DescriptorLayoutTest {
    private static void at(StructLayout l, String field, long offset) {
        assertEquals(offset, l.byteOffset(groupElement(field)), l.name().orElse("?") + "." + field);
    }

    @Test
    void superblock() {
        StructLayout l = SuperblockDescriptor.LAYOUT;
        at(l, "magic", SuperblockDescriptor.MAGIC_OFFSET);
        at(l, "formatVersion", SuperblockDescriptor.FORMAT_VERSION_OFFSET);
        at(l, "flags", SuperblockDescriptor.FLAGS_OFFSET);
        at(l, "sequence", SuperblockDescriptor.SEQUENCE_OFFSET);
        at(l, "uuidMsb", SuperblockDescriptor.UUID_MSB_OFFSET);
        at(l, "uuidLsb", SuperblockDescriptor.UUID_LSB_OFFSET);
        at(l, "poolSize", SuperblockDescriptor.POOL_SIZE_OFFSET);
        at(l, "slabSize", SuperblockDescriptor.SLAB_SIZE_OFFSET);
        at(l, "slabCount", SuperblockDescriptor.SLAB_COUNT_OFFSET);
        at(l, "registryOffset", SuperblockDescriptor.REGISTRY_OFFSET_OFFSET);
        at(l, "registryLength", SuperblockDescriptor.REGISTRY_LENGTH_OFFSET);
        at(l, "slabTableOffset", SuperblockDescriptor.SLAB_TABLE_OFFSET_OFFSET);
        at(l, "slabTableLength", SuperblockDescriptor.SLAB_TABLE_LENGTH_OFFSET);
        at(l, "logOffset", SuperblockDescriptor.LOG_OFFSET_OFFSET);
        at(l, "logLength", SuperblockDescriptor.LOG_LENGTH_OFFSET);
        at(l, "slabAreaOffset", SuperblockDescriptor.SLAB_AREA_OFFSET_OFFSET);
        at(l, "baseAddress", SuperblockDescriptor.BASE_ADDRESS_OFFSET);
        at(l, "checkpointLsn", SuperblockDescriptor.CHECKPOINT_LSN_OFFSET);
        at(l, "term", SuperblockDescriptor.TERM_OFFSET);
        at(l, "created", SuperblockDescriptor.CREATED_OFFSET);
        at(l, "maxPoolSize", SuperblockDescriptor.MAX_POOL_SIZE_OFFSET);
        at(l, "crc", SuperblockDescriptor.CRC_OFFSET);
        assertEquals(SuperblockDescriptor.LENGTH, l.byteSize());
        assertEquals(0x0045544952524546L, SuperblockDescriptor.MAGIC);
        assertEquals("FERRITE\0", new String(java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(SuperblockDescriptor.MAGIC).array(), java.nio.charset.StandardCharsets.US_ASCII));
    }

    @Test
    void slabTable() {
        StructLayout l = SlabTableDescriptor.LAYOUT;
        at(l, "typeId", SlabTableDescriptor.TYPE_ID_OFFSET);
        at(l, "state", SlabTableDescriptor.STATE_OFFSET);
        at(l, "recordedBase", SlabTableDescriptor.RECORDED_BASE_OFFSET);
        at(l, "span", SlabTableDescriptor.SPAN_OFFSET);
        assertEquals(SlabTableDescriptor.ENTRY_LENGTH, l.byteSize());
        assertEquals(0, SlabTableDescriptor.RECORDED_BASE_OFFSET % 8, "recorded base must be 8-byte aligned");
        assertEquals(1000L + 3 * 32, SlabTableDescriptor.entryOffset(1000, 3));
    }

    @Test
    void slabHeader() {
        StructLayout l = SlabHeaderDescriptor.LAYOUT;
        at(l, "magic", SlabHeaderDescriptor.MAGIC_OFFSET);
        at(l, "version", SlabHeaderDescriptor.VERSION_OFFSET);
        at(l, "flags", SlabHeaderDescriptor.FLAGS_OFFSET);
        at(l, "typeId", SlabHeaderDescriptor.TYPE_ID_OFFSET);
        at(l, "objectCount", SlabHeaderDescriptor.OBJECT_COUNT_OFFSET);
        at(l, "objectSize", SlabHeaderDescriptor.OBJECT_SIZE_OFFSET);
        at(l, "dataOffset", SlabHeaderDescriptor.DATA_OFFSET_OFFSET);
        at(l, "bitmapWords", SlabHeaderDescriptor.BITMAP_WORDS_OFFSET);
        assertEquals(SlabHeaderDescriptor.BITMAP_OFFSET, l.byteSize());
    }

    @Test
    void slabGeometry() {
        for (long slab : new long[] {4096, 65536, 1 << 20}) {
            for (long size : new long[] {8, 16, 24, 64, 72, 1000, 4096, 30000}) {
                int n = SlabHeaderDescriptor.objectCount(slab, size);
                if (n > 0) {
                    int data = SlabHeaderDescriptor.dataOffset(n);
                    assertEquals(0, data % 64);
                    assert data + n * size <= slab : slab + "/" + size;
                    assert SlabHeaderDescriptor.dataOffset(n + 1) + (n + 1) * size > slab : "not maximal " + slab + "/" + size;
                }
            }
        }
        assertEquals(16351, SlabHeaderDescriptor.objectCount(1 << 20, 64));
        assertEquals(3, SlabHeaderDescriptor.largeSpan(1 << 20, (2 << 20) + 1));
        assertEquals(1, SlabHeaderDescriptor.largeSpan(1 << 20, (1 << 20) - 64));
    }

    @Test
    void typeRegistryAndDescriptors() {
        StructLayout r = TypeRegistryDescriptor.LAYOUT;
        at(r, "magic", TypeRegistryDescriptor.MAGIC_OFFSET);
        at(r, "version", TypeRegistryDescriptor.VERSION_OFFSET);
        at(r, "typeCount", TypeRegistryDescriptor.TYPE_COUNT_OFFSET);
        at(r, "usedBytes", TypeRegistryDescriptor.USED_BYTES_OFFSET);
        at(r, "rootTypeId", TypeRegistryDescriptor.ROOT_TYPE_ID_OFFSET);
        at(r, "rootOffset", TypeRegistryDescriptor.ROOT_OFFSET_OFFSET);
        at(r, "crc", TypeRegistryDescriptor.CRC_OFFSET);
        assertEquals(TypeRegistryDescriptor.HEADER_LENGTH, r.byteSize());
        StructLayout t = TypeDescriptor.LAYOUT;
        at(t, "length", TypeDescriptor.LENGTH_OFFSET);
        at(t, "crc", TypeDescriptor.CRC_OFFSET);
        at(t, "typeId", TypeDescriptor.TYPE_ID_OFFSET);
        at(t, "flags", TypeDescriptor.FLAGS_OFFSET);
        at(t, "size", TypeDescriptor.SIZE_OFFSET);
        at(t, "alignment", TypeDescriptor.ALIGNMENT_OFFSET);
        at(t, "fieldCount", TypeDescriptor.FIELD_COUNT_OFFSET);
        at(t, "nameLength", TypeDescriptor.NAME_LENGTH_OFFSET);
        assertEquals(TypeDescriptor.HEADER_LENGTH, t.byteSize());
        StructLayout f = TypeDescriptor.FIELD_LAYOUT;
        at(f, "kind", TypeDescriptor.FIELD_KIND_OFFSET);
        at(f, "nameLength", TypeDescriptor.FIELD_NAME_LENGTH_OFFSET);
        at(f, "offset", TypeDescriptor.FIELD_OFFSET_OFFSET);
        at(f, "length", TypeDescriptor.FIELD_LENGTH_OFFSET);
        at(f, "targetLength", TypeDescriptor.FIELD_TARGET_LENGTH_OFFSET);
        assertEquals(TypeDescriptor.FIELD_HEADER_LENGTH, f.byteSize());
    }

    @Test
    void redoRecord() {
        StructLayout l = RedoRecordDescriptor.LAYOUT;
        at(l, "version", RedoRecordDescriptor.VERSION_OFFSET);
        at(l, "flags", RedoRecordDescriptor.FLAGS_OFFSET);
        at(l, "opCount", RedoRecordDescriptor.OP_COUNT_OFFSET);
        at(l, "txId", RedoRecordDescriptor.TX_ID_OFFSET);
        assertEquals(RedoRecordDescriptor.HEADER_LENGTH, l.byteSize());
        StructLayout o = RedoRecordDescriptor.OP_LAYOUT;
        at(o, "kind", RedoRecordDescriptor.OP_KIND_OFFSET);
        at(o, "length", RedoRecordDescriptor.OP_LENGTH_OFFSET);
        at(o, "poolOffset", RedoRecordDescriptor.OP_POOL_OFFSET_OFFSET);
        assertEquals(RedoRecordDescriptor.OP_HEADER_LENGTH, o.byteSize());
    }

    @Test
    void blobHeader() {
        StructLayout l = BlobHeaderDescriptor.LAYOUT;
        at(l, "length", BlobHeaderDescriptor.LENGTH_OFFSET);
        at(l, "reserved", BlobHeaderDescriptor.RESERVED_OFFSET);
        assertEquals(BlobHeaderDescriptor.HEADER_LENGTH, l.byteSize());
        assertEquals(BlobHeaderDescriptor.HEADER_LENGTH, BlobHeaderDescriptor.DATA_OFFSET);
        assertEquals(1000L + BlobHeaderDescriptor.DATA_OFFSET, BlobHeaderDescriptor.dataOffset(1000));
        assertEquals(56, BlobHeaderDescriptor.capacity(64));
        assertEquals(8, BlobHeaderDescriptor.objectSize(0));
        assertEquals(16, BlobHeaderDescriptor.objectSize(1));
        assertEquals(16, BlobHeaderDescriptor.objectSize(8));
        assertEquals(24, BlobHeaderDescriptor.objectSize(9));
    }
}
