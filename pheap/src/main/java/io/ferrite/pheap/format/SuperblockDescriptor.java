package io.ferrite.pheap.format;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static io.ferrite.pheap.format.Le.U32;
import static io.ferrite.pheap.format.Le.U64;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * The superblock: two copies at the start of the pool, A at {@value #A_OFFSET} and B at
 * {@value #B_OFFSET}, each in its own 4 KiB slot. The valid copy (magic, CRC32C) with the higher
 * sequence wins; an update writes the other copy with sequence + 1 and persists it, so a torn
 * write leaves the previous copy in force.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-------------------------------------------------------------+
 *  |                 magic "FERRITE\0" (u64)                      |   0
 *  +-----------------------------+-------------------------------+
 *  |     format version (u32)    |          flags (u32)          |   8   bit 0 = clean close
 *  +-----------------------------+-------------------------------+
 *  |                        sequence (u64)                        |  16
 *  |                 pool UUID, most significant (u64)            |  24
 *  |                 pool UUID, least significant (u64)           |  32
 *  |                       pool size (u64)                        |  40
 *  +-----------------------------+-------------------------------+
 *  |       slab size (u32)       |        slab count (u32)       |  48
 *  +-----------------------------+-------------------------------+
 *  |  registry offset, length  (u64, u64)                         |  56
 *  |  slab table offset, length (u64, u64)                        |  72
 *  |  log region offset, length (u64, u64)                        |  88
 *  |  slab area offset (u64)                                      | 104
 *  |  base address the pointers assume (u64)                      | 112
 *  |  checkpoint LSN (u64)                                        | 120
 *  |  term (u64)                                                  | 128
 *  |  created, epoch millis (u64)                                 | 136
 *  |  maximum pool size (u64): 0 = the pool size, fixed           | 144
 *  |  reserved (96 bytes, zero)                                   | 152
 *  +-----------------------------+-------------------------------+
 *  |   CRC32C of bytes 0..247    |        reserved (u32)         | 248
 *  +-----------------------------+-------------------------------+   256
 * </pre>
 */
public final class SuperblockDescriptor {
    /** "FERRITE\0" read as a little-endian u64. */
    public static final long MAGIC = 0x0045544952524546L;
    public static final int FORMAT_VERSION = 1;
    public static final int FLAG_CLEAN_CLOSE = 1;

    public static final long A_OFFSET = 0;
    public static final long B_OFFSET = 4096;
    public static final int SLOT_LENGTH = 4096;

    public static final int MAGIC_OFFSET = 0;
    public static final int FORMAT_VERSION_OFFSET = 8;
    public static final int FLAGS_OFFSET = 12;
    public static final int SEQUENCE_OFFSET = 16;
    public static final int UUID_MSB_OFFSET = 24;
    public static final int UUID_LSB_OFFSET = 32;
    public static final int POOL_SIZE_OFFSET = 40;
    public static final int SLAB_SIZE_OFFSET = 48;
    public static final int SLAB_COUNT_OFFSET = 52;
    public static final int REGISTRY_OFFSET_OFFSET = 56;
    public static final int REGISTRY_LENGTH_OFFSET = 64;
    public static final int SLAB_TABLE_OFFSET_OFFSET = 72;
    public static final int SLAB_TABLE_LENGTH_OFFSET = 80;
    public static final int LOG_OFFSET_OFFSET = 88;
    public static final int LOG_LENGTH_OFFSET = 96;
    public static final int SLAB_AREA_OFFSET_OFFSET = 104;
    public static final int BASE_ADDRESS_OFFSET = 112;
    public static final int CHECKPOINT_LSN_OFFSET = 120;
    public static final int TERM_OFFSET = 128;
    public static final int CREATED_OFFSET = 136;
    /**
     * The size the pool may grow to (address space reserved at open, slab table sized for it);
     * 0 in pools made before growth existed, which keep their size. The pool size at {@value
     * #POOL_SIZE_OFFSET} is the current one: growth extends and maps the file first and writes
     * the superblock last, so a crash leaves the old size or the new one.
     */
    public static final int MAX_POOL_SIZE_OFFSET = 144;
    public static final int RESERVED_OFFSET = 152;
    public static final int CRC_OFFSET = 248;
    public static final int LENGTH = 256;

    public static final StructLayout LAYOUT = structLayout(
            U64.withName("magic"),
            U32.withName("formatVersion"),
            U32.withName("flags"),
            U64.withName("sequence"),
            U64.withName("uuidMsb"),
            U64.withName("uuidLsb"),
            U64.withName("poolSize"),
            U32.withName("slabSize"),
            U32.withName("slabCount"),
            U64.withName("registryOffset"),
            U64.withName("registryLength"),
            U64.withName("slabTableOffset"),
            U64.withName("slabTableLength"),
            U64.withName("logOffset"),
            U64.withName("logLength"),
            U64.withName("slabAreaOffset"),
            U64.withName("baseAddress"),
            U64.withName("checkpointLsn"),
            U64.withName("term"),
            U64.withName("created"),
            U64.withName("maxPoolSize"),
            paddingLayout(CRC_OFFSET - RESERVED_OFFSET),
            U32.withName("crc"),
            paddingLayout(4)).withName("Superblock");

    private SuperblockDescriptor() {
    }

    /** Offset of copy {@code index} (0 = A, 1 = B). */
    public static long slotOffset(int index) {
        return index == 0 ? A_OFFSET : B_OFFSET;
    }

    /** CRC32C of the superblock at {@code slot}, over bytes [0, {@value #CRC_OFFSET}). */
    public static int computeCrc(MemorySegment segment, long slot) {
        return Crc32c.of(segment, slot, CRC_OFFSET);
    }
}
