package io.ferrite.pheap;

import static io.ferrite.pheap.format.TypeDescriptor.*;

import io.ferrite.FerriteException;
import io.ferrite.pheap.format.Le;
import io.ferrite.pheap.format.TypeRegistryDescriptor;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The persisted type registry of one heap (see {@link TypeRegistryDescriptor} and
 * {@link io.ferrite.pheap.format.TypeDescriptor}). Lookups are lock-free; registration is
 * serialized and goes through one redo record per type.
 */
final class TypeRegistry {
    /** Smallest and largest built-in blob class (object size, bytes). */
    static final int BLOB_MIN = 16;
    static final int BLOB_MAX = 64 * 1024;

    private final MemorySegment seg;
    private final long regionOffset;
    private final long regionLength;
    private final int slabSize;
    private final String poolName;
    private final Map<String, TypeInfo> byName = new ConcurrentHashMap<>();
    private final Map<PType, TypeInfo> byDef = new ConcurrentHashMap<>();
    private volatile TypeInfo[] byId = new TypeInfo[16];
    private volatile TypeInfo[] blobClasses = new TypeInfo[0];
    private TypeInfo variableBlob;
    private int count;
    private long used;
    /** The header's root fields as the last header record left them (the header CRC covers them). */
    private int rootTypeId;
    private long rootOffset;

    TypeRegistry(MemorySegment seg, long regionOffset, long regionLength, int slabSize, String poolName) {
        this.seg = seg;
        this.regionOffset = regionOffset;
        this.regionLength = regionLength;
        this.slabSize = slabSize;
        this.poolName = poolName;
    }

    /** The built-in blob types every pool starts with, in id order (id 1 first). */
    static List<PType> builtins(int slabSize) {
        List<PType> l = new ArrayList<>();
        l.add(PType.variableBlob());
        for (int s = BLOB_MIN; s <= BLOB_MAX && s <= slabSize / 4; s <<= 1) {
            l.add(PType.blobClass(s));
        }
        return l;
    }

    /** Formats an empty registry with the built-in types, writing directly (pool creation only). */
    static void format(MemorySegment seg, long regionOffset, long regionLength, int slabSize) {
        seg.asSlice(regionOffset, TypeRegistryDescriptor.HEADER_LENGTH).fill((byte) 0);
        seg.set(Le.U64, regionOffset + TypeRegistryDescriptor.MAGIC_OFFSET, TypeRegistryDescriptor.MAGIC);
        seg.set(Le.U32, regionOffset + TypeRegistryDescriptor.VERSION_OFFSET, TypeRegistryDescriptor.VERSION);
        long at = regionOffset + TypeRegistryDescriptor.HEADER_LENGTH;
        int id = 0;
        for (PType t : builtins(slabSize)) {
            byte[] d = encode(t, ++id);
            if (at + d.length > regionOffset + regionLength) {
                throw new IllegalArgumentException("type registry of " + regionLength + " bytes cannot hold the built-in types");
            }
            MemorySegment.copy(d, 0, seg, Le.U8, at, d.length);
            at += d.length;
        }
        seg.set(Le.U32, regionOffset + TypeRegistryDescriptor.TYPE_COUNT_OFFSET, id);
        seg.set(Le.U64, regionOffset + TypeRegistryDescriptor.USED_BYTES_OFFSET, at - regionOffset - TypeRegistryDescriptor.HEADER_LENGTH);
        seg.set(Le.U32, regionOffset + TypeRegistryDescriptor.CRC_OFFSET, TypeRegistryDescriptor.computeCrc(seg, regionOffset));
    }

    /** The header CRC for these field values (what a header record stores with them). */
    private static int headerCrc(int count, long used, int rootTypeId, long rootOffset) {
        MemorySegment h = MemorySegment.ofArray(new long[TypeRegistryDescriptor.HEADER_LENGTH / 8]);
        h.set(Le.U64, TypeRegistryDescriptor.MAGIC_OFFSET, TypeRegistryDescriptor.MAGIC);
        h.set(Le.U32, TypeRegistryDescriptor.VERSION_OFFSET, TypeRegistryDescriptor.VERSION);
        h.set(Le.U32, TypeRegistryDescriptor.TYPE_COUNT_OFFSET, count);
        h.set(Le.U64, TypeRegistryDescriptor.USED_BYTES_OFFSET, used);
        h.set(Le.U32, TypeRegistryDescriptor.ROOT_TYPE_ID_OFFSET, rootTypeId);
        h.set(Le.U64, TypeRegistryDescriptor.ROOT_OFFSET_OFFSET, rootOffset);
        return TypeRegistryDescriptor.computeCrc(h, 0);
    }

    static byte[] encode(PType t, int id) {
        byte[] name = t.name().getBytes(StandardCharsets.UTF_8);
        int len = HEADER_LENGTH + align8(name.length);
        List<byte[][]> fs = new ArrayList<>();
        for (PField f : t.fields()) {
            byte[] fn = f.name().getBytes(StandardCharsets.UTF_8);
            byte[] tn = f.target() == null ? new byte[0] : f.target().getBytes(StandardCharsets.UTF_8);
            fs.add(new byte[][] {fn, tn});
            len += FIELD_HEADER_LENGTH + align8(fn.length + tn.length);
        }
        if (name.length > 0xffff || t.fields().size() > 0xffff) {
            throw new IllegalArgumentException("type " + t.name() + ": name or field count too large");
        }
        MemorySegment d = MemorySegment.ofArray(new byte[len]);
        d.set(Le.U32_UNALIGNED, LENGTH_OFFSET, len);
        d.set(Le.U32_UNALIGNED, TYPE_ID_OFFSET, id);
        d.set(Le.U32_UNALIGNED, FLAGS_OFFSET, t.isBlob() ? FLAG_BLOB : 0);
        d.set(Le.U64_UNALIGNED, SIZE_OFFSET, t.size());
        d.set(Le.U32_UNALIGNED, ALIGNMENT_OFFSET, 8);
        d.set(Le.U16_UNALIGNED, FIELD_COUNT_OFFSET, (short) t.fields().size());
        d.set(Le.U16_UNALIGNED, NAME_LENGTH_OFFSET, (short) name.length);
        MemorySegment.copy(name, 0, d, Le.U8, NAME_OFFSET, name.length);
        int p = HEADER_LENGTH + align8(name.length);
        for (int i = 0; i < fs.size(); i++) {
            PField f = t.fields().get(i);
            byte[] fn = fs.get(i)[0];
            byte[] tn = fs.get(i)[1];
            d.set(Le.U16_UNALIGNED, p + FIELD_KIND_OFFSET, (short) f.kind().code());
            d.set(Le.U16_UNALIGNED, p + FIELD_NAME_LENGTH_OFFSET, (short) fn.length);
            d.set(Le.U32_UNALIGNED, p + FIELD_OFFSET_OFFSET, f.offset());
            d.set(Le.U32_UNALIGNED, p + FIELD_LENGTH_OFFSET, f.length());
            d.set(Le.U16_UNALIGNED, p + FIELD_TARGET_LENGTH_OFFSET, (short) tn.length);
            MemorySegment.copy(fn, 0, d, Le.U8, p + FIELD_NAME_OFFSET, fn.length);
            MemorySegment.copy(tn, 0, d, Le.U8, p + FIELD_NAME_OFFSET + fn.length, tn.length);
            p += FIELD_HEADER_LENGTH + align8(fn.length + tn.length);
        }
        d.set(Le.U32_UNALIGNED, CRC_OFFSET, computeCrc(d, 0, len));
        return d.toArray(Le.U8);
    }

    private PoolCorruptedException corrupt(long at, String what) {
        return corrupt(at, what, null);
    }

    private PoolCorruptedException corrupt(long at, String what, Throwable cause) {
        return new PoolCorruptedException("type registry of pool " + poolName + " is damaged at pool offset " + at + ": " + what,
                "run `ferrite check " + poolName + "`", cause);
    }

    /**
     * Checks the registry's magic and version: the open runs it before replay writes anything, so
     * a registry this build cannot read (version 1 had no header CRC) leaves the pool untouched.
     */
    void checkVersion() {
        long h = regionOffset;
        if (seg.get(Le.U64, h + TypeRegistryDescriptor.MAGIC_OFFSET) != TypeRegistryDescriptor.MAGIC) {
            throw corrupt(h, "no registry magic");
        }
        int version = seg.get(Le.U32, h + TypeRegistryDescriptor.VERSION_OFFSET);
        if (version != TypeRegistryDescriptor.VERSION) {
            throw new PoolFormatException("type registry of pool " + poolName + " has version " + Integer.toUnsignedString(version)
                    + "; this build reads version " + TypeRegistryDescriptor.VERSION + (version < TypeRegistryDescriptor.VERSION
                    ? " (version 1 pools, without a registry header checksum, are not converted)" : ""),
                    "use a Ferrite release that knows it; `ferrite check " + poolName + "` shows the header");
        }
    }

    /** Decodes the persisted registry (after recovery replay). */
    void load() {
        long h = regionOffset;
        checkVersion();
        int storedCrc = seg.get(Le.U32, h + TypeRegistryDescriptor.CRC_OFFSET);
        int crc = TypeRegistryDescriptor.computeCrc(seg, h);
        if (storedCrc != crc) {
            throw corrupt(h, String.format("header CRC32C mismatch (stored 0x%08x, computed 0x%08x): its type count, used"
                    + " bytes or root cannot be trusted", storedCrc, crc));
        }
        int n = seg.get(Le.U32, h + TypeRegistryDescriptor.TYPE_COUNT_OFFSET);
        long u = seg.get(Le.U64, h + TypeRegistryDescriptor.USED_BYTES_OFFSET);
        if (u < 0 || u > regionLength - TypeRegistryDescriptor.HEADER_LENGTH) {
            throw corrupt(h, "used bytes " + u + " exceed the region of " + regionLength);
        }
        int builtins = BuiltinTypes.count(slabSize);
        if (n < builtins) {
            throw corrupt(h, "type count " + Integer.toUnsignedString(n) + ", but every pool holds this build's " + builtins
                    + " built-in blob types");
        }
        long at = h + TypeRegistryDescriptor.HEADER_LENGTH;
        long end = at + u;
        for (int i = 0; i < n; i++) {
            int id = readId(at, end);
            if (id != i + 1) {
                throw corrupt(at, "descriptor " + i + " has type id " + Integer.toUnsignedString(id) + ", expected " + (i + 1));
            }
            PType def = decode(at, end);
            // the heap places and reads blobs by the built-in descriptors: they must be this build's
            String builtin = BuiltinTypes.problem(seg, at, seg.get(Le.U32, at + LENGTH_OFFSET), id, slabSize);
            if (builtin != null) {
                throw corrupt(at, builtin);
            }
            TypeInfo info = new TypeInfo(id, def, slabSize);
            add(info);
            at += seg.get(Le.U32, at + LENGTH_OFFSET);
        }
        count = n;
        used = u;
        rootTypeId = seg.get(Le.U32, h + TypeRegistryDescriptor.ROOT_TYPE_ID_OFFSET);
        rootOffset = seg.get(Le.U64, h + TypeRegistryDescriptor.ROOT_OFFSET_OFFSET);
    }

    int rootTypeId() {
        return rootTypeId;
    }

    long rootOffset() {
        return rootOffset;
    }

    /**
     * Appends the root fields and the header CRC to {@code w} (begun by the caller, with the root
     * object's allocation bit) and commits it, under the registry's lock: header records are then
     * built and applied in one order, so each one's CRC covers the fields the others left.
     */
    synchronized void commitRoot(RedoWriter w, int typeId, long offset, java.util.function.Consumer<RedoWriter> committer) {
        w.writeValue(regionOffset + TypeRegistryDescriptor.ROOT_TYPE_ID_OFFSET, typeId, 4);
        w.writeValue(regionOffset + TypeRegistryDescriptor.ROOT_OFFSET_OFFSET, offset, 8);
        w.writeValue(regionOffset + TypeRegistryDescriptor.CRC_OFFSET, headerCrc(count, used, typeId, offset), 4);
        w.finish();
        committer.accept(w);
        rootTypeId = typeId;
        rootOffset = offset;
    }

    private int readId(long at, long end) {
        if (at + HEADER_LENGTH > end) {
            throw corrupt(at, "descriptor runs past the used bytes");
        }
        return seg.get(Le.U32, at + TYPE_ID_OFFSET);
    }

    private PType decode(long at, long end) {
        int len = seg.get(Le.U32, at + LENGTH_OFFSET);
        if (len < HEADER_LENGTH || (len & 7) != 0 || at + len > end) {
            throw corrupt(at, "descriptor length " + len);
        }
        int crc = seg.get(Le.U32, at + CRC_OFFSET);
        if (crc != computeCrc(seg, at, len)) {
            throw corrupt(at, "descriptor CRC32C mismatch");
        }
        int flags = seg.get(Le.U32, at + FLAGS_OFFSET);
        long size = seg.get(Le.U64, at + SIZE_OFFSET);
        int nf = Short.toUnsignedInt(seg.get(Le.U16, at + FIELD_COUNT_OFFSET));
        int nl = Short.toUnsignedInt(seg.get(Le.U16, at + NAME_LENGTH_OFFSET));
        long descEnd = at + len;
        if (at + HEADER_LENGTH + align8(nl) > descEnd) {
            throw corrupt(at, "type name of " + nl + " bytes runs past the descriptor's " + len + " bytes");
        }
        String name = str(at + NAME_OFFSET, nl);
        long p = at + HEADER_LENGTH + align8(nl);
        List<PType.FieldSpec> specs = new ArrayList<>();
        int[] offsets = new int[nf];
        for (int i = 0; i < nf; i++) {
            if (p + FIELD_HEADER_LENGTH > descEnd) {
                throw corrupt(p, "type " + name + " field " + i + " runs past the descriptor's " + len + " bytes");
            }
            FieldKind kind = FieldKind.ofCode(seg.get(Le.U16, p + FIELD_KIND_OFFSET));
            int fnl = Short.toUnsignedInt(seg.get(Le.U16, p + FIELD_NAME_LENGTH_OFFSET));
            int flen = seg.get(Le.U32, p + FIELD_LENGTH_OFFSET);
            int tnl = Short.toUnsignedInt(seg.get(Le.U16, p + FIELD_TARGET_LENGTH_OFFSET));
            offsets[i] = seg.get(Le.U32, p + FIELD_OFFSET_OFFSET);
            if (kind == null) {
                throw corrupt(p, "type " + name + " field " + i + " has unknown kind " + seg.get(Le.U16, p + FIELD_KIND_OFFSET));
            }
            if (p + FIELD_HEADER_LENGTH + align8(fnl + tnl) > descEnd) {
                throw corrupt(p, "type " + name + " field " + i + " names run past the descriptor's " + len + " bytes");
            }
            String fname = str(p + FIELD_NAME_OFFSET, fnl);
            String target = tnl == 0 ? null : str(p + FIELD_NAME_OFFSET + fnl, tnl);
            specs.add(new PType.FieldSpec(fname, kind, flen, target));
            p += FIELD_HEADER_LENGTH + align8(fnl + tnl);
        }
        PType t;
        try {
            t = PType.decoded(name, (flags & FLAG_BLOB) != 0, size, specs);
        } catch (RuntimeException e) {
            throw corrupt(at, e.getMessage(), e);
        }
        for (int i = 0; i < nf; i++) {
            // the layout is derived from the fields in order; a stored offset that differs is damage
            if (offsets[i] != t.fields().get(i).offset()) {
                throw corrupt(at, "type " + name + " field " + t.fields().get(i).name() + " is stored at offset "
                        + Integer.toUnsignedString(offsets[i]) + " but lays out at " + t.fields().get(i).offset());
            }
        }
        return t;
    }

    private String str(long at, int len) {
        byte[] b = new byte[len];
        MemorySegment.copy(seg, Le.U8, at, b, 0, len);
        return new String(b, StandardCharsets.UTF_8);
    }

    private void add(TypeInfo info) {
        byName.put(info.name, info);
        byDef.put(info.def, info);
        TypeInfo[] ids = byId;
        if (info.id >= ids.length) {
            ids = Arrays.copyOf(ids, Math.max(ids.length * 2, info.id + 1));
        } else {
            ids = ids.clone();
        }
        ids[info.id] = info;
        byId = ids;
        if (info.blob) {
            if (info.variable) {
                variableBlob = info;
            } else {
                TypeInfo[] b = Arrays.copyOf(blobClasses, blobClasses.length + 1);
                b[b.length - 1] = info;
                blobClasses = b;
            }
        }
    }

    TypeInfo byId(int id) {
        TypeInfo[] ids = byId;
        return id > 0 && id < ids.length ? ids[id] : null;
    }

    TypeInfo byName(String name) {
        return byName.get(name);
    }

    /** The registered info for this definition object, or null (fast path: identity). */
    TypeInfo lookup(PType t) {
        Object[] b = t.binding;
        if (b != null && b[0] == this) {
            return (TypeInfo) b[1];
        }
        TypeInfo info = byDef.get(t);
        if (info != null) {
            t.binding = new Object[] {this, info};
        }
        return info;
    }

    List<TypeInfo> all() {
        List<TypeInfo> l = new ArrayList<>();
        for (TypeInfo t : byId) {
            if (t != null) {
                l.add(t);
            }
        }
        return l;
    }

    /** Smallest blob class holding {@code bytes}, or the variable blob type. */
    TypeInfo blobFor(long bytes) {
        for (TypeInfo t : blobClasses) {
            if (t.blobCapacity >= bytes) {
                return t;
            }
        }
        return variableBlob;
    }

    /**
     * Registers {@code t} (or binds it to the persisted type of the same name when the layouts
     * agree). New types are persisted through {@code committer}, one redo record per type.
     */
    synchronized TypeInfo register(PType t, java.util.function.Consumer<RedoWriter> committer, RedoWriter w) {
        TypeInfo info = byDef.get(t);
        if (info != null) {
            return info;
        }
        TypeInfo existing = byName.get(t.name());
        if (existing != null) {
            String diff = t.differenceFrom(existing.def);
            if (diff != null) {
                throw new TypeMismatchException("type " + t.name() + " is registered in pool " + poolName
                        + " with a different layout: " + diff + " (persisted: " + existing.def + "; given: " + t + ")",
                        "register the type with its persisted layout, or give the new layout a new type name");
            }
            byDef.put(t, existing);
            return existing;
        }
        int id = count + 1;
        byte[] d = encode(t, id);
        long at = regionOffset + TypeRegistryDescriptor.HEADER_LENGTH + used;
        if (at + d.length > regionOffset + regionLength) {
            throw new FerriteException("type registry of pool " + poolName + " is full: " + count + " types in " + regionLength
                    + " bytes, type " + t.name() + " needs " + d.length + " more", "create the pool with a larger registryLength");
        }
        w.begin(0);
        w.write(at, d, 0, d.length);
        w.writeValue(regionOffset + TypeRegistryDescriptor.TYPE_COUNT_OFFSET, id, 4);
        w.writeValue(regionOffset + TypeRegistryDescriptor.USED_BYTES_OFFSET, used + d.length, 8);
        w.writeValue(regionOffset + TypeRegistryDescriptor.CRC_OFFSET, headerCrc(id, used + d.length, rootTypeId, rootOffset), 4);
        w.finish();
        committer.accept(w);
        count = id;
        used += d.length;
        info = new TypeInfo(id, t, slabSize);
        add(info);
        return info;
    }

    int count() {
        return count;
    }
}
