package io.ferrite.pheap;

import io.ferrite.pheap.annotation.Bytes;
import io.ferrite.pheap.annotation.Persistent;
import io.ferrite.pheap.annotation.Pointer;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A persistent type: a name and an FFM {@link StructLayout} of primitives, fixed-length byte
 * arrays and pointers (each naming its target type). Declared with {@link #builder(String)} or
 * derived from an annotated record with {@link #of(Class)}; immutable and independent of any
 * heap (a heap gives it an id when it is registered).
 *
 * <p>Fields are laid out in declaration order at their natural alignment; the object size is
 * rounded up to 8 bytes so that every object, and every pointer in it, is 8-byte aligned.
 */
public final class PType {
    /** Name of the variable-size built-in blob type; as a pointer target it means "any blob". */
    public static final String ANY_BLOB = "ferrite.blob";
    static final String BLOB_CLASS_PREFIX = "ferrite.blob.";
    /** Offset of the u32 length in a blob; the bytes start at {@link #BLOB_DATA_OFFSET}. */
    static final int BLOB_LENGTH_OFFSET = 0;
    static final int BLOB_DATA_OFFSET = 8;
    /**
     * Largest object size, 2^31 - 8 bytes: field offsets and lengths are 32-bit in the registry
     * ({@link io.ferrite.pheap.format.TypeDescriptor}) and in {@link PField}, and swizzling's
     * pointer maps are built from them, so a field that ends past it would be truncated.
     */
    public static final long MAX_SIZE = Integer.MAX_VALUE & ~7L;

    private final String name;
    private final long size;
    private final boolean blob;
    private final List<PField> fields;
    private final Map<String, PField> byName;
    private final StructLayout layout;
    private final long[] pointerOffsets;
    /** The last heap registry this type was looked up in, and its info there (a one-entry cache). */
    volatile Object[] binding;

    private PType(String name, List<FieldSpec> specs, boolean blob, long variableSize) {
        this.name = name;
        this.blob = blob;
        List<MemoryLayout> elements = new ArrayList<>();
        List<PField> fs = new ArrayList<>();
        Map<String, PField> map = new LinkedHashMap<>();
        long off = 0;
        for (FieldSpec s : specs) {
            if (s.length <= 0) {
                throw new IllegalArgumentException("type " + name + ": field '" + s.name + "' length " + s.length);
            }
            long aligned = (off + s.kind.alignment() - 1) & -s.kind.alignment();
            if (aligned + s.length > MAX_SIZE) {
                throw new IllegalArgumentException("type " + name + ": field '" + s.name + "' at offset " + aligned + " of "
                        + s.length + " bytes ends past " + MAX_SIZE + " bytes, the largest object size (field offsets are"
                        + " 32-bit); split the object");
            }
            if (aligned > off) {
                elements.add(MemoryLayout.paddingLayout(aligned - off));
            }
            elements.add(s.kind.layout(s.length).withName(s.name));
            off = aligned + s.length;
        }
        long sz = Math.max(8, (off + 7) & ~7L);
        if (sz > off) {
            elements.add(MemoryLayout.paddingLayout(sz - off));
        }
        this.layout = MemoryLayout.structLayout(elements.toArray(MemoryLayout[]::new)).withName(name);
        this.size = variableSize > 0 ? variableSize : sz;
        List<Long> ptrs = new ArrayList<>();
        for (FieldSpec s : specs) {
            long o = layout.byteOffset(PathElement.groupElement(s.name));
            VarHandle vh = s.kind == FieldKind.BYTES ? null : layout.varHandle(PathElement.groupElement(s.name));
            PField f = new PField(this, s.name, s.kind, (int) o, s.length, s.target, vh);
            fs.add(f);
            map.put(s.name, f);
            if (s.kind == FieldKind.POINTER) {
                ptrs.add(o);
            }
        }
        this.fields = Collections.unmodifiableList(fs);
        this.byName = map;
        this.pointerOffsets = ptrs.stream().mapToLong(Long::longValue).toArray();
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** The built-in blob class holding up to {@code capacity} bytes (object size capacity + 8). */
    static PType blobClass(long objectSize) {
        List<FieldSpec> specs = List.of(new FieldSpec("length", FieldKind.INT32, 4, null),
                new FieldSpec("reserved", FieldKind.INT32, 4, null),
                new FieldSpec("data", FieldKind.BYTES, (int) (objectSize - BLOB_DATA_OFFSET), null));
        return new PType(BLOB_CLASS_PREFIX + objectSize, specs, true, 0);
    }

    /** The variable-size blob type (large blobs, one object per slab run). */
    static PType variableBlob() {
        List<FieldSpec> specs = List.of(new FieldSpec("length", FieldKind.INT32, 4, null),
                new FieldSpec("reserved", FieldKind.INT32, 4, null));
        return new PType(ANY_BLOB, specs, true, 0);
    }

    /** Rebuilds a type from its persisted description (registry decoding, no application classes). */
    static PType decoded(String name, boolean blob, long size, List<FieldSpec> specs) {
        PType t = new PType(name, specs, blob, 0);
        if (!blob && t.size != size) {
            throw new IllegalStateException("type " + name + ": persisted size " + size + " but its fields lay out to " + t.size);
        }
        return t;
    }

    /**
     * Derives a type from a record annotated with {@link Persistent}. Reflection runs here only,
     * never on the access path.
     */
    public static PType of(Class<? extends Record> recordClass) {
        Builder b = new Builder(typeName(recordClass));
        for (RecordComponent c : recordClass.getRecordComponents()) {
            Class<?> t = c.getType();
            Pointer p = c.getAnnotation(Pointer.class);
            Bytes bytes = c.getAnnotation(Bytes.class);
            String n = c.getName();
            if (p != null) {
                if (t != long.class) {
                    throw new IllegalArgumentException(recordClass.getName() + "." + n + ": @Pointer needs a long component, not " + t);
                }
                String target = !p.name().isEmpty() ? p.name()
                        : p.value() == Void.class ? null : typeName(p.value());
                if (target == null) {
                    throw new IllegalArgumentException(recordClass.getName() + "." + n + ": @Pointer needs a target class or name");
                }
                b.pointer(n, target);
            } else if (t == byte[].class) {
                if (bytes == null) {
                    throw new IllegalArgumentException(recordClass.getName() + "." + n + ": a byte[] component needs @Bytes(length)");
                }
                b.bytes(n, bytes.value());
            } else if (t == byte.class) {
                b.int8(n);
            } else if (t == short.class) {
                b.int16(n);
            } else if (t == int.class) {
                b.int32(n);
            } else if (t == long.class) {
                b.int64(n);
            } else if (t == float.class) {
                b.float32(n);
            } else if (t == double.class) {
                b.float64(n);
            } else {
                throw new IllegalArgumentException(recordClass.getName() + "." + n + ": component type " + t.getName()
                        + " is not persistent (use a primitive, a @Pointer long or a @Bytes byte[])");
            }
        }
        return b.build();
    }

    private static String typeName(Class<?> c) {
        Persistent p = c.getAnnotation(Persistent.class);
        if (p == null) {
            throw new IllegalArgumentException(c.getName() + " is not annotated with @Persistent");
        }
        return p.value().isEmpty() ? c.getSimpleName() : p.value();
    }

    public String name() {
        return name;
    }

    /** Bytes one object takes (a multiple of 8); for the variable blob type, its fixed header. */
    public long size() {
        return size;
    }

    public boolean isBlob() {
        return blob;
    }

    public StructLayout layout() {
        return layout;
    }

    public List<PField> fields() {
        return fields;
    }

    /** Byte offsets of the pointer fields inside an object (what swizzling rewrites). */
    public long[] pointerOffsets() {
        return pointerOffsets.clone();
    }

    /** The field of that name; {@link IllegalArgumentException} naming the fields there are. */
    public PField field(String fieldName) {
        PField f = byName.get(fieldName);
        if (f == null) {
            throw new IllegalArgumentException("type " + name + " has no field '" + fieldName + "'; fields: " + byName.keySet());
        }
        return f;
    }

    /** Null when both describe the same persisted layout, else the first difference in words. */
    public String differenceFrom(PType other) {
        if (!name.equals(other.name)) {
            return "name " + other.name + " vs " + name;
        }
        if (size != other.size) {
            return "size " + other.size + " bytes vs " + size + " bytes";
        }
        int n = Math.max(fields.size(), other.fields.size());
        for (int i = 0; i < n; i++) {
            PField a = i < other.fields.size() ? other.fields.get(i) : null;
            PField b = i < fields.size() ? fields.get(i) : null;
            if (a == null) {
                return "field " + i + " '" + b.describe() + "' is new";
            }
            if (b == null) {
                return "field " + i + " '" + a.describe() + "' is missing";
            }
            if (!a.name().equals(b.name()) || a.kind() != b.kind() || a.offset() != b.offset() || a.length() != b.length()
                    || !Objects.equals(a.target(), b.target())) {
                return "field " + i + " was '" + a.describe() + "', now '" + b.describe() + "'";
            }
        }
        return null;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name).append(" (").append(size).append(" bytes) {");
        for (PField f : fields) {
            sb.append(' ').append(f.describe()).append(';');
        }
        return sb.append(" }").toString();
    }

    record FieldSpec(String name, FieldKind kind, int length, String target) {
    }

    /** Declares a type field by field; {@link #build()} lays it out. */
    public static final class Builder {
        private final String name;
        private final List<FieldSpec> specs = new ArrayList<>();

        Builder(String name) {
            if (name == null || name.isEmpty() || name.startsWith(BLOB_CLASS_PREFIX) || name.equals(ANY_BLOB)) {
                throw new IllegalArgumentException("bad type name '" + name + "' (empty, or reserved for built-in blobs)");
            }
            this.name = name;
        }

        private Builder add(String fieldName, FieldKind kind, int length, String target) {
            if (fieldName == null || fieldName.isEmpty()) {
                throw new IllegalArgumentException("type " + name + ": empty field name");
            }
            for (FieldSpec s : specs) {
                if (s.name.equals(fieldName)) {
                    throw new IllegalArgumentException("type " + name + ": field '" + fieldName + "' declared twice");
                }
            }
            if (length <= 0) {
                throw new IllegalArgumentException("type " + name + ": field '" + fieldName + "' length " + length);
            }
            specs.add(new FieldSpec(fieldName, kind, length, target));
            return this;
        }

        public Builder int8(String field) {
            return add(field, FieldKind.INT8, 1, null);
        }

        public Builder int16(String field) {
            return add(field, FieldKind.INT16, 2, null);
        }

        public Builder int32(String field) {
            return add(field, FieldKind.INT32, 4, null);
        }

        public Builder int64(String field) {
            return add(field, FieldKind.INT64, 8, null);
        }

        public Builder float32(String field) {
            return add(field, FieldKind.FLOAT, 4, null);
        }

        public Builder float64(String field) {
            return add(field, FieldKind.DOUBLE, 8, null);
        }

        /** A fixed-length byte array stored inline. */
        public Builder bytes(String field, int length) {
            return add(field, FieldKind.BYTES, length, null);
        }

        /** A pointer to an object of the type named {@code targetType} (may be this type, or {@link #ANY_BLOB}). */
        public Builder pointer(String field, String targetType) {
            Objects.requireNonNull(targetType, "targetType");
            return add(field, FieldKind.POINTER, 8, targetType);
        }

        public Builder pointer(String field, PType targetType) {
            return pointer(field, targetType.name());
        }

        public PType build() {
            return new PType(name, specs, false, 0);
        }
    }
}
