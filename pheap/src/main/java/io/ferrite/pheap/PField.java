package io.ferrite.pheap;

import java.lang.invoke.VarHandle;

/**
 * One field of a {@link PType}: kind, offset, length, and for pointers the name of the target
 * type. Primitive and pointer fields carry a {@link VarHandle} from the type's
 * {@link java.lang.foreign.StructLayout} with coordinates {@code (MemorySegment, long objectOffset)}.
 */
public final class PField {
    private final PType owner;
    private final String name;
    private final FieldKind kind;
    private final int offset;
    private final int length;
    private final String target;
    private final VarHandle handle;

    PField(PType owner, String name, FieldKind kind, int offset, int length, String target, VarHandle handle) {
        this.owner = owner;
        this.name = name;
        this.kind = kind;
        this.offset = offset;
        this.length = length;
        this.target = target;
        this.handle = handle;
    }

    public PType owner() {
        return owner;
    }

    public String name() {
        return name;
    }

    public FieldKind kind() {
        return kind;
    }

    /** Byte offset inside the object. */
    public int offset() {
        return offset;
    }

    /** Bytes the field takes. */
    public int length() {
        return length;
    }

    /** For pointers: the name of the target type ({@link PType#ANY_BLOB} for any blob); else null. */
    public String target() {
        return target;
    }

    /** The layout's VarHandle ({@code (MemorySegment, long)} coordinates); null for byte arrays. */
    public VarHandle handle() {
        return handle;
    }

    String describe() {
        return name + " " + kind.label() + (kind == FieldKind.BYTES ? "[" + length + "]" : "")
                + (target != null ? "->" + target : "") + " @" + offset;
    }

    @Override
    public String toString() {
        return owner.name() + "." + describe();
    }
}
