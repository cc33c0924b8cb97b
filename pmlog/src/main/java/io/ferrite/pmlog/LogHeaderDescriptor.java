package io.ferrite.pmlog;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The header block (4 KiB) at the start of a log region; the ring of {@code capacity} bytes follows
 * it. Little-endian. A standalone log file is one region at offset 0 of its own file.
 *
 * <pre>
 *  offset  size  field
 *  ------  ----  ------------------------------------------------------------------
 *       0     8  magic            "FERLOG\0\0"
 *       8     4  version          format version ({@value #FORMAT_VERSION})
 *      12     4  headerLength     {@value #HEADER_LENGTH}: the ring starts here
 *      16     8  capacity         ring bytes (multiple of 64)
 *      24     4  maxRecordSize    largest payload an append accepts
 *      28     4  flags            bit 0: MIRROR (the ring holds another log's records verbatim)
 *      32     4  staticCrc        crc32c of bytes 0..32 (the static part above)
 *      36    28  (reserved, 0)
 *  ---- cache line 1 (dynamic) ----
 *      64     8  epoch            incremented and persisted by every open, before any append;
 *                                 of a mirror: the highest epoch it holds a record of
 *      72    56  (reserved, 0)
 *  ---- cache line 2 ----
 *     128    16  headSlot0        { u64 lsn, u32 epoch, u32 crc32c of the 12 bytes before }
 *     144    48  (reserved, 0)
 *  ---- cache line 3 ----
 *     192    16  headSlot1        same; the valid slot with the higher lsn is the head
 *     208  3888  (reserved, 0)
 * </pre>
 *
 * <p>The head (reclaim point) is written to the slot that is not current, then persisted, so that
 * a torn write leaves the other slot intact. A head slot's epoch is the lowest epoch the first
 * record at the head may carry (the epoch of the record there, or of the run that reclaimed up to
 * the tail).
 *
 * <p>A <b>mirror</b> ({@link #FLAG_MIRROR}, fixed at format, covered by the static CRC) stores
 * another log's records verbatim, with their LSNs, epochs and CRCs, and has that log's capacity.
 * Its opens do not increment the epoch word: the word holds the highest epoch among the records
 * it mirrors, raised and persisted before the first record of a new epoch is written, so that
 * recovery's rule (a record's epoch is at most the header's) holds for a mirror unchanged. A
 * log without the flag (every log before mirrors existed) has flags 0; unknown flags are refused.
 */
public final class LogHeaderDescriptor {
    public static final ValueLayout.OfInt U32 = LogRecordDescriptor.U32;
    public static final ValueLayout.OfLong U64 = LogRecordDescriptor.U64;

    public static final int FORMAT_VERSION = 1;
    public static final int HEADER_LENGTH = 4096;
    /** "FERLOG\0\0" read as a little-endian u64. */
    public static final long MAGIC = magic("FERLOG\0\0");
    public static final String MAGIC_TEXT = "FERLOG\\0\\0";

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int HEADER_LENGTH_OFFSET = 12;
    public static final int CAPACITY_OFFSET = 16;
    public static final int MAX_RECORD_SIZE_OFFSET = 24;
    public static final int FLAGS_OFFSET = 28;
    /** Flag: the log is a mirror of another log (see the class comment). */
    public static final int FLAG_MIRROR = 1;
    /** Every flag this build knows; a header with another bit set is refused. */
    public static final int KNOWN_FLAGS = FLAG_MIRROR;
    public static final int STATIC_CRC_OFFSET = 32;
    /** The static CRC covers bytes [0, STATIC_CRC_OFFSET). */
    public static final int STATIC_LENGTH = STATIC_CRC_OFFSET;
    public static final int EPOCH_OFFSET = 64;
    public static final int HEAD_SLOT0_OFFSET = 128;
    public static final int HEAD_SLOT1_OFFSET = 192;
    public static final int HEAD_SLOT_COUNT = 2;

    /** Inside a head slot. */
    public static final int SLOT_LSN_OFFSET = 0;
    public static final int SLOT_EPOCH_OFFSET = 8;
    public static final int SLOT_CRC_OFFSET = 12;
    public static final int SLOT_LENGTH = 16;
    /** The slot CRC covers slot bytes [0, SLOT_CRC_OFFSET). */
    public static final int SLOT_COVERED_LENGTH = SLOT_CRC_OFFSET;

    /** Smallest ring; capacities are multiples of {@link #CAPACITY_ALIGNMENT}. */
    public static final long MIN_CAPACITY = 1024;
    public static final long CAPACITY_ALIGNMENT = 64;

    public static final StructLayout HEAD_SLOT_LAYOUT = MemoryLayout.structLayout(
            U64.withName("lsn"),
            U32.withName("epoch"),
            U32.withName("crc")).withName("HeadSlot");

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            U64.withName("magic"),
            U32.withName("version"),
            U32.withName("headerLength"),
            U64.withName("capacity"),
            U32.withName("maxRecordSize"),
            U32.withName("flags"),
            U32.withName("staticCrc"),
            MemoryLayout.paddingLayout(28),
            U64.withName("epoch"),
            MemoryLayout.paddingLayout(56),
            HEAD_SLOT_LAYOUT.withName("headSlot0"),
            MemoryLayout.paddingLayout(48),
            HEAD_SLOT_LAYOUT.withName("headSlot1"),
            MemoryLayout.paddingLayout(HEADER_LENGTH - HEAD_SLOT1_OFFSET - SLOT_LENGTH)).withName("LogHeader");

    static {
        if (LAYOUT.byteSize() != HEADER_LENGTH
                || LAYOUT.byteOffset(groupElement("headSlot1")) != HEAD_SLOT1_OFFSET
                || LAYOUT.byteOffset(groupElement("epoch")) != EPOCH_OFFSET) {
            throw new ExceptionInInitializerError("LogHeaderDescriptor layout drifted from its constants");
        }
    }

    private LogHeaderDescriptor() {
    }

    /** Bytes a log region with a ring of {@code capacity} bytes occupies: header + ring. */
    public static long regionLength(long capacity) {
        return HEADER_LENGTH + capacity;
    }

    /** Offset of head slot {@code i} (0 or 1) from the region start. */
    public static long headSlotOffset(int i) {
        return i == 0 ? HEAD_SLOT0_OFFSET : HEAD_SLOT1_OFFSET;
    }

    /** Offset of the ring from the region start. */
    public static long ringOffset(long regionOffset) {
        return regionOffset + HEADER_LENGTH;
    }

    static long magic(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    /** The 8 magic bytes as text, with non-printable bytes escaped (for error messages). */
    public static String describeMagic(long v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            int c = (int) (v >>> (8 * i)) & 0xFF;
            if (c >= 0x20 && c < 0x7F) {
                sb.append((char) c);
            } else {
                sb.append(String.format("\\x%02x", c));
            }
        }
        return sb.toString();
    }
}
