package io.ferrite.replicator.wire;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The layout of one replication frame on the wire (DESIGN.md section 9): a 32-byte header, then
 * {@code length} body bytes. Little-endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 length (u32, body bytes)                      |  0
 *  +---------------------------------------------------------------+
 *  |     crc32c (u32) over header bytes 8..32, then the body       |  4
 *  +---------------------------------------------------------------+
 *  |                                                               |  8
 *  +                term (u64) of the sender                       +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                                                               | 16
 *  +        sequence (u64): 0, 1, 2 ... per connection and sender  +
 *  |                                                               |
 *  +-------------------------------+-------------------------------+
 *  |          type (u16)           |        version (u16) = 1      | 24
 *  +-------------------------------+-------------------------------+
 *  |                    reserved (u32) = 0                         | 28
 *  +---------------------------------------------------------------+
 *  |                    body (length bytes) ...                    | 32
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * Bodies by type (offsets from the start of the body):
 * <pre>
 * HELLO (1)     0 u64 pool UUID msb   8 u64 pool UUID lsb   16 u64 resume LSN (-1: none)
 *              24 u64 log capacity   32 u16 role (0 primary, 1 replica)   34 u16 node id bytes
 *              36 u16 nonce bytes    38 u16 0   40 node id (UTF-8), then the nonce
 * AUTH (2)      0 HMAC-SHA256 proof (32 bytes)
 * ENTRIES (3)   0 u64 first LSN   8 u64 end LSN (after the last)   16 u32 record count   20 u32 0
 *              24 log records verbatim (pmlog header + payload; a padding record: its header)
 * ACK (4)       0 u64 durable LSN   8 u64 applied LSN
 * HEARTBEAT (5) 0 u64 primary clock (ms since the epoch)   8 u64 primary durable LSN
 * SEAL (6)      0 u64 final LSN (the term is the header's)
 * BASE_COPY (7) 0 u64 image offset   8 u64 image length   16 u32 CRC32C of the chunk bytes   20 u32 0
 *              24 chunk bytes
 * ERROR (8)     0 u16 code   2 u16 reason bytes   4 reason (UTF-8)
 * BASE_COPY_BEGIN (9)   0 u64 pool UUID msb   8 u64 pool UUID lsb   16 u64 image term
 *              24 u64 checkpoint LSN C   32 u64 image length   40 u64 start offset   48 u32 chunk size   52 u32 0
 * BASE_COPY_RESUME (10) 0 u64 staged term   8 u64 staged checkpoint LSN (-1: nothing staged)
 *              16 u64 staged image length   24 u64 staged offset (bytes durable in the staging file)
 *              32 u32 staged chunk size   36 u32 0
 * BASE_COPY_END (11)    0 u64 end LSN E (the records [C, E) were sent as ENTRIES after the last chunk)
 * </pre>
 * The header CRC covers the term, sequence, type and version words and the body, so a frame whose
 * header or body was damaged is refused before its body is interpreted; the length word is checked
 * against the configured maximum before any body buffer is allocated.
 */
public final class FrameDescriptor {
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);

    public static final int LENGTH_OFFSET = 0;
    public static final int CRC_OFFSET = 4;
    public static final int TERM_OFFSET = 8;
    public static final int SEQUENCE_OFFSET = 16;
    public static final int TYPE_OFFSET = 24;
    public static final int VERSION_OFFSET = 26;
    public static final int RESERVED_OFFSET = 28;
    public static final int HEADER_LENGTH = 32;
    /** First header byte covered by the CRC. */
    public static final int CRC_COVERED_OFFSET = TERM_OFFSET;

    public static final short VERSION = 1;

    public static final short HELLO = 1;
    public static final short AUTH = 2;
    public static final short ENTRIES = 3;
    public static final short ACK = 4;
    public static final short HEARTBEAT = 5;
    public static final short SEAL = 6;
    public static final short BASE_COPY = 7;
    public static final short ERROR = 8;
    public static final short BASE_COPY_BEGIN = 9;
    public static final short BASE_COPY_RESUME = 10;
    public static final short BASE_COPY_END = 11;

    // HELLO body
    public static final int HELLO_POOL_MSB_OFFSET = 0;
    public static final int HELLO_POOL_LSB_OFFSET = 8;
    public static final int HELLO_RESUME_LSN_OFFSET = 16;
    public static final int HELLO_CAPACITY_OFFSET = 24;
    public static final int HELLO_ROLE_OFFSET = 32;
    public static final int HELLO_NODE_ID_LENGTH_OFFSET = 34;
    public static final int HELLO_NONCE_LENGTH_OFFSET = 36;
    public static final int HELLO_FIXED_LENGTH = 40;
    public static final int MAX_NODE_ID_LENGTH = 256;
    public static final int NONCE_LENGTH = 32;
    public static final short ROLE_PRIMARY = 0;
    public static final short ROLE_REPLICA = 1;

    // AUTH body
    public static final int AUTH_PROOF_LENGTH = 32;

    // ENTRIES body
    public static final int ENTRIES_FIRST_LSN_OFFSET = 0;
    public static final int ENTRIES_END_LSN_OFFSET = 8;
    public static final int ENTRIES_COUNT_OFFSET = 16;
    public static final int ENTRIES_RECORDS_OFFSET = 24;

    // ACK body
    public static final int ACK_DURABLE_LSN_OFFSET = 0;
    public static final int ACK_APPLIED_LSN_OFFSET = 8;
    public static final int ACK_LENGTH = 16;

    // HEARTBEAT body
    public static final int HEARTBEAT_CLOCK_OFFSET = 0;
    public static final int HEARTBEAT_DURABLE_LSN_OFFSET = 8;
    public static final int HEARTBEAT_LENGTH = 16;

    // SEAL body
    public static final int SEAL_FINAL_LSN_OFFSET = 0;
    public static final int SEAL_LENGTH = 8;

    // BASE_COPY body
    public static final int BASE_COPY_OFFSET_OFFSET = 0;
    public static final int BASE_COPY_TOTAL_OFFSET = 8;
    public static final int BASE_COPY_CRC_OFFSET = 16;
    public static final int BASE_COPY_DATA_OFFSET = 24;

    // BASE_COPY_BEGIN body
    public static final int BEGIN_POOL_MSB_OFFSET = 0;
    public static final int BEGIN_POOL_LSB_OFFSET = 8;
    public static final int BEGIN_TERM_OFFSET = 16;
    public static final int BEGIN_CHECKPOINT_LSN_OFFSET = 24;
    public static final int BEGIN_IMAGE_LENGTH_OFFSET = 32;
    public static final int BEGIN_START_OFFSET_OFFSET = 40;
    public static final int BEGIN_CHUNK_SIZE_OFFSET = 48;
    public static final int BEGIN_LENGTH = 56;

    // BASE_COPY_RESUME body
    public static final int RESUME_TERM_OFFSET = 0;
    public static final int RESUME_CHECKPOINT_LSN_OFFSET = 8;
    public static final int RESUME_IMAGE_LENGTH_OFFSET = 16;
    public static final int RESUME_OFFSET_OFFSET = 24;
    public static final int RESUME_CHUNK_SIZE_OFFSET = 32;
    public static final int RESUME_LENGTH = 40;

    // BASE_COPY_END body
    public static final int END_LSN_OFFSET = 0;
    public static final int END_LENGTH = 8;

    // ERROR body
    public static final int ERROR_CODE_OFFSET = 0;
    public static final int ERROR_REASON_LENGTH_OFFSET = 2;
    public static final int ERROR_REASON_OFFSET = 4;
    public static final int MAX_REASON_LENGTH = 1024;

    /** The header as an FFM layout (the layout test checks the offsets above against it). */
    public static final StructLayout HEADER_LAYOUT = MemoryLayout.structLayout(
            U32.withName("length"),
            U32.withName("crc"),
            U64.withName("term"),
            U64.withName("sequence"),
            U16.withName("type"),
            U16.withName("version"),
            U32.withName("reserved"));

    /** The HELLO body's fixed part. */
    public static final StructLayout HELLO_LAYOUT = MemoryLayout.structLayout(
            U64.withName("poolMsb"),
            U64.withName("poolLsb"),
            U64.withName("resumeLsn"),
            U64.withName("capacity"),
            U16.withName("role"),
            U16.withName("nodeIdLength"),
            U16.withName("nonceLength"),
            U16.withName("reserved"));

    /** The ENTRIES body's fixed part. */
    public static final StructLayout ENTRIES_LAYOUT = MemoryLayout.structLayout(
            U64.withName("firstLsn"),
            U64.withName("endLsn"),
            U32.withName("count"),
            U32.withName("reserved"));

    /** The BASE_COPY body's fixed part (the chunk bytes follow). */
    public static final StructLayout BASE_COPY_LAYOUT = MemoryLayout.structLayout(
            U64.withName("imageOffset"),
            U64.withName("imageLength"),
            U32.withName("crc"),
            U32.withName("reserved"));

    /** The BASE_COPY_BEGIN body: the image identity (pool, term, checkpoint LSN, length) and where the chunks start. */
    public static final StructLayout BEGIN_LAYOUT = MemoryLayout.structLayout(
            U64.withName("poolMsb"),
            U64.withName("poolLsb"),
            U64.withName("term"),
            U64.withName("checkpointLsn"),
            U64.withName("imageLength"),
            U64.withName("startOffset"),
            U32.withName("chunkSize"),
            U32.withName("reserved"));

    /** The BASE_COPY_RESUME body: what the replica has staged. */
    public static final StructLayout RESUME_LAYOUT = MemoryLayout.structLayout(
            U64.withName("term"),
            U64.withName("checkpointLsn"),
            U64.withName("imageLength"),
            U64.withName("offset"),
            U32.withName("chunkSize"),
            U32.withName("reserved"));

    private FrameDescriptor() {
    }

    /** The name of a frame type, for messages; "type 0x.." for an unknown one. */
    public static String typeName(short type) {
        return switch (type) {
            case HELLO -> "HELLO";
            case AUTH -> "AUTH";
            case ENTRIES -> "ENTRIES";
            case ACK -> "ACK";
            case HEARTBEAT -> "HEARTBEAT";
            case SEAL -> "SEAL";
            case BASE_COPY -> "BASE_COPY";
            case ERROR -> "ERROR";
            case BASE_COPY_BEGIN -> "BASE_COPY_BEGIN";
            case BASE_COPY_RESUME -> "BASE_COPY_RESUME";
            case BASE_COPY_END -> "BASE_COPY_END";
            default -> "type 0x" + Integer.toHexString(type & 0xFFFF);
        };
    }

    /** True for the types this version knows. */
    public static boolean isKnownType(short type) {
        return type >= HELLO && type <= BASE_COPY_END;
    }

    /** Header offset check: {@code byteOffset(groupElement(name))} of {@link #HEADER_LAYOUT}. */
    static long headerOffset(String name) {
        return HEADER_LAYOUT.byteOffset(groupElement(name));
    }
}
