package io.ferrite.pmlog;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The layout of one record in the ring (DESIGN.md §6). Little-endian, 8-byte aligned.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     length (u32, payload bytes)               |  0
 *  +---------------------------------------------------------------+
 *  |        crc32c (u32) over bytes 8..24 of this header + payload |  4
 *  +---------------------------------------------------------------+
 *  |                                                               |  8
 *  +              lsn (u64) -- the COMMIT WORD, stored last        +
 *  |                                                               |
 *  +-------------------------------+-------------------------------+
 *  |          type (u16)           |          flags (u16)          | 16
 *  +-------------------------------+-------------------------------+
 *  |         epoch (u32) of the run (open) that wrote the record   | 20
 *  +---------------------------------------------------------------+
 *  |                 payload (length bytes) ...                    | 24
 *  |                 ... padded with zeros or garbage to 8 bytes   |
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <ul>
 * <li>{@code lsn} is the record's byte position in the endless log stream; its position in the
 * ring is {@code lsn % capacity}. A record is complete (and, once flushed and fenced, durable) when
 * the lsn word at its position equals its LSN and the CRC matches.</li>
 * <li>A record never straddles the end of the ring. Before a wrap, a <b>padding record</b>
 * ({@code type == }{@link #PADDING_TYPE}) fills the rest of the ring: its length is the bytes after
 * its header up to the ring end; its CRC covers bytes 8..24 of its header only; it is never
 * delivered to readers. If fewer than {@link #HEADER_LENGTH} bytes remain before the ring end
 * (8 or 16), there is no record there: writers, readers and recovery skip them implicitly and the
 * next record starts at the ring's beginning (the next lap). A padding record is also written over
 * a reservation whose append failed half-way, so that the log never stalls.</li>
 * <li>{@code epoch} must be non-decreasing along the chain of records and at most the epoch in
 * the log header ({@link LogHeaderDescriptor}): a stale record of an earlier run that happens to
 * follow a record of a newer run is refused.</li>
 * <li>{@code type} values Ferrite writes are listed in {@link LogRecordType}, the one table of
 * record types; {@code 0xFF00..0xFFFF} are reserved for the log and replication.</li>
 * <li>{@code flags} is 0 in format version 1.</li>
 * </ul>
 */
public final class LogRecordDescriptor {
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);

    public static final int LENGTH_OFFSET = 0;
    public static final int CRC_OFFSET = 4;
    public static final int LSN_OFFSET = 8;
    public static final int TYPE_OFFSET = 16;
    public static final int FLAGS_OFFSET = 18;
    public static final int EPOCH_OFFSET = 20;
    public static final int PAYLOAD_OFFSET = 24;
    public static final int HEADER_LENGTH = 24;

    /** First byte covered by the CRC, and how many header bytes it covers. */
    public static final int CRC_COVERED_OFFSET = LSN_OFFSET;
    public static final int CRC_COVERED_HEADER_LENGTH = HEADER_LENGTH - CRC_COVERED_OFFSET;

    /**
     * Records start and end on cache-line boundaries (DESIGN.md §6 pads groups to a line; we pad
     * each record): no two records share a line, so the group-commit leader never flushes a line
     * another core is still writing the next record into. Measured on the 2-core development VM:
     * two appender threads went from 1.3-1.4 M durable 64-byte appends/s in every fork to 3.0-3.3 M
     * in most forks (some still settle at 1.2 M), one thread unchanged (docs/benchmarks.md).
     */
    public static final int ALIGNMENT = 64;

    /** Type of a padding record (never delivered; user records may not use it): {@link LogRecordType#PADDING}. */
    public static final short PADDING_TYPE = LogRecordType.PADDING_CODE;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            U32.withName("length"),
            U32.withName("crc"),
            U64.withName("lsn"),
            U16.withName("type"),
            U16.withName("flags"),
            U32.withName("epoch")).withName("LogRecordHeader");

    /** Aligned little-endian access to the lsn word: {@code (MemorySegment, long offset)}; supports release/acquire. */
    public static final VarHandle LSN_WORD = U64.varHandle();

    static {
        if (LAYOUT.byteSize() != HEADER_LENGTH
                || LAYOUT.byteOffset(groupElement("lsn")) != LSN_OFFSET
                || LAYOUT.byteOffset(groupElement("epoch")) != EPOCH_OFFSET) {
            throw new ExceptionInInitializerError("LogRecordDescriptor layout drifted from its constants");
        }
    }

    private LogRecordDescriptor() {
    }

    /** Bytes a record with {@code payloadLength} payload bytes occupies in the ring. */
    public static long recordLength(long payloadLength) {
        return align(HEADER_LENGTH + payloadLength);
    }

    public static long align(long n) {
        return (n + ALIGNMENT - 1) & -ALIGNMENT;
    }

    public static long lengthOffset(long recordOffset) {
        return recordOffset + LENGTH_OFFSET;
    }

    public static long crcOffset(long recordOffset) {
        return recordOffset + CRC_OFFSET;
    }

    public static long lsnOffset(long recordOffset) {
        return recordOffset + LSN_OFFSET;
    }

    public static long typeOffset(long recordOffset) {
        return recordOffset + TYPE_OFFSET;
    }

    public static long flagsOffset(long recordOffset) {
        return recordOffset + FLAGS_OFFSET;
    }

    public static long epochOffset(long recordOffset) {
        return recordOffset + EPOCH_OFFSET;
    }

    public static long payloadOffset(long recordOffset) {
        return recordOffset + PAYLOAD_OFFSET;
    }

    /** The 8-byte word at offset 0 (length, crc) as one little-endian store. */
    public static long packLengthCrc(int length, int crc) {
        return (length & 0xFFFF_FFFFL) | ((long) crc << 32);
    }

    /** The 8-byte word at offset 16 (type, flags, epoch) as one little-endian store. */
    public static long packTypeFlagsEpoch(short type, short flags, long epoch) {
        return (type & 0xFFFFL) | ((flags & 0xFFFFL) << 16) | (epoch << 32);
    }

    /**
     * True when fewer than a header's bytes remain between ring position {@code ringPos} and the
     * ring end: no record can start there; the next one starts at the next lap.
     */
    public static boolean isImplicitSkip(long ringPos, long capacity) {
        return capacity - ringPos < HEADER_LENGTH;
    }
}
