package io.ferrite.cli;

import io.ferrite.pheap.format.Le;
import io.ferrite.pheap.format.SlabHeaderDescriptor;
import io.ferrite.pheap.format.SlabTableDescriptor;
import io.ferrite.pheap.format.Superblock;
import io.ferrite.pheap.format.SuperblockDescriptor;
import io.ferrite.pheap.format.TypeDescriptor;
import io.ferrite.pheap.format.TypeRegistryDescriptor;
import io.ferrite.pmlog.LogHeaderDescriptor;
import io.ferrite.swizzle.RecordedBaseDescriptor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Mutations by meaning of one base pool image: every field of the superblock (the copy in force,
 * and both copies alike), the type registry header, each type descriptor and its field entries,
 * each slab table entry and each slab header, each set to boundary values (0, -1, 1, 2^31-1,
 * 2^31, 2^32, 2^63-1, Long.MIN_VALUE, as far as the field's width holds them) and to values that
 * mean something for that field: offsets of the other regions, the pool size and the pool size
 * + 1, a length that makes its region's end wrap past 2^63 or 2^64, the other type ids, the
 * offsets of other objects, the other recorded-base states.
 *
 * <p>Every offset comes from the descriptor classes of {@code io.ferrite.pheap.format}. A mutant
 * keeps the structure's checksum valid when the structure has one (superblock, registry header,
 * type descriptor), so that the value itself reaches the code that interprets it; the checksum
 * fields themselves are mutated without that fix-up.
 */
final class StructureMutator {
    private static final long[] BOUNDARIES = {0, -1, 1, Integer.MAX_VALUE, 1L << 31, 1L << 32, Long.MAX_VALUE, Long.MIN_VALUE};

    /**
     * One field: where it is (one place, or both superblock copies), how wide, its value in the
     * base image, the values to try, and what to re-checksum after writing it.
     */
    record Field(String name, int width, long[] at, long original, long[] values, long[] superblockSlots, long descriptorAt,
            long descriptorLimit, long registryAt, boolean sampled) {
    }

    /** One mutant: a field of the base image set to one value. */
    record Mutant(int id, Field field, long value) {
        /** Writes the value into {@code img} (a copy of the base image) and fixes the checksums the field is under. */
        void apply(byte[] img) {
            MemorySegment s = MemorySegment.ofArray(img);
            for (long at : field.at) {
                put(s, at, field.width, value);
            }
            for (long slot : field.superblockSlots) {
                s.set(Le.U32_UNALIGNED, slot + SuperblockDescriptor.CRC_OFFSET, SuperblockDescriptor.computeCrc(s, slot));
            }
            if (field.registryAt >= 0) {
                s.set(Le.U32_UNALIGNED, field.registryAt + TypeRegistryDescriptor.CRC_OFFSET,
                        TypeRegistryDescriptor.computeCrc(s, field.registryAt));
            }
            if (field.descriptorAt >= 0) {
                long len = Integer.toUnsignedLong(s.get(Le.U32_UNALIGNED, field.descriptorAt + TypeDescriptor.LENGTH_OFFSET));
                if (len >= TypeDescriptor.HEADER_LENGTH && field.descriptorAt + len <= field.descriptorLimit) {
                    s.set(Le.U32_UNALIGNED, field.descriptorAt + TypeDescriptor.CRC_OFFSET,
                            TypeDescriptor.computeCrc(s, field.descriptorAt, (int) len));
                }
            }
        }

        @Override
        public String toString() {
            return "mutant " + id + ": " + field.name + " = " + show(value, field.width) + " (was " + show(field.original, field.width) + ")";
        }
    }

    private StructureMutator() {
    }

    static long get(MemorySegment s, long at, int width) {
        return switch (width) {
            case 2 -> Short.toUnsignedLong(s.get(Le.U16_UNALIGNED, at));
            case 4 -> Integer.toUnsignedLong(s.get(Le.U32_UNALIGNED, at));
            default -> s.get(Le.U64_UNALIGNED, at);
        };
    }

    static void put(MemorySegment s, long at, int width, long v) {
        switch (width) {
            case 2 -> s.set(Le.U16_UNALIGNED, at, (short) v);
            case 4 -> s.set(Le.U32_UNALIGNED, at, (int) v);
            default -> s.set(Le.U64_UNALIGNED, at, v);
        }
    }

    static long truncate(long v, int width) {
        return width == 8 ? v : v & ((1L << (8 * width)) - 1);
    }

    static String show(long v, int width) {
        long t = truncate(v, width);
        return width == 8 ? t + String.format(" (0x%x)", t) : Long.toString(t);
    }

    /**
     * The mutants of {@code base}, numbered from 0, field by field. With {@code all} false, a
     * field that repeats one already covered in full (the second superblock copy, the table
     * entries of free slabs after the first, the descriptors of built-in blob classes no object
     * uses) gets two of its values, taken in turn from its list, so that the normal run stays short
     * and still sets every field.
     */
    static List<Mutant> mutants(byte[] base, boolean all) {
        List<Mutant> out = new ArrayList<>();
        int turn = 0;
        for (Field f : fields(base)) {
            long[] vs = f.values;
            if (f.sampled && !all && vs.length > 2) {
                vs = new long[] {vs[turn % vs.length], vs[(turn + vs.length / 2) % vs.length]};
                turn++;
            }
            for (long v : vs) {
                out.add(new Mutant(out.size(), f, v));
            }
        }
        return out;
    }

    /** The fields of {@code base}, with their values to try (the base's own value excluded). */
    static List<Field> fields(byte[] base) {
        // a native copy: Superblock.read uses aligned layouts, which a byte[] segment does not offer
        MemorySegment s = java.lang.foreign.Arena.ofAuto().allocate(base.length, 8);
        MemorySegment.copy(MemorySegment.ofArray(base), 0, s, 0, base.length);
        Superblock a = Superblock.read(s, SuperblockDescriptor.A_OFFSET);
        Superblock b = Superblock.read(s, SuperblockDescriptor.B_OFFSET);
        long current = a.sequence() >= b.sequence() ? SuperblockDescriptor.A_OFFSET : SuperblockDescriptor.B_OFFSET;
        Superblock sb = current == SuperblockDescriptor.A_OFFSET ? a : b;
        Geometry g = new Geometry(s, sb);
        List<Field> fs = new ArrayList<>();
        superblock(fs, g, "superblock " + (current == 0 ? "A" : "B") + " (in force)", new long[] {current});
        int both = fs.size();
        superblock(fs, g, "both superblocks", new long[] {SuperblockDescriptor.A_OFFSET, SuperblockDescriptor.B_OFFSET});
        sampled(fs, both);
        registry(fs, g);
        slabTable(fs, g);
        slabHeaders(fs, g);
        return fs;
    }

    /** What the mutator knows of the base: its regions, types and objects, for values that mean something. */
    static final class Geometry {
        final MemorySegment s;
        final Superblock sb;
        final long reg;
        final int typeCount;
        final long rootOffset;
        final long[] regionStarts;
        final long slabAreaEnd;
        /** Per slab: state, type id; object size and data offset of each headed slab (0 otherwise). */
        final int[] state;
        final int[] slabType;

        Geometry(MemorySegment s, Superblock sb) {
            this.s = s;
            this.sb = sb;
            this.reg = sb.registryOffset();
            this.typeCount = s.get(Le.U32_UNALIGNED, reg + TypeRegistryDescriptor.TYPE_COUNT_OFFSET);
            this.rootOffset = s.get(Le.U64_UNALIGNED, reg + TypeRegistryDescriptor.ROOT_OFFSET_OFFSET);
            this.slabAreaEnd = sb.slabAreaOffset() + (long) sb.slabCount() * sb.slabSize();
            this.regionStarts = new long[] {SuperblockDescriptor.A_OFFSET, SuperblockDescriptor.B_OFFSET, sb.registryOffset(),
                sb.slabTableOffset(), sb.logOffset(), sb.slabAreaOffset(), slabAreaEnd - sb.slabSize()};
            this.state = new int[sb.slabCount()];
            this.slabType = new int[sb.slabCount()];
            for (int i = 0; i < sb.slabCount(); i++) {
                long e = SlabTableDescriptor.entryOffset(sb.slabTableOffset(), i);
                state[i] = s.get(Le.U32_UNALIGNED, e + SlabTableDescriptor.STATE_OFFSET);
                slabType[i] = s.get(Le.U32_UNALIGNED, e + SlabTableDescriptor.TYPE_ID_OFFSET);
            }
        }

        /** Pool offsets of objects of the base that are not the root (the first object of each other headed slab). */
        List<Long> otherObjects() {
            List<Long> l = new ArrayList<>();
            for (int i = 0; i < state.length; i++) {
                if (state[i] == SlabTableDescriptor.STATE_SMALL || state[i] == SlabTableDescriptor.STATE_LARGE_HEAD) {
                    long slab = sb.slabOffset(i);
                    long obj = slab + Integer.toUnsignedLong(s.get(Le.U32_UNALIGNED, slab + SlabHeaderDescriptor.DATA_OFFSET_OFFSET));
                    if (obj != rootOffset) {
                        l.add(obj);
                    }
                }
            }
            return l;
        }
    }

    private static long[] values(long original, int width, long... extras) {
        Set<Long> vs = new LinkedHashSet<>();
        for (long v : BOUNDARIES) {
            vs.add(truncate(v, width));
        }
        for (long v : extras) {
            vs.add(truncate(v, width));
        }
        vs.remove(truncate(original, width));
        return vs.stream().mapToLong(Long::longValue).toArray();
    }

    private static void add(List<Field> fs, String name, int width, long[] at, long original, long[] sbSlots, long descAt,
            long descLimit, long... extras) {
        fs.add(new Field(name, width, at, original, values(original, width, extras), sbSlots, descAt, descLimit, -1, false));
    }

    /** Marks the fields added since {@code from} as repeating others (see {@link #mutants}). */
    private static void sampled(List<Field> fs, int from) {
        for (int i = from; i < fs.size(); i++) {
            Field f = fs.get(i);
            fs.set(i, new Field(f.name, f.width, f.at, f.original, f.values, f.superblockSlots, f.descriptorAt, f.descriptorLimit,
                    f.registryAt, true));
        }
    }

    // ------------------------------------------------------------------ superblock

    private static void superblock(List<Field> fs, Geometry g, String copy, long[] slots) {
        Superblock sb = g.sb;
        long pool = sb.poolSize();
        long[] regions = g.regionStarts;
        long slabBytes = (long) sb.slabCount() * sb.slabSize();
        sbField(fs, g, copy, slots, "magic", SuperblockDescriptor.MAGIC_OFFSET, 8, SuperblockDescriptor.MAGIC ^ 1,
                LogHeaderDescriptor.MAGIC, TypeRegistryDescriptor.MAGIC);
        sbField(fs, g, copy, slots, "formatVersion", SuperblockDescriptor.FORMAT_VERSION_OFFSET, 4, 2, SuperblockDescriptor.FORMAT_VERSION + 1L);
        sbField(fs, g, copy, slots, "flags", SuperblockDescriptor.FLAGS_OFFSET, 4, 2, 3, sb.flags() ^ SuperblockDescriptor.FLAG_CLEAN_CLOSE);
        sbField(fs, g, copy, slots, "sequence", SuperblockDescriptor.SEQUENCE_OFFSET, 8, sb.sequence() + 1, sb.sequence() - 1);
        sbField(fs, g, copy, slots, "uuidMsb", SuperblockDescriptor.UUID_MSB_OFFSET, 8);
        sbField(fs, g, copy, slots, "uuidLsb", SuperblockDescriptor.UUID_LSB_OFFSET, 8);
        sbField(fs, g, copy, slots, "poolSize", SuperblockDescriptor.POOL_SIZE_OFFSET, 8, concat(regions, pool + 1, pool - 1,
                pool - sb.slabSize(), pool + sb.slabSize(), 2 * pool, g.slabAreaEnd - 1, Long.MAX_VALUE - pool + 1, -pool));
        sbField(fs, g, copy, slots, "slabSize", SuperblockDescriptor.SLAB_SIZE_OFFSET, 4, 4096, 2048, 4095, sb.slabSize() + 4096L,
                sb.slabSize() * 2L, sb.slabSize() / 2L, 1 << 30, pool, Long.highestOneBit(pool) << 1);
        long tableSlots = sb.slabTableLength() / SlabTableDescriptor.ENTRY_LENGTH;
        sbField(fs, g, copy, slots, "slabCount", SuperblockDescriptor.SLAB_COUNT_OFFSET, 4, sb.slabCount() + 1L, sb.slabCount() - 1L,
                sb.slabCount() * 2L, tableSlots, tableSlots + 1, (pool - sb.slabAreaOffset()) / sb.slabSize() + 1, Integer.MAX_VALUE - 1L);
        region(fs, g, copy, slots, "registry", SuperblockDescriptor.REGISTRY_OFFSET_OFFSET, SuperblockDescriptor.REGISTRY_LENGTH_OFFSET,
                sb.registryOffset(), sb.registryLength());
        region(fs, g, copy, slots, "slabTable", SuperblockDescriptor.SLAB_TABLE_OFFSET_OFFSET,
                SuperblockDescriptor.SLAB_TABLE_LENGTH_OFFSET, sb.slabTableOffset(), sb.slabTableLength());
        region(fs, g, copy, slots, "log", SuperblockDescriptor.LOG_OFFSET_OFFSET, SuperblockDescriptor.LOG_LENGTH_OFFSET, sb.logOffset(),
                sb.logLength());
        long area = sb.slabAreaOffset();
        sbField(fs, g, copy, slots, "slabAreaOffset", SuperblockDescriptor.SLAB_AREA_OFFSET_OFFSET, 8, concat(regions, area + 4096,
                area - 4096, area + sb.slabSize(), area + 8, pool, pool + 1, pool - slabBytes + 1, Long.MAX_VALUE - slabBytes + 1,
                -slabBytes));
        long base = sb.baseAddress();
        sbField(fs, g, copy, slots, "baseAddress", SuperblockDescriptor.BASE_ADDRESS_OFFSET, 8, base + 4096, base + 1, base + (1L << 30),
                base - 4096, 1L << 47, 1L << 62, Long.MAX_VALUE & RecordedBaseDescriptor.BASE_MASK, 4096,
                (Long.MAX_VALUE - pool + 1) & RecordedBaseDescriptor.BASE_MASK);
        long cp = sb.checkpointLsn();
        sbField(fs, g, copy, slots, "checkpointLsn", SuperblockDescriptor.CHECKPOINT_LSN_OFFSET, 8, cp + 1, cp - 1, cp + 64, cp - 64,
                cp + sb.logLength(), cp - sb.logLength(), cp + 8);
        sbField(fs, g, copy, slots, "term", SuperblockDescriptor.TERM_OFFSET, 8, sb.term() + 1);
        sbField(fs, g, copy, slots, "created", SuperblockDescriptor.CREATED_OFFSET, 8);
        sbField(fs, g, copy, slots, "reserved", SuperblockDescriptor.RESERVED_OFFSET, 8);
        // The checksum itself: no fix-up, or the mutant would be a no-op.
        long crc = Integer.toUnsignedLong(g.s.get(Le.U32_UNALIGNED, slots[0] + SuperblockDescriptor.CRC_OFFSET));
        long[] at = new long[slots.length];
        for (int i = 0; i < slots.length; i++) {
            at[i] = slots[i] + SuperblockDescriptor.CRC_OFFSET;
        }
        add(fs, copy + ".crc", 4, at, crc, new long[0], -1, 0, crc ^ 1, crc ^ 0x80000000L);
    }

    private static void region(List<Field> fs, Geometry g, String copy, long[] slots, String name, int offsetField, int lengthField,
            long off, long len) {
        long pool = g.sb.poolSize();
        sbField(fs, g, copy, slots, name + "Offset", offsetField, 8, concat(g.regionStarts, off + 8, off - 8, off + 4096, off - 4096,
                pool, pool + 1, pool - len + 1, Long.MAX_VALUE - len + 1, -len));
        sbField(fs, g, copy, slots, name + "Length", lengthField, 8, len + 8, len - 8, len + 4096, len - 4096, len / 2, pool, pool + 1,
                pool - off + 1, Long.MAX_VALUE - off + 1, -off, 63, 64);
    }

    private static void sbField(List<Field> fs, Geometry g, String copy, long[] slots, String field, int offset, int width,
            long... extras) {
        long[] at = new long[slots.length];
        for (int i = 0; i < slots.length; i++) {
            at[i] = slots[i] + offset;
        }
        add(fs, copy + "." + field + " @" + offset, width, at, get(g.s, slots[0] + offset, width), slots, -1, 0, extras);
    }

    // ------------------------------------------------------------------ type registry

    private static void registry(List<Field> fs, Geometry g) {
        long reg = g.reg;
        long regLen = g.sb.registryLength();
        long used = g.s.get(Le.U64_UNALIGNED, reg + TypeRegistryDescriptor.USED_BYTES_OFFSET);
        long hdrEnd = TypeRegistryDescriptor.HEADER_LENGTH;
        regField(fs, g, "magic", TypeRegistryDescriptor.MAGIC_OFFSET, 8, TypeRegistryDescriptor.MAGIC ^ 1, SuperblockDescriptor.MAGIC);
        regField(fs, g, "version", TypeRegistryDescriptor.VERSION_OFFSET, 4, 2, TypeRegistryDescriptor.VERSION + 1L);
        regField(fs, g, "typeCount", TypeRegistryDescriptor.TYPE_COUNT_OFFSET, 4, g.typeCount + 1L, g.typeCount - 1L, 1 << 16,
                regLen / TypeDescriptor.HEADER_LENGTH + 1);
        regField(fs, g, "usedBytes", TypeRegistryDescriptor.USED_BYTES_OFFSET, 8, used + 8, used - 8, used + 1, regLen - hdrEnd,
                regLen - hdrEnd + 1, regLen, g.sb.poolSize(), Long.MAX_VALUE - reg - hdrEnd + 1, -(reg + hdrEnd));
        long[] ids = new long[g.typeCount + 2];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        regField(fs, g, "rootTypeId", TypeRegistryDescriptor.ROOT_TYPE_ID_OFFSET, 4, ids);
        regField(fs, g, "reserved0", TypeRegistryDescriptor.ROOT_TYPE_ID_OFFSET + 4, 4);
        long root = g.rootOffset;
        List<Long> others = g.otherObjects();
        long[] targets = concat(g.regionStarts, reg, reg + TypeRegistryDescriptor.ROOT_OFFSET_OFFSET, root + 8, root - 8, root + 1,
                root - (root - g.sb.slabAreaOffset()) % g.sb.slabSize(), g.sb.poolSize(), g.sb.poolSize() - 8, g.slabAreaEnd,
                g.s.byteSize() - 8);
        for (long o : others) {
            targets = concat(targets, o);
        }
        regField(fs, g, "rootOffset", TypeRegistryDescriptor.ROOT_OFFSET_OFFSET, 8, targets);
        regField(fs, g, "reserved1", TypeRegistryDescriptor.ROOT_OFFSET_OFFSET + 8, 8);
        // the checksum itself, without the fix-up
        long crc = Integer.toUnsignedLong(g.s.get(Le.U32_UNALIGNED, reg + TypeRegistryDescriptor.CRC_OFFSET));
        add(fs, "registry header.crc @" + TypeRegistryDescriptor.CRC_OFFSET, 4, new long[] {reg + TypeRegistryDescriptor.CRC_OFFSET}, crc,
                new long[0], -1, 0, crc ^ 1, crc ^ 0x80000000L);
        long at = reg + TypeRegistryDescriptor.HEADER_LENGTH;
        long end = at + used;
        for (int i = 0; i < g.typeCount && at < end; i++) {
            long len = Integer.toUnsignedLong(g.s.get(Le.U32_UNALIGNED, at + TypeDescriptor.LENGTH_OFFSET));
            int id = g.s.get(Le.U32_UNALIGNED, at + TypeDescriptor.TYPE_ID_OFFSET);
            boolean blob = (g.s.get(Le.U32_UNALIGNED, at + TypeDescriptor.FLAGS_OFFSET) & TypeDescriptor.FLAG_BLOB) != 0;
            int from = fs.size();
            descriptor(fs, g, at, len, end, reg + regLen);
            if (blob && java.util.Arrays.stream(g.slabType).noneMatch(t -> t == id)) {
                sampled(fs, from);
            }
            at += len;
        }
    }

    /** A field of the registry header; those under its CRC get the CRC rewritten, as the registry itself does. */
    private static void regField(List<Field> fs, Geometry g, String field, int offset, int width, long... extras) {
        long at = g.reg + offset;
        long original = get(g.s, at, width);
        fs.add(new Field("registry header." + field + " @" + offset, width, new long[] {at}, original, values(original, width, extras),
                new long[0], -1, 0, offset < TypeRegistryDescriptor.CRC_OFFSET ? g.reg : -1, false));
    }

    private static void descriptor(List<Field> fs, Geometry g, long at, long len, long used, long limit) {
        MemorySegment s = g.s;
        int id = s.get(Le.U32_UNALIGNED, at + TypeDescriptor.TYPE_ID_OFFSET);
        int nameLen = Short.toUnsignedInt(s.get(Le.U16_UNALIGNED, at + TypeDescriptor.NAME_LENGTH_OFFSET));
        int fieldCount = Short.toUnsignedInt(s.get(Le.U16_UNALIGNED, at + TypeDescriptor.FIELD_COUNT_OFFSET));
        long size = s.get(Le.U64_UNALIGNED, at + TypeDescriptor.SIZE_OFFSET);
        String name = new String(s.asSlice(at + TypeDescriptor.NAME_OFFSET, nameLen).toArray(Le.U8), java.nio.charset.StandardCharsets.UTF_8);
        String t = "type #" + id + " " + name;
        int slab = g.sb.slabSize();
        typeField(fs, g, at, limit, t + ".length", TypeDescriptor.LENGTH_OFFSET, 4, len + 8, len - 8, len + 1, TypeDescriptor.HEADER_LENGTH,
                used - at, used - at + 8, limit - at + 8);
        long crc = Integer.toUnsignedLong(s.get(Le.U32_UNALIGNED, at + TypeDescriptor.CRC_OFFSET));
        add(fs, "registry " + t + ".crc @" + (at + TypeDescriptor.CRC_OFFSET), 4, new long[] {at + TypeDescriptor.CRC_OFFSET}, crc, new long[0], -1, 0,
                crc ^ 1);
        typeField(fs, g, at, limit, t + ".typeId", TypeDescriptor.TYPE_ID_OFFSET, 4, id - 1L, id + 1L, g.typeCount + 1L, 2);
        typeField(fs, g, at, limit, t + ".flags", TypeDescriptor.FLAGS_OFFSET, 4, 2, 3,
                Integer.toUnsignedLong(s.get(Le.U32_UNALIGNED, at + TypeDescriptor.FLAGS_OFFSET)) ^ TypeDescriptor.FLAG_BLOB);
        typeField(fs, g, at, limit, t + ".size", TypeDescriptor.SIZE_OFFSET, 8, size + 1, size - 1, size + 8, size * 2, size / 2, slab,
                slab + 1L, slab - SlabHeaderDescriptor.BITMAP_OFFSET, 2L * slab, g.sb.poolSize(), g.sb.poolSize() + 1, 3);
        typeField(fs, g, at, limit, t + ".alignment", TypeDescriptor.ALIGNMENT_OFFSET, 4, 3, 4096, slab, 16);
        typeField(fs, g, at, limit, t + ".fieldCount", TypeDescriptor.FIELD_COUNT_OFFSET, 2, fieldCount + 1L, fieldCount - 1L);
        typeField(fs, g, at, limit, t + ".nameLength", TypeDescriptor.NAME_LENGTH_OFFSET, 2, nameLen + 1L, nameLen - 1L, len,
                len - TypeDescriptor.HEADER_LENGTH + 1);
        long p = at + TypeDescriptor.NAME_OFFSET + TypeDescriptor.align8(nameLen);
        for (int f = 0; f < fieldCount && p + TypeDescriptor.FIELD_HEADER_LENGTH <= at + len; f++) {
            int fnLen = Short.toUnsignedInt(s.get(Le.U16_UNALIGNED, p + TypeDescriptor.FIELD_NAME_LENGTH_OFFSET));
            int tnLen = Short.toUnsignedInt(s.get(Le.U16_UNALIGNED, p + TypeDescriptor.FIELD_TARGET_LENGTH_OFFSET));
            int kind = Short.toUnsignedInt(s.get(Le.U16_UNALIGNED, p + TypeDescriptor.FIELD_KIND_OFFSET));
            long foff = Integer.toUnsignedLong(s.get(Le.U32_UNALIGNED, p + TypeDescriptor.FIELD_OFFSET_OFFSET));
            long flen = Integer.toUnsignedLong(s.get(Le.U32_UNALIGNED, p + TypeDescriptor.FIELD_LENGTH_OFFSET));
            String fname = new String(s.asSlice(p + TypeDescriptor.FIELD_NAME_OFFSET, fnLen).toArray(Le.U8),
                    java.nio.charset.StandardCharsets.UTF_8);
            String fl = t + ".field[" + f + " " + fname + "]";
            long rel = p - at;
            typeField(fs, g, at, limit, fl + ".kind", (int) rel + TypeDescriptor.FIELD_KIND_OFFSET, 2, 9, 8, 7, 4, kind == 1 ? 2 : 1);
            typeField(fs, g, at, limit, fl + ".nameLength", (int) rel + TypeDescriptor.FIELD_NAME_LENGTH_OFFSET, 2, fnLen + 1L,
                    fnLen + 8L, len);
            typeField(fs, g, at, limit, fl + ".offset", (int) rel + TypeDescriptor.FIELD_OFFSET_OFFSET, 4, foff + 1, foff + 8, foff - 8,
                    size, size - 1, size - flen + 1, slab, 0xFFFFFFFFL - flen + 1);
            typeField(fs, g, at, limit, fl + ".length", (int) rel + TypeDescriptor.FIELD_LENGTH_OFFSET, 4, flen + 1, flen * 2,
                    size - foff + 1, slab, 0xFFFFFFFFL - foff + 1);
            typeField(fs, g, at, limit, fl + ".targetLength", (int) rel + TypeDescriptor.FIELD_TARGET_LENGTH_OFFSET, 2, tnLen + 1L,
                    tnLen + 8L, len);
            p += TypeDescriptor.FIELD_HEADER_LENGTH + TypeDescriptor.align8(fnLen + tnLen);
        }
    }

    private static void typeField(List<Field> fs, Geometry g, long descAt, long limit, String name, int rel, int width, long... extras) {
        long at = descAt + rel;
        add(fs, "registry " + name + " @" + at, width, new long[] {at}, get(g.s, at, width), new long[0], descAt, limit, extras);
    }

    // ------------------------------------------------------------------ slab table and slab headers

    private static void slabTable(List<Field> fs, Geometry g) {
        Superblock sb = g.sb;
        long base = sb.baseAddress();
        long mask = RecordedBaseDescriptor.BASE_MASK;
        long sig = RecordedBaseDescriptor.SIGNATURE << RecordedBaseDescriptor.SIGNATURE_SHIFT;
        boolean freeSeen = false;
        for (int i = 0; i < sb.slabCount(); i++) {
            int from = fs.size();
            long e = SlabTableDescriptor.entryOffset(sb.slabTableOffset(), i);
            String n = "slab table[" + i + " " + SlabTableDescriptor.stateName(g.state[i]) + "]";
            long word = g.s.get(Le.U64_UNALIGNED, e + SlabTableDescriptor.RECORDED_BASE_OFFSET);
            long wbase = word & mask;
            entryField(fs, g, e, n + ".typeId", SlabTableDescriptor.TYPE_ID_OFFSET, 4, g.slabType[i] + 1L, g.slabType[i] - 1L,
                    g.typeCount + 1L, 2, g.typeCount);
            entryField(fs, g, e, n + ".state", SlabTableDescriptor.STATE_OFFSET, 4, SlabTableDescriptor.STATE_FREE,
                    SlabTableDescriptor.STATE_SMALL, SlabTableDescriptor.STATE_LARGE_HEAD, SlabTableDescriptor.STATE_LARGE_CONT, 4);
            entryField(fs, g, e, n + ".recordedBase", SlabTableDescriptor.RECORDED_BASE_OFFSET, 8,
                    (wbase + 4096) | sig | RecordedBaseDescriptor.STATE_AT,
                    (wbase + (1L << 30)) | sig | RecordedBaseDescriptor.STATE_AT,
                    (base & mask) | sig | RecordedBaseDescriptor.STATE_SHIFT,
                    ((base + (1L << 30)) & mask) | sig | RecordedBaseDescriptor.STATE_SHIFT,
                    (base & mask) | sig | RecordedBaseDescriptor.STATE_MIXED,
                    ((base + (1L << 30)) & mask) | sig | RecordedBaseDescriptor.STATE_MIXED,
                    (base & mask) | sig, (base & mask) | sig | RecordedBaseDescriptor.STATE_MASK,
                    word ^ (1L << RecordedBaseDescriptor.SIGNATURE_SHIFT),
                    (Long.MAX_VALUE & mask) | sig | RecordedBaseDescriptor.STATE_AT,
                    ((Long.MAX_VALUE - sb.poolSize() + 1) & mask) | sig | RecordedBaseDescriptor.STATE_AT,
                    (4096L) | sig | RecordedBaseDescriptor.STATE_AT, sig | RecordedBaseDescriptor.STATE_AT);
            long span = Integer.toUnsignedLong(g.s.get(Le.U32_UNALIGNED, e + SlabTableDescriptor.SPAN_OFFSET));
            entryField(fs, g, e, n + ".span", SlabTableDescriptor.SPAN_OFFSET, 4, span + 1, span - 1, i, i + 1L, sb.slabCount(),
                    sb.slabCount() + 1L, sb.slabCount() - i + 1L);
            entryField(fs, g, e, n + ".reserved0", SlabTableDescriptor.SPAN_OFFSET + 4, 4);
            entryField(fs, g, e, n + ".reserved1", SlabTableDescriptor.SPAN_OFFSET + 8, 8);
            if (g.state[i] == SlabTableDescriptor.STATE_FREE) {
                if (freeSeen) {
                    sampled(fs, from);
                }
                freeSeen = true;
            }
        }
    }

    private static void entryField(List<Field> fs, Geometry g, long entry, String name, int rel, int width, long... extras) {
        long at = entry + rel;
        add(fs, name + " @" + at, width, new long[] {at}, get(g.s, at, width), new long[0], -1, 0, extras);
    }

    private static void slabHeaders(List<Field> fs, Geometry g) {
        Superblock sb = g.sb;
        long slab = sb.slabSize();
        boolean freeDone = false;
        for (int i = 0; i < sb.slabCount(); i++) {
            boolean headed = g.state[i] == SlabTableDescriptor.STATE_SMALL || g.state[i] == SlabTableDescriptor.STATE_LARGE_HEAD;
            boolean firstFree = g.state[i] == SlabTableDescriptor.STATE_FREE && !freeDone;
            if (!headed && !firstFree) {
                continue;
            }
            freeDone |= firstFree;
            long h = sb.slabOffset(i);
            String n = "slab[" + i + " " + SlabTableDescriptor.stateName(g.state[i]) + "] header";
            MemorySegment s = g.s;
            long count = Integer.toUnsignedLong(s.get(Le.U32_UNALIGNED, h + SlabHeaderDescriptor.OBJECT_COUNT_OFFSET));
            long size = s.get(Le.U64_UNALIGNED, h + SlabHeaderDescriptor.OBJECT_SIZE_OFFSET);
            long data = Integer.toUnsignedLong(s.get(Le.U32_UNALIGNED, h + SlabHeaderDescriptor.DATA_OFFSET_OFFSET));
            long words = Integer.toUnsignedLong(s.get(Le.U32_UNALIGNED, h + SlabHeaderDescriptor.BITMAP_WORDS_OFFSET));
            int type = s.get(Le.U32_UNALIGNED, h + SlabHeaderDescriptor.TYPE_ID_OFFSET);
            headerField(fs, g, h, n + ".magic", SlabHeaderDescriptor.MAGIC_OFFSET, 4, SlabHeaderDescriptor.MAGIC,
                    SlabHeaderDescriptor.MAGIC ^ 1);
            headerField(fs, g, h, n + ".version", SlabHeaderDescriptor.VERSION_OFFSET, 2, SlabHeaderDescriptor.VERSION,
                    SlabHeaderDescriptor.VERSION + 1L);
            headerField(fs, g, h, n + ".flags", SlabHeaderDescriptor.FLAGS_OFFSET, 2, 2);
            headerField(fs, g, h, n + ".typeId", SlabHeaderDescriptor.TYPE_ID_OFFSET, 4, type + 1L, type - 1L, g.typeCount + 1L,
                    g.typeCount, 2);
            headerField(fs, g, h, n + ".objectCount", SlabHeaderDescriptor.OBJECT_COUNT_OFFSET, 4, count + 1, count - 1, count + 64,
                    count * 2, 64 * words + 1, slab, slab / 8 * 64);
            headerField(fs, g, h, n + ".objectSize", SlabHeaderDescriptor.OBJECT_SIZE_OFFSET, 8, size + 1, size - 1, size + 8, size * 2,
                    size / 2, slab, slab + 1, slab - data + 1, 2 * slab, sb.poolSize(), sb.poolSize() + 1, Long.MAX_VALUE - slab + 1);
            headerField(fs, g, h, n + ".dataOffset", SlabHeaderDescriptor.DATA_OFFSET_OFFSET, 4, data + 1, data + 8,
                    data + SlabHeaderDescriptor.DATA_ALIGNMENT, data - SlabHeaderDescriptor.DATA_ALIGNMENT, SlabHeaderDescriptor.BITMAP_OFFSET,
                    slab, slab + 1, slab - size + 1, slab - 8);
            headerField(fs, g, h, n + ".bitmapWords", SlabHeaderDescriptor.BITMAP_WORDS_OFFSET, 4, words + 1, words - 1, slab / 8,
                    (data - SlabHeaderDescriptor.BITMAP_OFFSET) / 8 + 1);
        }
    }

    private static void headerField(List<Field> fs, Geometry g, long header, String name, int rel, int width, long... extras) {
        long at = header + rel;
        add(fs, name + " @" + at, width, new long[] {at}, get(g.s, at, width), new long[0], -1, 0, extras);
    }

    private static long[] concat(long[] a, long... b) {
        long[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
