package io.ferrite.cli;

import static io.ferrite.pheap.format.SlabTableDescriptor.STATE_FREE;
import static io.ferrite.pheap.format.SlabTableDescriptor.STATE_LARGE_CONT;
import static io.ferrite.pheap.format.SlabTableDescriptor.STATE_LARGE_HEAD;
import static io.ferrite.pheap.format.SlabTableDescriptor.STATE_SMALL;

import io.ferrite.pheap.BuiltinTypes;
import io.ferrite.pheap.format.Le;
import io.ferrite.pheap.format.PoolValidation;
import io.ferrite.pheap.format.SlabHeaderDescriptor;
import io.ferrite.pheap.format.SlabTableDescriptor;
import io.ferrite.pheap.format.Superblock;
import io.ferrite.pheap.format.TypeDescriptor;
import io.ferrite.pheap.format.TypeRegistryDescriptor;
import io.ferrite.swizzle.Pointers;
import io.ferrite.swizzle.RecordedBaseDescriptor;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The heap part of a pool decoded from its bytes only, through the descriptor classes: the
 * persisted type registry ({@link TypeRegistryDescriptor}, {@link TypeDescriptor}), the slab
 * table ({@link SlabTableDescriptor}) and each slab's header and bitmap
 * ({@link SlabHeaderDescriptor}). No application classes, no heap opened. Decoding never throws on
 * bad bytes: what does not decode becomes a {@link Finding} and is left out of the model.
 */
final class PoolModel {
    /** Field kind codes as the registry stores them (pheap's FieldKind). */
    static final String[] KIND_NAMES = {null, "int8", "int16", "int32", "int64", "float", "double", "bytes", "pointer"};
    static final int KIND_BYTES = 7;
    static final int KIND_POINTER = 8;
    static final int[] KIND_ALIGN = {0, 1, 2, 4, 8, 4, 8, 1, 8};
    /** Name of the variable-size blob type; as a pointer target it means "any blob". */
    static final String ANY_BLOB = "ferrite.blob";

    record Field(String name, int kind, int offset, int length, String target) {
        String kindName() {
            return KIND_NAMES[kind];
        }
    }

    /** A persisted type with the slab geometry the heap derives from it. */
    record Type(int id, String name, int flags, long size, int alignment, List<Field> fields, long descOffset,
                int descLength, boolean blob, boolean variable, boolean large, int objectCount, int dataOffset) {
        List<Field> pointers() {
            return fields.stream().filter(f -> f.kind == KIND_POINTER).toList();
        }
    }

    /** One slab-table entry, with its slab header when the slab is in use. */
    static final class Slab {
        int index;
        int state;
        int typeId;
        long recordedBase;
        int span;
        long start;
        /** Header sound and matching the entry and the type; the fields below are valid. */
        boolean ok;
        int count;
        long objectSize;
        int dataOffset;
        long[] bits = new long[0];
        int used;
        /** Index of the run head for LARGE_CONT slabs, -1 otherwise. */
        int head = -1;
        /** Index of a large run that covers this slab without it being marked as its continuation, -1 if none. */
        int overlappedBy = -1;
        /**
         * The recorded-base word is a valid state whose bases can hold the pool (see
         * {@link PoolModel#baseProblem}): only then are this slab's pointer words decoded.
         */
        boolean baseOk;

        boolean inUse() {
            return state == STATE_SMALL || state == STATE_LARGE_HEAD;
        }

        boolean allocated(int slot) {
            return slot >= 0 && slot < count && (bits[slot >>> 6] & (1L << slot)) != 0;
        }

        long objectOffset(int slot) {
            return start + dataOffset + slot * objectSize;
        }
    }

    final MemorySegment seg;
    final Superblock sb;
    final List<Finding> findings = new ArrayList<>();
    final List<Type> types = new ArrayList<>();
    final Map<Integer, Type> byId = new HashMap<>();
    final Map<String, Type> byName = new HashMap<>();
    int registryVersion;
    int declaredTypeCount;
    long usedBytes;
    int rootTypeId;
    long rootOffset;
    boolean registryOk;
    /** Why the root is not an allocated object of its type (the library's check), or null. */
    String rootProblem;
    Slab[] slabs = new Slab[0];
    /**
     * The first small slab or large head recorded AT a base, and that base: in a cleanly closed
     * pool every other one must be AT the same base (-1: none).
     */
    private int cleanBaseSlab = -1;
    private long cleanBase;

    private PoolModel(MemorySegment seg, Superblock sb) {
        this.seg = seg;
        this.sb = sb;
    }

    /** Decodes registry and slab table of a pool whose superblock geometry is sound. */
    static PoolModel decode(MemorySegment seg, Superblock sb) {
        PoolModel m = new PoolModel(seg, sb);
        m.decodeRegistry();
        m.decodeSlabs();
        if (m.registryOk && m.rootOffset != 0) {
            m.rootProblem = PoolValidation.rootProblem(seg, sb, m.rootTypeId, m.rootOffset);
            if (m.rootProblem != null) {
                m.error("registry", sb.registryOffset() + TypeRegistryDescriptor.ROOT_OFFSET_OFFSET, m.rootProblem);
            }
        }
        return m;
    }

    /** The findings that are damage: all but the warnings, which check lists without failing. */
    List<Finding> damage() {
        return findings.stream().filter(Finding::counts).toList();
    }

    private void error(String area, long offset, String msg) {
        findings.add(Finding.error(area, offset, msg));
    }

    // ------------------------------------------------------------------ registry

    private void decodeRegistry() {
        long h = sb.registryOffset();
        long len = sb.registryLength();
        long magic = seg.get(Le.U64, h + TypeRegistryDescriptor.MAGIC_OFFSET);
        if (magic != TypeRegistryDescriptor.MAGIC) {
            error("registry", h, String.format("no registry magic \"FERTYPES\" at pool offset %d (found 0x%016x)", h, magic));
            return;
        }
        registryVersion = seg.get(Le.U32, h + TypeRegistryDescriptor.VERSION_OFFSET);
        if (registryVersion != TypeRegistryDescriptor.VERSION) {
            error("registry", h + TypeRegistryDescriptor.VERSION_OFFSET, "type registry version " + registryVersion
                    + ", this ferrite reads version " + TypeRegistryDescriptor.VERSION);
            return;
        }
        int crc = seg.get(Le.U32, h + TypeRegistryDescriptor.CRC_OFFSET);
        int want = TypeRegistryDescriptor.computeCrc(seg, h);
        if (crc != want) {
            error("registry", h + TypeRegistryDescriptor.CRC_OFFSET, String.format("registry header CRC32C mismatch (stored 0x%08x,"
                    + " computed 0x%08x): its type count, used bytes and root cannot be trusted", crc, want));
            return;
        }
        declaredTypeCount = seg.get(Le.U32, h + TypeRegistryDescriptor.TYPE_COUNT_OFFSET);
        usedBytes = seg.get(Le.U64, h + TypeRegistryDescriptor.USED_BYTES_OFFSET);
        rootTypeId = seg.get(Le.U32, h + TypeRegistryDescriptor.ROOT_TYPE_ID_OFFSET);
        rootOffset = seg.get(Le.U64, h + TypeRegistryDescriptor.ROOT_OFFSET_OFFSET);
        if (usedBytes < 0 || usedBytes > len - TypeRegistryDescriptor.HEADER_LENGTH) {
            error("registry", h + TypeRegistryDescriptor.USED_BYTES_OFFSET, "used bytes " + usedBytes
                    + " exceed the registry region of " + len + " bytes");
            return;
        }
        if (declaredTypeCount < 0 || (long) declaredTypeCount * TypeDescriptor.HEADER_LENGTH > usedBytes) {
            error("registry", h + TypeRegistryDescriptor.TYPE_COUNT_OFFSET, "type count " + Integer.toUnsignedString(declaredTypeCount)
                    + " cannot fit in " + usedBytes + " used bytes");
            return;
        }
        int builtins = BuiltinTypes.count(sb.slabSize());
        if (declaredTypeCount < builtins) {
            error("registry", h + TypeRegistryDescriptor.TYPE_COUNT_OFFSET, "type count " + declaredTypeCount + ", but every pool"
                    + " holds the " + builtins + " built-in blob types");
            return;
        }
        long at = h + TypeRegistryDescriptor.HEADER_LENGTH;
        long end = at + usedBytes;
        for (int i = 0; i < declaredTypeCount; i++) {
            Type t = decodeType(at, end, i + 1);
            if (t == null) {
                return;
            }
            types.add(t);
            byId.put(t.id, t);
            if (byName.putIfAbsent(t.name, t) != null) {
                error("registry", at, "type name " + t.name + " is registered twice (ids " + byName.get(t.name).id + " and " + t.id + ")");
                return;
            }
            at += t.descLength;
        }
        if (at != end) {
            error("registry", at, (end - at) + " used bytes after the last of " + declaredTypeCount + " type descriptors");
            return;
        }
        if (rootOffset != 0 && byId.get(rootTypeId) == null) {
            error("registry", h + TypeRegistryDescriptor.ROOT_TYPE_ID_OFFSET, "root object at pool offset " + rootOffset
                    + " has type id " + rootTypeId + ", which the registry does not know");
        }
        registryOk = true;
    }

    private Type decodeType(long at, long end, int expectId) {
        String where = "type descriptor " + expectId + " at pool offset " + at;
        if (at + TypeDescriptor.HEADER_LENGTH > end) {
            error("registry", at, where + " runs past the used bytes");
            return null;
        }
        int len = seg.get(Le.U32, at + TypeDescriptor.LENGTH_OFFSET);
        if (len < TypeDescriptor.HEADER_LENGTH || (len & 7) != 0 || at + len > end) {
            error("registry", at, where + ": descriptor length " + Integer.toUnsignedString(len) + " is impossible");
            return null;
        }
        int crc = seg.get(Le.U32, at + TypeDescriptor.CRC_OFFSET);
        int want = TypeDescriptor.computeCrc(seg, at, len);
        if (crc != want) {
            error("registry", at, String.format("%s: CRC32C mismatch (stored 0x%08x, computed 0x%08x)", where, crc, want));
            return null;
        }
        int id = seg.get(Le.U32, at + TypeDescriptor.TYPE_ID_OFFSET);
        if (id != expectId) {
            error("registry", at, where + " has type id " + id + ", expected " + expectId);
            return null;
        }
        // The heap places and reads blobs by its own built-in types: ids 1..n must be exactly those,
        // and no other type may claim the blob flag or a blob name (pheap's check, shared).
        String builtin = BuiltinTypes.problem(seg, at, len, id, sb.slabSize());
        if (builtin != null) {
            error("registry", at, where + ": " + builtin);
            return null;
        }
        int flags = seg.get(Le.U32, at + TypeDescriptor.FLAGS_OFFSET);
        long size = seg.get(Le.U64, at + TypeDescriptor.SIZE_OFFSET);
        int align = seg.get(Le.U32, at + TypeDescriptor.ALIGNMENT_OFFSET);
        int nf = Short.toUnsignedInt(seg.get(Le.U16, at + TypeDescriptor.FIELD_COUNT_OFFSET));
        int nl = Short.toUnsignedInt(seg.get(Le.U16, at + TypeDescriptor.NAME_LENGTH_OFFSET));
        if (TypeDescriptor.HEADER_LENGTH + TypeDescriptor.align8(nl) > len) {
            error("registry", at, where + ": name of " + nl + " bytes runs past the descriptor");
            return null;
        }
        String name = str(at + TypeDescriptor.NAME_OFFSET, nl);
        long p = at + TypeDescriptor.HEADER_LENGTH + TypeDescriptor.align8(nl);
        List<Field> fields = new ArrayList<>();
        long laid = 0;
        for (int i = 0; i < nf; i++) {
            if (p + TypeDescriptor.FIELD_HEADER_LENGTH > at + len) {
                error("registry", p, "type " + name + ": field " + i + " runs past the descriptor");
                return null;
            }
            int kind = Short.toUnsignedInt(seg.get(Le.U16, p + TypeDescriptor.FIELD_KIND_OFFSET));
            int fnl = Short.toUnsignedInt(seg.get(Le.U16, p + TypeDescriptor.FIELD_NAME_LENGTH_OFFSET));
            int foff = seg.get(Le.U32, p + TypeDescriptor.FIELD_OFFSET_OFFSET);
            int flen = seg.get(Le.U32, p + TypeDescriptor.FIELD_LENGTH_OFFSET);
            int tnl = Short.toUnsignedInt(seg.get(Le.U16, p + TypeDescriptor.FIELD_TARGET_LENGTH_OFFSET));
            if (p + TypeDescriptor.FIELD_HEADER_LENGTH + TypeDescriptor.align8(fnl + tnl) > at + len) {
                error("registry", p, "type " + name + ": field " + i + " name runs past the descriptor");
                return null;
            }
            if (kind < 1 || kind >= KIND_NAMES.length) {
                error("registry", p, "type " + name + ": field " + i + " has unknown kind " + kind);
                return null;
            }
            String fname = str(p + TypeDescriptor.FIELD_NAME_OFFSET, fnl);
            String target = tnl == 0 ? null : str(p + TypeDescriptor.FIELD_NAME_OFFSET + fnl, tnl);
            long aligned = (laid + KIND_ALIGN[kind] - 1) & -KIND_ALIGN[kind];
            if ((kind != KIND_BYTES && flen != KIND_ALIGN[kind]) || flen <= 0 || foff != aligned) {
                error("registry", p, "type " + name + ": field " + fname + " (" + KIND_NAMES[kind] + ", offset " + foff
                        + ", length " + flen + ") does not follow the layout rule (expected offset " + aligned + ")");
                return null;
            }
            if ((kind == KIND_POINTER) != (target != null)) {
                error("registry", p, "type " + name + ": field " + fname + " " + (target == null ? "is a pointer without a target type"
                        : "names a target type but is not a pointer"));
                return null;
            }
            laid = aligned + flen;
            fields.add(new Field(fname, kind, foff, flen, target));
            p += TypeDescriptor.FIELD_HEADER_LENGTH + TypeDescriptor.align8(fnl + tnl);
        }
        boolean blob = (flags & TypeDescriptor.FLAG_BLOB) != 0;
        boolean variable = ANY_BLOB.equals(name);
        long laidSize = Math.max(8, (laid + 7) & ~7L);
        // The heap derives every type's object size from its fields, blob classes included.
        if (size <= 0 || size != laidSize || size > sb.poolSize()) {
            error("registry", at + TypeDescriptor.SIZE_OFFSET, "type " + name + ": object size " + size
                    + " does not match its fields (" + laidSize + " bytes)");
            return null;
        }
        int count = variable ? 0 : SlabHeaderDescriptor.objectCount(sb.slabSize(), size);
        boolean large = count == 0;
        int objectCount = large ? 1 : count;
        return new Type(id, name, flags, size, align, List.copyOf(fields), at, len, blob, variable, large, objectCount,
                SlabHeaderDescriptor.dataOffset(objectCount));
    }

    private String str(long at, int len) {
        byte[] b = new byte[len];
        MemorySegment.copy(seg, Le.U8, at, b, 0, len);
        return new String(b, StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ slabs

    private void decodeSlabs() {
        // PoolImage checked the geometry (overflow-checked): the slab table and every slab lie inside the pool.
        int n = sb.slabCount();
        slabs = new Slab[n];
        for (int i = 0; i < n; i++) {
            long e = SlabTableDescriptor.entryOffset(sb.slabTableOffset(), i);
            Slab s = new Slab();
            s.index = i;
            s.typeId = seg.get(Le.U32, e + SlabTableDescriptor.TYPE_ID_OFFSET);
            s.state = seg.get(Le.U32, e + SlabTableDescriptor.STATE_OFFSET);
            s.recordedBase = seg.get(Le.U64, e + SlabTableDescriptor.RECORDED_BASE_OFFSET);
            s.span = seg.get(Le.U32, e + SlabTableDescriptor.SPAN_OFFSET);
            s.start = sb.slabOffset(i);
            slabs[i] = s;
        }
        for (Slab s : slabs) {
            if (cleanBaseSlab < 0 && (s.state == STATE_SMALL || s.state == STATE_LARGE_HEAD)
                    && RecordedBaseDescriptor.state(s.recordedBase) == RecordedBaseDescriptor.STATE_AT) {
                cleanBaseSlab = s.index;
                cleanBase = RecordedBaseDescriptor.base(s.recordedBase);
            }
        }
        for (int i = 0; i < n; i++) {
            Slab s = slabs[i];
            long e = SlabTableDescriptor.entryOffset(sb.slabTableOffset(), i);
            switch (s.state) {
                case STATE_FREE -> {
                    if (s.typeId != 0 || s.recordedBase != 0 || s.span != 0) {
                        error("slab table", e, "slab " + i + " is free but its entry is not zero (type " + s.typeId + ", span "
                                + s.span + ", base 0x" + Long.toHexString(s.recordedBase) + ")");
                    }
                }
                case STATE_SMALL, STATE_LARGE_HEAD -> {
                    if (s.overlappedBy < 0) {
                        decodeInUse(s, e);
                    }
                }
                case STATE_LARGE_CONT -> {
                    if (s.head < 0 && s.overlappedBy < 0) {
                        error("slab table", e, "slab " + i + " continues a large object but follows no head slab (its entry names "
                                + "head " + s.span + ")");
                    } else if (baseLeavesNoRoom(s.recordedBase)) {
                        // Nothing reads a continuation's word (replay and the swizzle use its head's, and
                        // after a relocation it still names the old base), and the heap opens the pool;
                        // but no legal state holds such a base: damage worth knowing of, without effect.
                        findings.add(Finding.warning("slab table", e + SlabTableDescriptor.RECORDED_BASE_OFFSET, "slab " + i
                                + ": recorded base " + RecordedBaseDescriptor.describe(s.recordedBase) + " "
                                + NO_ROOM.formatted(sb.poolSize()) + "; it continues large slab " + s.head
                                + ", whose base is the one used, so nothing reads it"));
                    }
                }
                default -> error("slab table", e, "slab " + i + " has unknown state " + s.state);
            }
        }
    }

    private void decodeInUse(Slab s, long e) {
        int i = s.index;
        String st = SlabTableDescriptor.stateName(s.state);
        Type t = byId.get(s.typeId);
        if (t == null) {
            error("slab table", e, "slab " + i + " (" + st + ") holds type id " + s.typeId + ", which the registry does not know");
            return;
        }
        boolean large = s.state == STATE_LARGE_HEAD;
        if (large != t.large) {
            error("slab table", e, "slab " + i + " is " + st + " but type " + t.name + " is " + (t.large ? "large" : "small"));
            return;
        }
        if (large) {
            if (s.span < 1 || s.span > slabs.length - i) {
                error("slab table", e, "large slab " + i + " spans " + Integer.toUnsignedString(s.span) + " slabs; the pool has "
                        + slabs.length);
                return;
            }
            if (overlaps(s)) {
                return;
            }
            for (int k = 1; k < s.span; k++) {
                slabs[i + k].head = i;
            }
        } else if (s.span != 1) {
            error("slab table", e, "small slab " + i + " has span " + s.span + ", expected 1");
            return;
        }
        long h = s.start;
        int span = large ? s.span : 1;
        // The library's check of a header against its type (the heap runs it at open): the data
        // offset and bitmap size are those the count implies, never trusted as stored.
        String hp = PoolValidation.slabHeaderProblem(seg, sb, i, span, s.typeId, t.variable ? 0 : t.size, t.objectCount);
        if (hp != null) {
            error("slab", h, hp + " (type " + t.name + ")");
            return;
        }
        int count = seg.get(Le.U32, h + SlabHeaderDescriptor.OBJECT_COUNT_OFFSET);
        long size = seg.get(Le.U64, h + SlabHeaderDescriptor.OBJECT_SIZE_OFFSET);
        int dataOffset = seg.get(Le.U32, h + SlabHeaderDescriptor.DATA_OFFSET_OFFSET);
        int words = seg.get(Le.U32, h + SlabHeaderDescriptor.BITMAP_WORDS_OFFSET);
        if (t.variable && SlabHeaderDescriptor.largeSpan(sb.slabSize(), size) != span) {
            error("slab", h, "slab " + i + " header at pool offset " + h + ": a blob of " + size + " bytes spans "
                    + SlabHeaderDescriptor.largeSpan(sb.slabSize(), size) + " slabs, but its run has " + span);
            return;
        }
        s.count = count;
        s.objectSize = size;
        s.dataOffset = dataOffset;
        s.bits = new long[words];
        MemorySegment.copy(seg, Le.U64, h + SlabHeaderDescriptor.BITMAP_OFFSET, s.bits, 0, words);
        int used = 0;
        for (long w : s.bits) {
            used += Long.bitCount(w);
        }
        if ((count & 63) != 0) {
            long extra = s.bits[words - 1] & ~((1L << (count & 63)) - 1);
            if (extra != 0) {
                error("bitmap", h + SlabHeaderDescriptor.BITMAP_OFFSET + 8L * (words - 1), String.format(
                        "slab %d bitmap has bits set past its %d objects (0x%016x)", i, count, extra));
                return;
            }
        }
        s.used = used;
        if (large && used != 1) {
            error("bitmap", h + SlabHeaderDescriptor.BITMAP_OFFSET, "large slab " + i + " has " + used
                    + " objects allocated; a large run holds exactly one");
            return;
        }
        s.ok = true;
        String bp = baseProblem(s.recordedBase);
        s.baseOk = bp == null;
        if (RecordedBaseDescriptor.state(s.recordedBase) == RecordedBaseDescriptor.STATE_INVALID) {
            return; // reported by the pointer check, which reads every slab's word
        }
        // The heap's open refuses these on every slab in use, pointers or not; the other
        // problems matter only where pointers are decoded against the base.
        String refused = refusedBase(s.recordedBase);
        if (refused != null || (bp != null && !t.pointers().isEmpty())) {
            error("slab table", e + SlabTableDescriptor.RECORDED_BASE_OFFSET, "slab " + i + ": recorded base "
                    + RecordedBaseDescriptor.describe(s.recordedBase) + " " + (refused != null ? refused : bp)
                    + (s.baseOk ? "" : "; its pointers are not decoded"));
        }
    }

    /**
     * Checks that the slabs a large run covers are marked as its continuations. One that is not
     * (small, another run's head, a continuation of another head) overlaps the run: which of the
     * two entries is wrong cannot be told, so neither is decoded (reading one's bytes as the
     * other's objects would report, or swizzle, garbage). Reports one finding naming the slabs.
     */
    private boolean overlaps(Slab s) {
        int i = s.index;
        int first = -1;
        int bad = 0;
        for (int k = 1; k < s.span; k++) {
            Slab c = slabs[i + k];
            if (c.state != STATE_LARGE_CONT || c.span != i || c.typeId != s.typeId) {
                bad++;
                first = first < 0 ? i + k : first;
                c.overlappedBy = i;
                if (c.state == STATE_LARGE_CONT && c.head >= 0) {
                    slabs[c.head].ok = false; // an earlier run that also covers it: decode neither
                }
            }
        }
        if (bad == 0) {
            return false;
        }
        Slab c = slabs[first];
        error("slab table", SlabTableDescriptor.entryOffset(sb.slabTableOffset(), first), "slab " + first + " ("
                + SlabTableDescriptor.stateName(c.state) + ", type " + c.typeId + ", head " + c.span + ")"
                + (bad > 1 ? " and " + (bad - 1) + " more slab(s) lie" : " lies") + " inside the " + s.span + "-slab run of large slab "
                + i + " but " + (bad > 1 ? "are" : "is") + " not marked as its continuation: the run overlaps " + (bad > 1 ? "them" : "it")
                + "; neither the run nor what it overlaps is decoded");
        return true;
    }

    private static final String NO_ROOM = "leaves no room for the pool's %d bytes below 2^63 (a tagged word would read as absolute)";

    /**
     * Why the heap's open refuses a valid recorded-base word of a small slab or large head (pheap's
     * PoolValidation), or null: its base leaves no room for the pool; or the pool was closed
     * cleanly and the word is a swizzle state (SHIFT, MIXED) or AT another base than the first
     * such slab's ({@link #cleanBase}): only a crash during a swizzle leaves those, and recovery
     * writes a superblock without the clean-close flag before it swizzles.
     */
    private String refusedBase(long word) {
        if (baseLeavesNoRoom(word)) {
            return NO_ROOM.formatted(sb.poolSize());
        }
        if (!sb.cleanClose()) {
            return null;
        }
        if (RecordedBaseDescriptor.state(word) != RecordedBaseDescriptor.STATE_AT) {
            return "is a swizzle state, but the pool was closed cleanly (only a crash during a swizzle leaves one)";
        }
        if (cleanBaseSlab >= 0 && RecordedBaseDescriptor.base(word) != cleanBase) {
            return String.format("differs from slab %d's AT(0x%x), and the pool was closed cleanly (only a crash during a swizzle"
                    + " leaves slabs at different bases)", cleanBaseSlab, cleanBase);
        }
        return null;
    }

    /** A valid recorded-base word whose base leaves no room for the pool below 2^63. */
    private boolean baseLeavesNoRoom(long word) {
        return RecordedBaseDescriptor.state(word) != RecordedBaseDescriptor.STATE_INVALID
                && !PoolValidation.baseFits(RecordedBaseDescriptor.base(word), sb.poolSize());
    }

    /**
     * Why the bases in a recorded-base word cannot be decoded against, or null. Each base B must
     * leave {@code [B, B + pool size)} below 2^63, or a tagged word (bit 63 set) minus B would wrap
     * to a plausible pool offset; a SHIFT word also needs the superblock's pool base to be such a
     * base, and the two ranges disjoint (what SHIFT's decoding relies on).
     */
    String baseProblem(long word) {
        int state = RecordedBaseDescriptor.state(word);
        if (state == RecordedBaseDescriptor.STATE_INVALID) {
            return "is not a recorded-base word";
        }
        long b = RecordedBaseDescriptor.base(word);
        long size = sb.poolSize();
        if (!PoolValidation.baseFits(b, size)) {
            return NO_ROOM.formatted(size);
        }
        if (state == RecordedBaseDescriptor.STATE_SHIFT) {
            long p = sb.baseAddress();
            if (!PoolValidation.baseFits(p, size)) {
                return String.format("shifts from the superblock's pool base 0x%x, which is no base a pool of %d bytes can have",
                        p, size);
            }
            if (p < b + size && b < p + size) {
                return String.format("overlaps the pool base 0x%x it shifts from (SHIFT needs disjoint ranges)", p);
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ lookups

    /** The type named as a pointer target, or null (unknown name, or "any blob"). */
    Type target(String name) {
        return name == null ? null : byName.get(name);
    }

    /** Root type, or null. */
    Type rootType() {
        return rootOffset == 0 ? null : byId.get(rootTypeId);
    }

    /**
     * Locates the object starting at pool offset {@code off}: {slab index, slot}, or null when
     * {@code off} is not the start of a slot of a sound in-use slab.
     */
    int[] locate(long off) {
        long rel = off - sb.slabAreaOffset();
        if (rel < 0 || off >= seg.byteSize()) {
            return null;
        }
        long idx = rel / sb.slabSize();
        if (idx >= slabs.length) {
            return null;
        }
        Slab s = slabs[(int) idx];
        if (s.state == STATE_LARGE_CONT && s.head >= 0) {
            s = slabs[s.head];
        }
        if (!s.ok) {
            return null;
        }
        long d = off - s.start - s.dataOffset;
        if (d < 0 || d % s.objectSize != 0 || d / s.objectSize >= s.count) {
            return null;
        }
        return new int[] {s.index, (int) (d / s.objectSize)};
    }

    /** Per type id: {slabs, live objects, capacity}. */
    Map<Integer, long[]> usage() {
        Map<Integer, long[]> u = new HashMap<>();
        for (Slab s : slabs) {
            if (s.ok) {
                long[] a = u.computeIfAbsent(s.typeId, k -> new long[3]);
                a[0] += s.state == STATE_LARGE_HEAD ? s.span : 1;
                a[1] += s.used;
                a[2] += s.count;
            }
        }
        return u;
    }

    /**
     * The pool offset a non-null pointer word stored in slab {@code from} names, decoded by the
     * slab's recorded-base word as the swizzle format defines it ({@link RecordedBaseDescriptor}):
     * AT(B) admits absolute words for B; MIXED(N) also tagged words ({@link Pointers#isTagged});
     * SHIFT(N) tagged words and absolute words for the pool base P or for N. -1 when the word has
     * no meaning there (a damaged word, or a slab whose bases are not sound: never decoded).
     */
    long targetOffset(Slab from, long word) {
        if (!from.baseOk) {
            return -1;
        }
        int state = RecordedBaseDescriptor.state(from.recordedBase);
        long b = RecordedBaseDescriptor.base(from.recordedBase);
        long size = sb.poolSize();
        if (Pointers.isTagged(word)) {
            return state == RecordedBaseDescriptor.STATE_AT ? -1 : Pointers.taggedOffset(word) < size ? Pointers.taggedOffset(word) : -1;
        }
        if (state == RecordedBaseDescriptor.STATE_SHIFT && Long.compareUnsigned(word - sb.baseAddress(), size) < 0) {
            return word - sb.baseAddress();
        }
        return Long.compareUnsigned(word - b, size) < 0 ? word - b : -1;
    }

    /** True when the slab's pointers are not all in their final form (a swizzle was interrupted). */
    static boolean midSwizzle(Slab s) {
        int state = RecordedBaseDescriptor.state(s.recordedBase);
        return state == RecordedBaseDescriptor.STATE_SHIFT || state == RecordedBaseDescriptor.STATE_MIXED;
    }

    /** The slab holding pointer words at {@code wordOffset}'s object (a run head), or null. */
    Slab slabAt(long off) {
        long rel = off - sb.slabAreaOffset();
        if (rel < 0) {
            return null;
        }
        long idx = rel / sb.slabSize();
        if (idx >= slabs.length) {
            return null;
        }
        Slab s = slabs[(int) idx];
        return s.state == STATE_LARGE_CONT && s.head >= 0 ? slabs[s.head] : s;
    }

    int freeSlabs() {
        int n = 0;
        for (Slab s : slabs) {
            n += s.state == STATE_FREE ? 1 : 0;
        }
        return n;
    }
}
