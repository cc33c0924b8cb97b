package io.ferrite.pheap;

import static io.ferrite.pheap.format.TypeDescriptor.*;

import io.ferrite.pheap.format.Le;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The built-in types every registry starts with (the blob types, ids 1 to {@link #count}, laid
 * down when the pool is created) and the check that a persisted registry holds them exactly as
 * this build defines them. The heap places blobs, decodes their lengths and builds pointer maps
 * from these descriptors; a descriptor CRC only proves the bytes were written whole, so a
 * built-in that differs (a blob flag cleared, a field's kind or length changed) would make reads
 * throw or pointers verify wrong. The heap's registry load and {@code ferrite check} run the same
 * check.
 *
 * <p>Threading: stateless; the pool must not change while a check runs.
 */
public final class BuiltinTypes {
    private BuiltinTypes() {
    }

    /** How many built-in types a pool with slabs of {@code slabSize} bytes has (ids 1 to this). */
    public static int count(int slabSize) {
        return TypeRegistry.builtins(slabSize).size();
    }

    /**
     * Why the persisted descriptor of type id {@code typeId} ({@code length} bytes at pool offset
     * {@code at}, inside {@code seg}) is not what this build defines, or null; the caller adds the
     * pool, the offset and the command that helps. Ids 1 to {@link
     * #count} must be the built-in type of that id byte for byte (name, flags, size, alignment,
     * and every field's name, kind, offset, length and target); any other id must have no flags
     * (flag 1 marks a built-in blob) and a name not reserved for the built-in blobs.
     */
    public static String problem(MemorySegment seg, long at, int length, int typeId, int slabSize) {
        List<PType> builtins = TypeRegistry.builtins(slabSize);
        if (length < HEADER_LENGTH || at < 0 || at + length > seg.byteSize()) {
            return "descriptor of " + Integer.toUnsignedString(length) + " bytes runs past the pool";
        }
        if (typeId >= 1 && typeId <= builtins.size()) {
            PType t = builtins.get(typeId - 1);
            byte[] want = TypeRegistry.encode(t, typeId);
            String what = "type id " + typeId + " is the built-in " + t.name() + ", but its descriptor";
            // the length and CRC words last: the first other difference names the field that changed
            for (int i = 8; i < Math.min(length, want.length); i++) {
                if (seg.get(Le.U8, at + i) != want[i]) {
                    return what + "'s " + part(want, i) + " differs from this build's (descriptor byte " + i + ")";
                }
            }
            if (length != want.length) {
                return what + " is " + length + " bytes long, this build's is " + want.length;
            }
            return null;
        }
        int flags = seg.get(Le.U32_UNALIGNED, at + FLAGS_OFFSET);
        int nl = Short.toUnsignedInt(seg.get(Le.U16_UNALIGNED, at + NAME_LENGTH_OFFSET));
        String name = nl > length - HEADER_LENGTH ? "(name past the descriptor)"
                : new String(seg.asSlice(at + NAME_OFFSET, nl).toArray(Le.U8), StandardCharsets.UTF_8);
        if (name.equals(PType.ANY_BLOB) || name.startsWith(PType.BLOB_CLASS_PREFIX)) {
            return "type id " + typeId + " is named " + name + ", a name reserved for the "
                    + builtins.size() + " built-in blob types (ids 1 to " + builtins.size() + ")";
        }
        if (flags != 0) {
            return String.format("type id %d (%s) has flags 0x%x; only the built-in blob types (ids 1 to %d) have any"
                    + " (flag 1, blob)", typeId, name, flags, builtins.size());
        }
        return null;
    }

    /** Which part of an encoded descriptor byte {@code i} is in, in words. */
    private static String part(byte[] d, int i) {
        if (i < HEADER_LENGTH) {
            return i < FLAGS_OFFSET ? "type id" : i < SIZE_OFFSET ? "flags" : i < ALIGNMENT_OFFSET ? "object size"
                    : i < FIELD_COUNT_OFFSET ? "alignment" : i < NAME_LENGTH_OFFSET ? "field count" : "name length";
        }
        MemorySegment s = MemorySegment.ofArray(d);
        int nl = Short.toUnsignedInt(s.get(Le.U16_UNALIGNED, NAME_LENGTH_OFFSET));
        int p = HEADER_LENGTH + align8(nl);
        if (i < p) {
            return "name";
        }
        int nf = Short.toUnsignedInt(s.get(Le.U16_UNALIGNED, FIELD_COUNT_OFFSET));
        for (int f = 0; f < nf; f++) {
            int fnl = Short.toUnsignedInt(s.get(Le.U16_UNALIGNED, p + FIELD_NAME_LENGTH_OFFSET));
            int tnl = Short.toUnsignedInt(s.get(Le.U16_UNALIGNED, p + FIELD_TARGET_LENGTH_OFFSET));
            int next = p + FIELD_HEADER_LENGTH + align8(fnl + tnl);
            if (i < next) {
                int r = i - p;
                String fname = new String(d, p + FIELD_NAME_OFFSET, fnl, StandardCharsets.UTF_8);
                return "field " + f + " (" + fname + ") " + (r < FIELD_NAME_LENGTH_OFFSET ? "kind" : r < FIELD_OFFSET_OFFSET
                        ? "name length" : r < FIELD_LENGTH_OFFSET ? "offset" : r < FIELD_TARGET_LENGTH_OFFSET ? "length"
                        : r < FIELD_NAME_OFFSET ? "target length" : "name or target");
            }
            p = next;
        }
        return "fields (this build's has " + nf + ")";
    }
}
