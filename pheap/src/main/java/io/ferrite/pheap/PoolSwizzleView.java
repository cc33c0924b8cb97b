package io.ferrite.pheap;

import io.ferrite.media.Media;
import io.ferrite.pheap.format.Le;
import io.ferrite.pheap.format.SlabHeaderDescriptor;
import io.ferrite.pheap.format.SlabTableDescriptor;
import io.ferrite.pheap.format.Superblock;
import io.ferrite.swizzle.PointerMap;
import io.ferrite.swizzle.SwizzleView;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * A heap pool as the swizzle module sees it ({@link SwizzleView}): the slab table, the slab
 * headers and the registry's pointer maps, read straight from the mapped segment. Every method is
 * a few segment reads or an array lookup; nothing is allocated per slab or per pointer.
 *
 * <p>Slab table entry {@code i} ({@link SlabTableDescriptor}): state FREE is
 * {@link SwizzleView#FREE}, SMALL and LARGE_HEAD report their type id, LARGE_CONT is
 * {@link SwizzleView#CONTINUATION}; the span is 1 for a small slab and the run length for a large
 * head; the recorded-base word is the entry's word at +8. Object geometry (data offset, count,
 * size) comes from the slab's registered type, never from the stored header: a damaged header
 * must not move the words a swizzle rewrites (the heap refuses a header that disagrees with its
 * type at open, {@link io.ferrite.pheap.format.PoolValidation#slabHeaderProblem}). Only the
 * variable-size blob type takes its object size from the header, and only a slab whose type the
 * registry does not know takes all of it from there. The allocation bitmap is the header's
 * ({@link SlabHeaderDescriptor}). A pointer field declared {@code ferrite.blob} accepts any blob
 * type. The segment is the pool's bytes only ({@code [0, pool size)}), even when the file is longer.
 *
 * <p>The heap builds one at open to swizzle ({@link Heap#open}) and for
 * {@link Heap#verifyPointers()}; tools build one over a pool they did not open as a heap with
 * {@link #read(Media)} (read-only: {@link #persistPoolBase} then refuses).
 *
 * <p>Threading: immutable apart from the segment it reads; safe for the swizzler's threads. The
 * pool must not change (no transactions) while a swizzle or a verification runs over the view.
 */
public final class PoolSwizzleView implements SwizzleView {
    /** The declared target of a pointer field whose target type is not registered: no type id is 0. */
    static final int UNREGISTERED = 0;
    private final Media media;
    private final MemorySegment seg;
    private final Superblock sb;
    private final String poolName;
    private final long slabTable;
    private final long slabsOffset;
    private final long slabSize;
    private final int slabCount;
    private final PointerMap[] maps;
    private final String[] names;
    private final boolean[] blobs;
    /** Per type id: data offset, object count and object size (0 = variable: from the header); 0 count = unknown type. */
    private final int[] dataOffsets;
    private final int[] counts;
    private final long[] sizes;
    private final int anyBlob;
    private final java.util.function.LongSupplier poolBase;
    private final LongConsumer persistPoolBase;

    PoolSwizzleView(Media media, Superblock sb, TypeRegistry registry, String poolName,
            java.util.function.LongSupplier poolBase, LongConsumer persistPoolBase) {
        this.media = media;
        this.seg = media.segment().asSlice(0, sb.poolSize());
        this.sb = sb;
        this.poolName = poolName;
        this.slabTable = sb.slabTableOffset();
        this.slabsOffset = sb.slabAreaOffset();
        this.slabSize = sb.slabSize();
        this.slabCount = sb.slabCount();
        this.poolBase = poolBase;
        this.persistPoolBase = persistPoolBase;
        List<TypeInfo> all = registry.all();
        int max = 0;
        for (TypeInfo t : all) {
            max = Math.max(max, t.id);
        }
        maps = new PointerMap[max + 1];
        names = new String[max + 1];
        blobs = new boolean[max + 1];
        dataOffsets = new int[max + 1];
        counts = new int[max + 1];
        sizes = new long[max + 1];
        TypeInfo variable = registry.byName(PType.ANY_BLOB);
        anyBlob = variable == null ? -2 : variable.id;
        for (TypeInfo t : all) {
            names[t.id] = t.name;
            blobs[t.id] = t.blob;
            dataOffsets[t.id] = t.dataOffset;
            counts[t.id] = t.objectCount;
            sizes[t.id] = t.variable ? 0 : t.objectSize;
            PointerMap.Builder b = PointerMap.builder();
            t.def.fields().stream().filter(f -> f.kind() == FieldKind.POINTER)
                    .sorted(java.util.Comparator.comparingInt(PField::offset))
                    .forEach(f -> {
                        // a target that is not registered (yet: types that point to each other are
                        // registered one after the other) has no objects, so such a field holds
                        // only null: it points to no type, not to any
                        TypeInfo target = f.target() == null ? null : registry.byName(f.target());
                        b.pointer(f.name(), f.offset(), f.target() == null ? PointerMap.ANY_TYPE
                                : target == null ? UNREGISTERED : target.id);
                    });
            maps[t.id] = b.build();
        }
    }

    /** The view of an open heap (its current registry; the heap must hold no open transaction). */
    public static PoolSwizzleView of(Heap heap) {
        return heap.swizzleView();
    }

    /**
     * A view of the pool in {@code media} read from its superblock and registry, for tools that
     * inspect a pool without opening it as a heap (no log replay: on a pool that needs recovery,
     * what the view shows is the pool as it is on media). {@link #persistPoolBase} refuses.
     */
    public static PoolSwizzleView read(Media media) {
        String name = media.path() == null ? "<memory pool>" : media.path().toString();
        Superblock sb = PoolFiles.choose(media.segment(), media.size(), name);
        TypeRegistry r = new TypeRegistry(media.segment(), sb.registryOffset(), sb.registryLength(), sb.slabSize(), name);
        r.load();
        return new PoolSwizzleView(media, sb, r, name, sb::baseAddress, b -> {
            throw new UnsupportedOperationException("pool " + name + " is viewed read-only; open it as a heap to swizzle it");
        });
    }

    /** The superblock the view was built from. */
    public Superblock superblock() {
        return sb;
    }

    @Override
    public Media media() {
        return media;
    }

    @Override
    public MemorySegment segment() {
        return seg;
    }

    @Override
    public long poolBase() {
        return poolBase.getAsLong();
    }

    @Override
    public void persistPoolBase(long base) {
        persistPoolBase.accept(base);
    }

    @Override
    public int slabCount() {
        return slabCount;
    }

    @Override
    public long slabsOffset() {
        return slabsOffset;
    }

    @Override
    public long slabSize() {
        return slabSize;
    }

    private long entry(int slab) {
        return SlabTableDescriptor.entryOffset(slabTable, slab);
    }

    private long start(int slab) {
        return slabsOffset + slab * slabSize;
    }

    @Override
    public int slabType(int slab) {
        long e = entry(slab);
        return switch (seg.get(Le.U32, e + SlabTableDescriptor.STATE_OFFSET)) {
            case SlabTableDescriptor.STATE_FREE -> FREE;
            case SlabTableDescriptor.STATE_SMALL, SlabTableDescriptor.STATE_LARGE_HEAD -> {
                int t = seg.get(Le.U32, e + SlabTableDescriptor.TYPE_ID_OFFSET);
                yield t < 0 ? Integer.MIN_VALUE : t;
            }
            case SlabTableDescriptor.STATE_LARGE_CONT -> CONTINUATION;
            default -> Integer.MIN_VALUE; // no state: the swizzler and the verifier report it
        };
    }

    @Override
    public int slabSpan(int slab) {
        long e = entry(slab);
        if (seg.get(Le.U32, e + SlabTableDescriptor.STATE_OFFSET) == SlabTableDescriptor.STATE_LARGE_HEAD) {
            return seg.get(Le.U32, e + SlabTableDescriptor.SPAN_OFFSET);
        }
        return 1;
    }

    @Override
    public long recordedBaseOffset(int slab) {
        return entry(slab) + SlabTableDescriptor.RECORDED_BASE_OFFSET;
    }

    /** The registered type of a slab in use, or -1 when the registry does not know it. */
    private int knownType(int slab) {
        int t = seg.get(Le.U32, entry(slab) + SlabTableDescriptor.TYPE_ID_OFFSET);
        return t > 0 && t < counts.length && counts[t] > 0 ? t : -1;
    }

    @Override
    public long objectsOffset(int slab) {
        int t = knownType(slab);
        return start(slab) + (t > 0 ? dataOffsets[t]
                : Integer.toUnsignedLong(seg.get(Le.U32, start(slab) + SlabHeaderDescriptor.DATA_OFFSET_OFFSET)));
    }

    @Override
    public long objectSize(int slab) {
        int t = knownType(slab);
        return t > 0 && sizes[t] > 0 ? sizes[t] : seg.get(Le.U64, start(slab) + SlabHeaderDescriptor.OBJECT_SIZE_OFFSET);
    }

    @Override
    public int objectCount(int slab) {
        int t = knownType(slab);
        if (t > 0) {
            return counts[t];
        }
        int n = seg.get(Le.U32, start(slab) + SlabHeaderDescriptor.OBJECT_COUNT_OFFSET);
        int words = seg.get(Le.U32, start(slab) + SlabHeaderDescriptor.BITMAP_WORDS_OFFSET);
        // the bitmap must hold every slot: a header that says otherwise exposes no objects
        return n < 0 || words < 0 || (long) words * 64 < n ? 0 : n;
    }

    @Override
    public boolean isAllocated(int slab, int index) {
        return (allocationBits(slab, index & ~63) & (1L << index)) != 0;
    }

    @Override
    public long allocationBits(int slab, int firstIndex) {
        return seg.get(Le.U64, start(slab) + SlabHeaderDescriptor.bitmapWordOffset(firstIndex));
    }

    @Override
    public PointerMap pointerMap(int typeId) {
        // a type id the registry does not know has no known pointers (the heap refuses such a
        // pool at open; `ferrite check` reports the slab)
        return typeId >= 0 && typeId < maps.length && maps[typeId] != null ? maps[typeId] : PointerMap.NONE;
    }

    @Override
    public boolean targetAccepts(int declaredType, int actualType) {
        return declaredType == anyBlob && actualType >= 0 && actualType < blobs.length && blobs[actualType];
    }

    @Override
    public String typeName(int typeId) {
        if (typeId == UNREGISTERED) {
            return "a type that is not registered (no object of it exists)";
        }
        return typeId >= 0 && typeId < names.length && names[typeId] != null ? names[typeId] : "type #" + typeId;
    }

    @Override
    public String describe() {
        return poolName;
    }
}
