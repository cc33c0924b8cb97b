package io.ferrite.swizzle;

import io.ferrite.media.Media;
import java.lang.foreign.MemorySegment;

/**
 * What swizzling and verification need to know about a pool, and nothing more: the mapped
 * segment, the slabs (type, geometry, allocation, recorded-base word) and the pointer map of each
 * type. The heap implements it over its slab table and type registry and hands it to
 * {@link Swizzler} at open; tests implement it over a synthetic layout.
 *
 * <p><b>Slabs.</b> Slab {@code s} covers segment bytes
 * {@code [slabsOffset() + s * slabSize(), +slabSize())}. A slab is {@link #FREE}, holds objects of
 * one type ({@link #slabType} = the type id, {@code >= 0}), or is a {@link #CONTINUATION} of a run:
 * a slab with {@link #slabSpan} {@code k > 1} starts a run of {@code k} slabs that holds large
 * object(s); the run's geometry, allocation and recorded-base word are those of its first slab,
 * and the {@code k - 1} slabs after it report {@code CONTINUATION}.
 *
 * <p><b>Recorded-base word.</b> Each non-free slab has one 8-byte aligned word in the segment (the
 * heap keeps it in the slab-table entry) whose format is {@link RecordedBaseDescriptor}. Swizzling
 * reads, stores and flushes that word itself at {@link #recordedBaseOffset}, so that it can batch
 * the fences of many slabs. Nothing else may write it while a swizzle runs; when the heap
 * formats a fresh slab (all pointer words null) it stores {@code RecordedBaseDescriptor.at(base())}.
 *
 * <p><b>Pool base.</b> {@link #poolBase()} is the durable pool-level base (the superblock's "base
 * the pointers assume", also the address hint for the next mapping). Only {@link Swizzler}
 * changes it, through {@link #persistPoolBase}, which must be durable and atomic when it returns.
 *
 * <p><b>Cost.</b> Every method is called once per slab (or once per 64 objects for
 * {@link #allocationBits}), never per pointer; implementations answer from arrays or the segment
 * and must not allocate. The view must not change while a swizzle or a verification runs; its
 * methods are called from several threads at once.
 */
public interface SwizzleView {
    /** {@link #slabType}: the slab holds nothing. */
    int FREE = -1;
    /** {@link #slabType}: the slab belongs to a run started by an earlier slab. */
    int CONTINUATION = -2;

    /** The pool's media: its segment holds every byte, its flush and fence make stores durable. */
    Media media();

    /**
     * The mapped pool: exactly the pool's bytes. Swizzling decodes pointer words by this
     * segment's size (a word is absolute for base B when it lies in [B, B + size)), and the
     * disjointness a SHIFT slab relies on was decided under the pool's recorded size, so a view
     * over a file longer than its pool must slice the mapping to the pool size.
     */
    default MemorySegment segment() {
        return media().segment();
    }

    /**
     * The base that absolute pointers must assume after swizzling: the address of
     * {@link #segment()} in production. Swizzling never dereferences a pointer; it uses the base
     * only in arithmetic, so a test may present another page-aligned value.
     */
    default long base() {
        return segment().address();
    }

    /** The durable pool-level base P (see {@link RecordedBaseDescriptor}). */
    long poolBase();

    /** Stores P durably and atomically (the heap: a superblock update). Called by the swizzler only. */
    void persistPoolBase(long base);

    int slabCount();

    /** Segment offset of slab 0. */
    long slabsOffset();

    long slabSize();

    /** Type id ({@code >= 0}), {@link #FREE} or {@link #CONTINUATION}. */
    int slabType(int slab);

    /** Number of slabs in the run this slab starts: 1 for an ordinary slab, k for a large object. */
    int slabSpan(int slab);

    /** Segment offset of the slab's recorded-base word (8-byte aligned). */
    long recordedBaseOffset(int slab);

    /** Segment offset of object 0 of the slab (or run). */
    long objectsOffset(int slab);

    /** Bytes per object (a multiple of 8 for types with pointers). */
    long objectSize(int slab);

    /** Object slots in the slab (or run), allocated or not. */
    int objectCount(int slab);

    /** Whether slot {@code index} holds a live object. */
    boolean isAllocated(int slab, int index);

    /**
     * Allocation of slots {@code firstIndex .. firstIndex + 63} as bits (bit j = slot
     * {@code firstIndex + j}; bits past {@link #objectCount} are ignored). {@code firstIndex} is a
     * multiple of 64. Override to read the allocation bitmap word directly.
     */
    default long allocationBits(int slab, int firstIndex) {
        int end = Math.min(objectCount(slab), firstIndex + 64);
        long bits = 0;
        for (int i = firstIndex; i < end; i++) {
            if (isAllocated(slab, i)) {
                bits |= 1L << (i - firstIndex);
            }
        }
        return bits;
    }

    /** Pointer fields of a type; {@link PointerMap#NONE} when it has none. */
    PointerMap pointerMap(int typeId);

    /**
     * Whether a pointer field declared to point to {@code declaredType} may point to an object of
     * {@code actualType} (another type than the declared one; {@link PointerMap#ANY_TYPE} and the
     * same type are always accepted). The heap overrides it for its family of blob types.
     */
    default boolean targetAccepts(int declaredType, int actualType) {
        return false;
    }

    /** Type name for reports ({@code ferrite check}); the id by default. */
    default String typeName(int typeId) {
        return "type " + typeId;
    }

    /** Where the pool lives, for messages (its path, or a description). */
    default String describe() {
        Media m = media();
        return m.path() == null ? "<memory pool>" : m.path().toString();
    }

    /** The slab's recorded-base word as stored now. */
    default long recordedBase(int slab) {
        return segment().get(Pointers.WORD, recordedBaseOffset(slab));
    }
}
