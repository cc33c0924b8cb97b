package io.ferrite.replicator.basecopy;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The progress record of a base copy being staged on a replica ({@code <pool>.basecopy.progress},
 * 64 bytes, little-endian): the identity of the image being received and how much of it is
 * durable in the staging file {@code <pool>.basecopy}, whose chunk checksums are in
 * {@code <pool>.basecopy.sums} (one u32 CRC32C per chunk, little-endian, in chunk order).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 magic "FERBCOPY" (u64)                        |  0
 *  +-------------------------------+-------------------------------+
 *  |        version (u32) = 1      | flags (u32): 1 verified,      |  8
 *  |                               |   2 installing                |
 *  +-------------------------------+-------------------------------+
 *  |                 pool UUID, most significant (u64)             | 16
 *  |                 pool UUID, least significant (u64)            | 24
 *  |                 term the image was taken in (u64)             | 32
 *  |                 checkpoint LSN C of the image (u64)           | 40
 *  |                 image length (u64): the pool size at C        | 48
 *  +-------------------------------+-------------------------------+
 *  |   staged offset (u64): bytes [0, offset) are durable in the   | 56
 *  |   staging file and their chunk CRCs in the sums file          |
 *  +-------------------------------+-------------------------------+
 *  |      chunk size (u32)         |  CRC32C of bytes 0..68 (u32)  | 64
 *  +-------------------------------+-------------------------------+ 72
 * </pre>
 *
 * The record is replaced whole (written to a temporary file, forced, renamed over the old one, the
 * directory forced), so a crash leaves the old record or the new one; a record that fails its
 * magic, version or CRC is treated as no record (the copy starts over, logged).
 */
public final class BaseCopyProgressDescriptor {
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** "FERBCOPY" read as a little-endian u64. */
    public static final long MAGIC = 0x59504F4342524546L;
    public static final int VERSION = 1;
    public static final int FLAG_VERIFIED = 1;
    /** The mirror log at E exists and the image is being renamed to the pool path (a pool there is the new one). */
    public static final int FLAG_INSTALLING = 2;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int FLAGS_OFFSET = 12;
    public static final int POOL_MSB_OFFSET = 16;
    public static final int POOL_LSB_OFFSET = 24;
    public static final int TERM_OFFSET = 32;
    public static final int CHECKPOINT_LSN_OFFSET = 40;
    public static final int IMAGE_LENGTH_OFFSET = 48;
    public static final int STAGED_OFFSET_OFFSET = 56;
    public static final int CHUNK_SIZE_OFFSET = 64;
    public static final int CRC_OFFSET = 68;
    public static final int LENGTH = 72;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            U64.withName("magic"),
            U32.withName("version"),
            U32.withName("flags"),
            U64.withName("poolMsb"),
            U64.withName("poolLsb"),
            U64.withName("term"),
            U64.withName("checkpointLsn"),
            U64.withName("imageLength"),
            U64.withName("stagedOffset"),
            U32.withName("chunkSize"),
            U32.withName("crc"));

    static {
        if (LAYOUT.byteSize() != LENGTH || LAYOUT.byteOffset(groupElement("stagedOffset")) != STAGED_OFFSET_OFFSET
                || LAYOUT.byteOffset(groupElement("crc")) != CRC_OFFSET) {
            throw new ExceptionInInitializerError("BaseCopyProgressDescriptor layout drifted from its constants");
        }
    }

    private BaseCopyProgressDescriptor() {
    }

    /** Where chunk {@code index}'s CRC32C is in the sums file. */
    public static long sumOffset(long index) {
        return index * 4;
    }
}
