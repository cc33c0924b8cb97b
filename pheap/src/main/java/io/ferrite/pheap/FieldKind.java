package io.ferrite.pheap;

import io.ferrite.pheap.format.Le;
import java.lang.foreign.MemoryLayout;

/** What a field of a persistent type holds; the code is what the registry stores. */
public enum FieldKind {
    INT8(1, 1),
    INT16(2, 2),
    INT32(3, 4),
    INT64(4, 8),
    FLOAT(5, 4),
    DOUBLE(6, 8),
    /** A fixed-length byte array; the length is the field's. */
    BYTES(7, 1),
    /** An absolute address of an object of the named target type (0 = null). */
    POINTER(8, 8);

    private final int code;
    private final int alignment;

    FieldKind(int code, int alignment) {
        this.code = code;
        this.alignment = alignment;
    }

    public int code() {
        return code;
    }

    public int alignment() {
        return alignment;
    }

    public static FieldKind ofCode(int code) {
        for (FieldKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        return null;
    }

    MemoryLayout layout(int length) {
        return switch (this) {
            case INT8 -> Le.U8;
            case INT16 -> Le.U16;
            case INT32 -> Le.U32;
            case INT64, POINTER -> Le.U64;
            case FLOAT -> Le.F32;
            case DOUBLE -> Le.F64;
            case BYTES -> MemoryLayout.sequenceLayout(length, Le.U8);
        };
    }

    String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
