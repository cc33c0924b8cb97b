package io.ferrite.pheap.format;

import static io.ferrite.pheap.format.SlabTableDescriptor.*;

import io.ferrite.swizzle.RecordedBaseDescriptor;
import java.lang.foreign.MemorySegment;

/**
 * Checks of a pool's slab table, slab headers and root against each other, for a pool whose
 * superblock passed {@link Superblock#geometryProblem()}. The heap runs them at open before it
 * trusts any of these structures (and before a swizzle rewrites a word); {@code ferrite} commands
 * can run the same ones. Each returns null when the structure is sound, else what is wrong in
 * words, naming the slab and the pool offset; the caller adds the pool's path and the command that
 * helps. Each check reads a bounded number of words per slab and allocates nothing per slab.
 *
 * <p>Threading: stateless; the pool must not change while a check runs.
 */
public final class PoolValidation {
    private PoolValidation() {
    }

    /**
     * Whether absolute pointers assuming {@code base} can address a pool of {@code poolSize} bytes:
     * {@code base} is positive and page aligned and {@code base + poolSize < 2^63} (the bound the
     * swizzler applies to its bases), so no absolute
     * word of the pool has bit 63 set (the bit that marks a tagged word). A base near 2^63 would make
     * a tagged word decode as an absolute one.
     */
    public static boolean baseFits(long base, long poolSize) {
        return base > 0 && (base & ~RecordedBaseDescriptor.BASE_MASK) == 0 && poolSize > 0
                && base <= Long.MAX_VALUE - poolSize;
    }

    /**
     * The slab table's shape: every state known; a large head's span inside the slab count and
     * followed by exactly span - 1 continuation entries of its type that name it; no continuation
     * without its head; every valid recorded-base word of a small slab or large head leaving room
     * for the pool ({@link #baseFits}) and, in a cleanly closed pool, AT one base, the same for
     * all. A recorded-base word that is no valid word is left to the swizzler, which
     * refuses it on slabs with pointers and rewrites it on slabs without.
     */
    public static String slabTableProblem(MemorySegment seg, Superblock sb) {
        int n = sb.slabCount();
        for (int i = 0; i < n; i++) {
            long e = entryOffset(sb.slabTableOffset(), i);
            int state = seg.get(Le.U32, e + STATE_OFFSET);
            switch (state) {
                case STATE_FREE -> {
                }
                case STATE_SMALL -> {
                    String b = baseProblem(seg, sb, i, e);
                    if (b != null) {
                        return b;
                    }
                }
                case STATE_LARGE_HEAD -> {
                    int span = seg.get(Le.U32, e + SPAN_OFFSET);
                    if (span < 1 || span > n - i) {
                        return entry(i, e) + ": large object spans " + Integer.toUnsignedString(span) + " slabs, but only "
                                + (n - i) + " slabs are left";
                    }
                    int type = seg.get(Le.U32, e + TYPE_ID_OFFSET);
                    for (int j = i + 1; j < i + span; j++) {
                        long c = entryOffset(sb.slabTableOffset(), j);
                        int cs = seg.get(Le.U32, c + STATE_OFFSET);
                        int head = seg.get(Le.U32, c + SPAN_OFFSET);
                        int ct = seg.get(Le.U32, c + TYPE_ID_OFFSET);
                        if (cs != STATE_LARGE_CONT || head != i || ct != type) {
                            return entry(j, c) + ": lies inside the large object of slab " + i + " (" + span + " slabs),"
                                    + " but the entry says " + stateName(cs) + " of type " + Integer.toUnsignedString(ct)
                                    + " with head " + Integer.toUnsignedString(head);
                        }
                    }
                    String b = baseProblem(seg, sb, i, e);
                    if (b != null) {
                        return b;
                    }
                    i += span - 1;
                }
                case STATE_LARGE_CONT -> {
                    return entry(i, e) + ": continues a large object but follows no large head (its entry names slab "
                            + Integer.toUnsignedString(seg.get(Le.U32, e + SPAN_OFFSET)) + ")";
                }
                default -> {
                    return entry(i, e) + ": unknown state " + Integer.toUnsignedString(state);
                }
            }
        }
        return cleanBasesProblem(seg, sb);
    }

    /**
     * Every valid recorded-base word of a small slab or a large head leaves room for the pool
     * ({@link #baseFits}) and, in a cleanly closed pool, is AT one base, the same for all (see
     * {@link #cleanBasesProblem}). Part of {@link
     * #slabTableProblem}; the heap also runs it before replay, which stores pointer words for the
     * recorded base of the slab (or large head) they land in. No legal state, crashed mid-record or
     * not, holds such a base, so checking it before replay refuses nothing replay would repair.
     */
    public static String recordedBasesProblem(MemorySegment seg, Superblock sb) {
        for (int i = 0; i < sb.slabCount(); i++) {
            long e = entryOffset(sb.slabTableOffset(), i);
            int state = seg.get(Le.U32, e + STATE_OFFSET);
            // a continuation's word is never read: replay and the swizzle use its head's
            if (state != STATE_FREE && state != STATE_LARGE_CONT) {
                String b = baseProblem(seg, sb, i, e);
                if (b != null) {
                    return b;
                }
            }
        }
        return cleanBasesProblem(seg, sb);
    }

    private static String entry(int slab, long entryOffset) {
        return "slab " + slab + " (slab table entry at pool offset " + entryOffset + ")";
    }

    private static String baseProblem(MemorySegment seg, Superblock sb, int slab, long e) {
        long w = seg.get(Le.U64, e + RECORDED_BASE_OFFSET);
        int state = RecordedBaseDescriptor.state(w);
        if (state == RecordedBaseDescriptor.STATE_INVALID) {
            return null;
        }
        if (!baseFits(RecordedBaseDescriptor.base(w), sb.poolSize())) {
            return entry(slab, e) + ": recorded base " + RecordedBaseDescriptor.describe(w) + " leaves no room for the pool's "
                    + sb.poolSize() + " bytes below 2^63 (its tagged pointer words would read as absolute ones)";
        }
        // SHIFT/MIXED are left only by a crash during a swizzle, and recovery writes a superblock
        // without the clean-close flag before it swizzles
        if (sb.cleanClose() && state != RecordedBaseDescriptor.STATE_AT) {
            return entry(slab, e) + ": recorded base " + RecordedBaseDescriptor.describe(w) + ", a swizzle state, but the pool"
                    + " was closed cleanly (only a crash during a swizzle leaves one)";
        }
        return null;
    }

    /**
     * In a cleanly closed pool, every small slab and large head with a valid recorded-base word is
     * AT one and the same base: a swizzle that returns leaves them all at the pool base, new slabs
     * start at the mapping base, and only a crash during a swizzle (after which recovery clears
     * the clean-close flag first) leaves slabs at different bases. A slab at another base than the
     * rest would have its pointers decoded that far off. The superblock's own base is not compared:
     * slabs AT(B) are decoded by B, whatever it says.
     */
    private static String cleanBasesProblem(MemorySegment seg, Superblock sb) {
        if (!sb.cleanClose()) {
            return null;
        }
        int first = -1;
        long base = 0;
        for (int i = 0; i < sb.slabCount(); i++) {
            long e = entryOffset(sb.slabTableOffset(), i);
            int state = seg.get(Le.U32, e + STATE_OFFSET);
            long w = seg.get(Le.U64, e + RECORDED_BASE_OFFSET);
            if ((state != STATE_SMALL && state != STATE_LARGE_HEAD)
                    || RecordedBaseDescriptor.state(w) != RecordedBaseDescriptor.STATE_AT) {
                continue;
            }
            if (first < 0) {
                first = i;
                base = RecordedBaseDescriptor.base(w);
            } else if (RecordedBaseDescriptor.base(w) != base) {
                return entry(i, e) + String.format(": recorded base %s, but slab %d's is AT(0x%x) and the pool was closed"
                        + " cleanly (only a crash during a swizzle leaves slabs at different bases)",
                        RecordedBaseDescriptor.describe(w), first, base);
            }
        }
        return null;
    }

    /**
     * The header of slab {@code slab} (a small slab, or the head of a run of {@code span} slabs)
     * against the type its table entry names: magic, version, type id, object count and size, and
     * the data offset and bitmap size that this count implies (never trusted as stored: the
     * allocator and the swizzler place objects by them). {@code objectSize} 0 means a variable size
     * (the stored size must then be positive and fit in the run).
     */
    public static String slabHeaderProblem(MemorySegment seg, Superblock sb, int slab, int span, int typeId, long objectSize,
            int objectCount) {
        long start = sb.slabOffset(slab);
        String at = "slab " + slab + " header at pool offset " + start;
        int magic = seg.get(Le.U32, start + SlabHeaderDescriptor.MAGIC_OFFSET);
        if (magic != SlabHeaderDescriptor.MAGIC) {
            return String.format("%s: bad magic 0x%08x (expected \"SLB1\")", at, magic);
        }
        short version = seg.get(Le.U16, start + SlabHeaderDescriptor.VERSION_OFFSET);
        if (version != SlabHeaderDescriptor.VERSION) {
            return at + ": version " + version + ", this build reads version " + SlabHeaderDescriptor.VERSION;
        }
        int hType = seg.get(Le.U32, start + SlabHeaderDescriptor.TYPE_ID_OFFSET);
        int count = seg.get(Le.U32, start + SlabHeaderDescriptor.OBJECT_COUNT_OFFSET);
        long size = seg.get(Le.U64, start + SlabHeaderDescriptor.OBJECT_SIZE_OFFSET);
        int dataOffset = seg.get(Le.U32, start + SlabHeaderDescriptor.DATA_OFFSET_OFFSET);
        int words = seg.get(Le.U32, start + SlabHeaderDescriptor.BITMAP_WORDS_OFFSET);
        if (hType != typeId || count != objectCount || (objectSize > 0 && size != objectSize)) {
            return at + ": type " + Integer.toUnsignedString(hType) + ", " + Integer.toUnsignedString(count) + " objects of "
                    + size + " bytes, but its table entry's type " + typeId + " has " + objectCount + " objects of "
                    + (objectSize > 0 ? objectSize + " bytes" : "variable size");
        }
        if (dataOffset != SlabHeaderDescriptor.dataOffset(count)) {
            return at + ": data offset " + Integer.toUnsignedString(dataOffset) + ", but " + count + " objects put it at "
                    + SlabHeaderDescriptor.dataOffset(count);
        }
        if (words != SlabHeaderDescriptor.bitmapWords(count)) {
            return at + ": bitmap of " + Integer.toUnsignedString(words) + " words, but " + count + " objects need "
                    + SlabHeaderDescriptor.bitmapWords(count);
        }
        long run = (long) span * sb.slabSize();
        if (size <= 0 || size > run || dataOffset + (long) count * size > run) {
            return at + ": " + count + " objects of " + size + " bytes from data offset " + dataOffset + " do not fit in its "
                    + span + " slab(s) of " + sb.slabSize() + " bytes";
        }
        return null;
    }

    /**
     * The root (the registry header's root type id and pool offset; offset 0 = no root): it must be
     * the start of an allocated object in a small slab of the root's type. Run after the slab table
     * and the slab headers passed their checks (it places objects by the header).
     */
    public static String rootProblem(MemorySegment seg, Superblock sb, int rootTypeId, long rootOffset) {
        if (rootOffset == 0) {
            return null;
        }
        String what = "root object at pool offset " + rootOffset + " (type " + Integer.toUnsignedString(rootTypeId) + ")";
        long area = sb.slabAreaOffset();
        long end = area + (long) sb.slabCount() * sb.slabSize();
        if (rootOffset < area || rootOffset >= end) {
            return what + " is outside the slab area [" + area + ", " + end + ")";
        }
        int slab = (int) ((rootOffset - area) / sb.slabSize());
        long e = entryOffset(sb.slabTableOffset(), slab);
        int state = seg.get(Le.U32, e + STATE_OFFSET);
        int type = seg.get(Le.U32, e + TYPE_ID_OFFSET);
        if (state != STATE_SMALL || type != rootTypeId) {
            return what + " lies in slab " + slab + ", which is " + stateName(state)
                    + (state == STATE_FREE ? "" : " of type " + Integer.toUnsignedString(type));
        }
        long start = sb.slabOffset(slab);
        long rel = rootOffset - start - seg.get(Le.U32, start + SlabHeaderDescriptor.DATA_OFFSET_OFFSET);
        long size = seg.get(Le.U64, start + SlabHeaderDescriptor.OBJECT_SIZE_OFFSET);
        int count = seg.get(Le.U32, start + SlabHeaderDescriptor.OBJECT_COUNT_OFFSET);
        if (size <= 0 || rel < 0 || rel % size != 0 || rel / size >= count) {
            return what + " is not the start of one of the " + count + " objects of " + size + " bytes of slab " + slab;
        }
        int index = (int) (rel / size);
        if ((seg.get(Le.U64, start + SlabHeaderDescriptor.bitmapWordOffset(index)) & (1L << index)) == 0) {
            return what + " is object " + index + " of slab " + slab + ", which is not allocated";
        }
        return null;
    }
}
