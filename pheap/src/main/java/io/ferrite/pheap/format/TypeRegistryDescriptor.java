package io.ferrite.pheap.format;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static io.ferrite.pheap.format.Le.U32;
import static io.ferrite.pheap.format.Le.U64;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * The type registry region: a 64-byte header, then type descriptors ({@link TypeDescriptor})
 * appended one after the other, each 8-byte aligned and with its own CRC. The header also holds
 * the pool's root object (its type id and pool offset: metadata, not a pointer, so it never needs
 * swizzling). The header's CRC32C covers bytes [0, {@value #CRC_OFFSET}): every update of a header
 * field rewrites it in the same redo record.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------------------------------------+
 *  |                 magic "FERTYPES" (u64)                       |   0
 *  +-----------------------------+-------------------------------+
 *  |        version (u32)        |        type count (u32)       |   8
 *  +-----------------------------+-------------------------------+
 *  |       used bytes after the header (u64)                      |  16
 *  +-----------------------------+-------------------------------+
 *  |     root type id (u32)      |         reserved (u32)        |  24
 *  +-----------------------------+-------------------------------+
 *  |       root object, pool offset (u64, 0 = none)               |  32
 *  |       reserved (16 bytes)                                    |  40
 *  +-----------------------------+-------------------------------+
 *  |    CRC32C of bytes 0..55    |         reserved (u32)        |  56
 *  +-----------------------------+-------------------------------+  64
 *  |       type descriptor 1, type descriptor 2, ...              |
 * </pre>
 * Updates after the pool is formatted go through redo records: the descriptor bytes first, the
 * count, used bytes and header CRC in the same record.
 *
 * <p>Version 2 added the header CRC (version 1 had none: a damaged root offset went unnoticed);
 * a registry of another version is refused at open before anything is written.
 */
public final class TypeRegistryDescriptor {
    /** "FERTYPES" read as a little-endian u64. */
    public static final long MAGIC = 0x5345505954524546L;
    public static final int VERSION = 2;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int TYPE_COUNT_OFFSET = 12;
    public static final int USED_BYTES_OFFSET = 16;
    public static final int ROOT_TYPE_ID_OFFSET = 24;
    public static final int ROOT_OFFSET_OFFSET = 32;
    public static final int CRC_OFFSET = 56;
    public static final int HEADER_LENGTH = 64;

    public static final StructLayout LAYOUT = structLayout(
            U64.withName("magic"),
            U32.withName("version"),
            U32.withName("typeCount"),
            U64.withName("usedBytes"),
            U32.withName("rootTypeId"),
            U32.withName("reserved0"),
            U64.withName("rootOffset"),
            paddingLayout(CRC_OFFSET - 40),
            U32.withName("crc"),
            paddingLayout(HEADER_LENGTH - CRC_OFFSET - 4)).withName("TypeRegistryHeader");

    private TypeRegistryDescriptor() {
    }

    /** CRC32C of the registry header at {@code regionOffset}, over bytes [0, {@value #CRC_OFFSET}). */
    public static int computeCrc(MemorySegment segment, long regionOffset) {
        return Crc32c.of(segment, regionOffset, CRC_OFFSET);
    }
}
