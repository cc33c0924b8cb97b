package io.ferrite.pheap.format;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * The header of every blob object (the built-in types {@code ferrite.blob} and
 * {@code ferrite.blob.N}): the length of the bytes it holds, then the bytes. Little-endian.
 *
 * <pre>
 *  blob object (object size bytes; 8-byte aligned, like every object)
 *  +-------------------------------+-------------------------------+
 *  |    length (u32, data bytes)   |         reserved (u32)        |   0
 *  +-------------------------------+-------------------------------+
 *  |  data (length bytes), then unused bytes up to the object size |   8
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <ul>
 * <li>A sized blob ({@code ferrite.blob.N}) holds up to {@code N - 8} bytes
 * ({@link #capacity}); a variable blob ({@code ferrite.blob}) is one object over a run of slabs,
 * sized {@link #objectSize} for its bytes.</li>
 * <li>{@code length} is written in the same transaction as the bytes; a length above the
 * object's capacity is damage, and readers (the store, {@code ferrite check}/{@code dump})
 * refuse it rather than read past the object.</li>
 * <li>The store keeps its entries (key, value, CRC32C) in the data of a blob
 * ({@code io.ferrite.store.EntryDescriptor}).</li>
 * </ul>
 */
public final class BlobHeaderDescriptor {
    public static final int LENGTH_OFFSET = 0;
    public static final int RESERVED_OFFSET = 4;
    public static final int DATA_OFFSET = 8;
    public static final int HEADER_LENGTH = 8;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            Le.U32.withName("length"),
            Le.U32.withName("reserved")).withName("BlobHeader");

    static {
        if (LAYOUT.byteSize() != HEADER_LENGTH
                || LAYOUT.byteOffset(groupElement("length")) != LENGTH_OFFSET
                || LAYOUT.byteOffset(groupElement("reserved")) != RESERVED_OFFSET
                || DATA_OFFSET != HEADER_LENGTH) {
            throw new ExceptionInInitializerError("BlobHeaderDescriptor layout drifted from its constants");
        }
    }

    private BlobHeaderDescriptor() {
    }

    /** Pool offset of the length word of the blob at {@code blobOffset}. */
    public static long lengthOffset(long blobOffset) {
        return blobOffset + LENGTH_OFFSET;
    }

    /** Pool offset of the first data byte of the blob at {@code blobOffset}. */
    public static long dataOffset(long blobOffset) {
        return blobOffset + DATA_OFFSET;
    }

    /** Data bytes an object of {@code objectSize} bytes can hold. */
    public static long capacity(long objectSize) {
        return objectSize - DATA_OFFSET;
    }

    /** Object size of a variable blob holding {@code dataLength} bytes: header plus data, rounded up to 8. */
    public static long objectSize(long dataLength) {
        return (DATA_OFFSET + dataLength + 7) & ~7L;
    }
}
