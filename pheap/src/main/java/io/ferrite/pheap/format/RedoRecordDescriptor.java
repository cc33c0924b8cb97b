package io.ferrite.pheap.format;

import static java.lang.foreign.MemoryLayout.structLayout;
import static io.ferrite.pheap.format.Le.U16;
import static io.ferrite.pheap.format.Le.U32;
import static io.ferrite.pheap.format.Le.U64;
import static io.ferrite.pheap.format.Le.U8;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

/**
 * The payload of one redo record (pmlog record type {@value #LOG_RECORD_TYPE}): everything one
 * transaction changes in the pool, as physical, idempotent operations on pool offsets. Pointers
 * are position independent in the record (a pool offset) and become absolute addresses only when
 * applied, so local recovery and replicas replay the same bytes whatever their mapping base.
 *
 * <pre>
 *  record header (16 bytes)
 *  +---------------+---------------+-------------------------------+
 *  | version (u16) |  flags (u16)  |      operation count (u32)    |   0
 *  +---------------+---------------+-------------------------------+
 *  |                    transaction id (u64)                      |   8
 *  +-------------------------------------------------------------+  16
 *  operation (16 bytes + payload padded to 8), operation count times
 *  +-------+-------+---------------+-------------------------------+
 *  |kind u8| 0 (u8)|    0 (u16)    |          length (u32)         |   0
 *  +-------+-------+---------------+-------------------------------+
 *  |                      pool offset (u64)                       |   8
 *  +-------------------------------------------------------------+  16
 *  |  payload: WRITE: length bytes, padded to 8                   |
 *  |           WRITE_PTR: target pool offset (u64, 0 = null)      |
 *  |           SET_BITS / CLEAR_BITS: mask (u64)                  |
 *  |           ZERO, WRITE_BASE: none                             |
 * </pre>
 * <ul>
 * <li>WRITE: copy {@code length} bytes to the offset.</li>
 * <li>WRITE_PTR: store (pointer base + target) as a u64 at the offset, or 0 for null.</li>
 * <li>SET_BITS / CLEAR_BITS: atomically OR / AND-NOT the mask into the aligned u64 at the offset
 *     (allocation bitmaps: concurrent transactions share words).</li>
 * <li>ZERO: fill {@code length} bytes with zero.</li>
 * <li>WRITE_BASE: store the recorded-base word AT(pointer base) as a u64 (a slab table entry's
 *     recorded base; see {@link SlabTableDescriptor#recordedBaseWord}).</li>
 * </ul>
 */
public final class RedoRecordDescriptor {
    /** The pmlog record type of a redo record. */
    public static final short LOG_RECORD_TYPE = io.ferrite.pmlog.LogRecordType.REDO_CODE;
    public static final short VERSION = 1;

    public static final int VERSION_OFFSET = 0;
    public static final int FLAGS_OFFSET = 2;
    public static final int OP_COUNT_OFFSET = 4;
    public static final int TX_ID_OFFSET = 8;
    public static final int HEADER_LENGTH = 16;

    public static final int OP_KIND_OFFSET = 0;
    public static final int OP_LENGTH_OFFSET = 4;
    public static final int OP_POOL_OFFSET_OFFSET = 8;
    public static final int OP_PAYLOAD_OFFSET = 16;
    public static final int OP_HEADER_LENGTH = 16;

    public static final byte OP_WRITE = 1;
    public static final byte OP_WRITE_PTR = 2;
    public static final byte OP_SET_BITS = 3;
    public static final byte OP_CLEAR_BITS = 4;
    public static final byte OP_ZERO = 5;
    public static final byte OP_WRITE_BASE = 6;

    public static final StructLayout LAYOUT = structLayout(
            U16.withName("version"),
            U16.withName("flags"),
            U32.withName("opCount"),
            U64.withName("txId")).withName("RedoRecordHeader");

    public static final StructLayout OP_LAYOUT = structLayout(
            U8.withName("kind"),
            MemoryLayout.paddingLayout(3),
            U32.withName("length"),
            U64.withName("poolOffset")).withName("RedoOp");

    private RedoRecordDescriptor() {
    }

    /** Bytes the payload of an operation of this kind and length takes. */
    public static int payloadLength(byte kind, int length) {
        return switch (kind) {
            case OP_WRITE -> (length + 7) & ~7;
            case OP_WRITE_PTR, OP_SET_BITS, OP_CLEAR_BITS -> 8;
            case OP_ZERO, OP_WRITE_BASE -> 0;
            default -> -1;
        };
    }

    public static String opName(byte kind) {
        return switch (kind) {
            case OP_WRITE -> "WRITE";
            case OP_WRITE_PTR -> "WRITE_PTR";
            case OP_SET_BITS -> "SET_BITS";
            case OP_CLEAR_BITS -> "CLEAR_BITS";
            case OP_ZERO -> "ZERO";
            case OP_WRITE_BASE -> "WRITE_BASE";
            default -> "UNKNOWN(" + kind + ")";
        };
    }
}
