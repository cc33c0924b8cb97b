package io.ferrite.pheap.format;

import static java.lang.foreign.MemoryLayout.structLayout;
import static io.ferrite.pheap.format.Le.U32;
import static io.ferrite.pheap.format.Le.U64;

import java.lang.foreign.StructLayout;

/**
 * The header at the start of a slab in state small or large-head: geometry, then the allocation
 * bitmap (bit i of word i/64 set = object i allocated), then, at {@code dataOffset} (64-byte
 * aligned), {@code objectCount} objects of {@code objectSize} bytes.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-----------------------------+---------------+---------------+
 *  |      magic "SLB1" (u32)     | version (u16) |  flags (u16)  |   0
 *  +-----------------------------+---------------+---------------+
 *  |        type id (u32)        |       object count (u32)      |   8
 *  +-----------------------------+-------------------------------+
 *  |                     object size (u64)                        |  16
 *  +-----------------------------+-------------------------------+
 *  |      data offset (u32)      |       bitmap words (u32)      |  24
 *  +-----------------------------+-------------------------------+
 *  |      bitmap: bitmap words × u64                              |  32
 *  +-------------------------------------------------------------+
 *  |      zero up to data offset, then the objects                |
 * </pre>
 * Bitmap words change only through the SET_BITS / CLEAR_BITS redo operations (atomic OR / AND),
 * so concurrent transactions allocating in one slab never lose each other's bits.
 */
public final class SlabHeaderDescriptor {
    /** "SLB1" read as a little-endian u32. */
    public static final int MAGIC = 0x31424c53;
    public static final short VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int FLAGS_OFFSET = 6;
    public static final int TYPE_ID_OFFSET = 8;
    public static final int OBJECT_COUNT_OFFSET = 12;
    public static final int OBJECT_SIZE_OFFSET = 16;
    public static final int DATA_OFFSET_OFFSET = 24;
    public static final int BITMAP_WORDS_OFFSET = 28;
    public static final int BITMAP_OFFSET = 32;
    public static final int DATA_ALIGNMENT = 64;

    public static final StructLayout LAYOUT = structLayout(
            U32.withName("magic"),
            Le.U16.withName("version"),
            Le.U16.withName("flags"),
            U32.withName("typeId"),
            U32.withName("objectCount"),
            U64.withName("objectSize"),
            U32.withName("dataOffset"),
            U32.withName("bitmapWords")).withName("SlabHeader");

    private SlabHeaderDescriptor() {
    }

    public static int bitmapWords(int objectCount) {
        return (objectCount + 63) >>> 6;
    }

    public static int dataOffset(int objectCount) {
        int end = BITMAP_OFFSET + 8 * bitmapWords(objectCount);
        return (end + DATA_ALIGNMENT - 1) & -DATA_ALIGNMENT;
    }

    /** Largest slab size {@link #objectCount} accepts (the superblock's slab size is a u32). */
    public static final long MAX_SLAB_SIZE = 1L << 32;

    /**
     * How many objects of {@code objectSize} bytes fit in one slab with their header; 0 if none.
     * Closed form: each object costs its size plus one bitmap bit, so {@code (slab - 32) * 8 /
     * (8 * size + 1)} objects fit if the bitmap needed no rounding; rounding the bitmap to words and
     * the data offset to 64 bytes costs at most 71 bytes more, so at most 64 steps down from that
     * bound find the exact count (counting down from {@code slab / size} took minutes for hostile
     * registries of 1 GiB slabs and 1-byte objects).
     */
    public static int objectCount(long slabSize, long objectSize) {
        if (objectSize <= 0 || slabSize < 0 || slabSize > MAX_SLAB_SIZE) {
            throw new IllegalArgumentException("slabSize=" + slabSize + " objectSize=" + objectSize);
        }
        if (objectSize > slabSize) {
            return 0;
        }
        long n = Math.max(0, Math.min(Integer.MAX_VALUE, (slabSize - BITMAP_OFFSET) * 8 / (8 * objectSize + 1)));
        while (n > 0 && dataOffset((int) n) + n * objectSize > slabSize) {
            n--;
        }
        return (int) n;
    }

    /** Offset, from the slab start, of the bitmap word holding object {@code index}'s bit. */
    public static long bitmapWordOffset(int index) {
        return BITMAP_OFFSET + 8L * (index >>> 6);
    }

    /** Slabs a large object of {@code objectSize} bytes spans (its head slab keeps a header). */
    public static int largeSpan(long slabSize, long objectSize) {
        long total = dataOffset(1) + objectSize;
        return (int) ((total + slabSize - 1) / slabSize);
    }
}
