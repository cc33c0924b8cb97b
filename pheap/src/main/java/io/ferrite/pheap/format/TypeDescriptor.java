package io.ferrite.pheap.format;

import static java.lang.foreign.MemoryLayout.structLayout;
import static io.ferrite.pheap.format.Le.U16;
import static io.ferrite.pheap.format.Le.U32;
import static io.ferrite.pheap.format.Le.U64;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * One persisted type in the registry: enough to decode every object of the type without the
 * application's classes. Variable length, 8-byte aligned; the CRC32C covers bytes
 * [{@value #TYPE_ID_OFFSET}, length).
 *
 * <pre>
 *  type header (32 bytes)
 *  +-----------------------------+-------------------------------+
 *  |   descriptor length (u32)   |          CRC32C (u32)         |   0
 *  +-----------------------------+-------------------------------+
 *  |        type id (u32)        |          flags (u32)          |   8   flags: 1 = built-in blob
 *  +-----------------------------+-------------------------------+
 *  |             object size (u64, 0 = variable: blob)            |  16
 *  +-----------------------------+---------------+---------------+
 *  |       alignment (u32)       | fields (u16)  | name len (u16)|  24
 *  +-----------------------------+---------------+---------------+
 *  |  name (UTF-8), padded to 8                                   |  32
 *  +-------------------------------------------------------------+
 *  field entry (16 bytes + names), fieldCount times
 *  +---------------+---------------+-------------------------------+
 *  |  kind (u16)   | name len (u16)|       field offset (u32)      |   0
 *  +---------------+---------------+-------------------------------+
 *  |       field length (u32)      |target len(u16)| reserved (u16)|   8
 *  +-------------------------------+---------------+---------------+
 *  |  field name, then pointer target type name (UTF-8), padded 8 |  16
 *  +-------------------------------------------------------------+
 * </pre>
 * Field kinds: 1 int8, 2 int16, 3 int32, 4 int64, 5 float, 6 double, 7 bytes, 8 pointer.
 */
public final class TypeDescriptor {
    public static final int LENGTH_OFFSET = 0;
    public static final int CRC_OFFSET = 4;
    public static final int TYPE_ID_OFFSET = 8;
    public static final int FLAGS_OFFSET = 12;
    public static final int SIZE_OFFSET = 16;
    public static final int ALIGNMENT_OFFSET = 24;
    public static final int FIELD_COUNT_OFFSET = 28;
    public static final int NAME_LENGTH_OFFSET = 30;
    public static final int NAME_OFFSET = 32;
    public static final int HEADER_LENGTH = 32;

    public static final int FIELD_KIND_OFFSET = 0;
    public static final int FIELD_NAME_LENGTH_OFFSET = 2;
    public static final int FIELD_OFFSET_OFFSET = 4;
    public static final int FIELD_LENGTH_OFFSET = 8;
    public static final int FIELD_TARGET_LENGTH_OFFSET = 12;
    public static final int FIELD_NAME_OFFSET = 16;
    public static final int FIELD_HEADER_LENGTH = 16;

    public static final int FLAG_BLOB = 1;

    public static final StructLayout LAYOUT = structLayout(
            U32.withName("length"),
            U32.withName("crc"),
            U32.withName("typeId"),
            U32.withName("flags"),
            U64.withName("size"),
            U32.withName("alignment"),
            U16.withName("fieldCount"),
            U16.withName("nameLength")).withName("TypeDescriptor");

    public static final StructLayout FIELD_LAYOUT = structLayout(
            U16.withName("kind"),
            U16.withName("nameLength"),
            U32.withName("offset"),
            U32.withName("length"),
            U16.withName("targetLength"),
            U16.withName("reserved")).withName("FieldDescriptor");

    private TypeDescriptor() {
    }

    public static int align8(int n) {
        return (n + 7) & ~7;
    }

    /** CRC32C of the descriptor at {@code offset}, of {@code length} bytes. */
    public static int computeCrc(MemorySegment segment, long offset, int length) {
        return Crc32c.of(segment, offset + TYPE_ID_OFFSET, length - TYPE_ID_OFFSET);
    }
}
