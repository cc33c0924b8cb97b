package io.ferrite.pheap;

/**
 * A reference to a persistent object: its pool offset and type. Position independent and
 * immutable; valid as long as the object is not freed. {@link Heap#address(Ref)} gives the
 * absolute address stored in pointer fields.
 */
public final class Ref {
    private final long offset;
    private final PType type;

    Ref(long offset, PType type) {
        this.offset = offset;
        this.type = type;
    }

    /** Byte offset of the object from the start of the pool. */
    public long offset() {
        return offset;
    }

    public PType type() {
        return type;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Ref r && r.offset == offset;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(offset);
    }

    @Override
    public String toString() {
        return type.name() + "@" + offset;
    }
}
