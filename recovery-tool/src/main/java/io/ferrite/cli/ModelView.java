package io.ferrite.cli;

import io.ferrite.media.Media;
import io.ferrite.pheap.format.SlabTableDescriptor;
import io.ferrite.swizzle.PointerMap;
import io.ferrite.swizzle.SwizzleView;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * The swizzle module's view of a pool, built by the tool from the descriptors ({@link PoolModel})
 * over a read-only image, so that {@code check} can run swizzle's {@link io.ferrite.swizzle.PointerVerifier}
 * without opening the heap. Slabs whose header did not decode are presented as free (their
 * damage is reported separately). Read-only: {@link #persistPoolBase} refuses.
 *
 * <p>Why not pheap's {@link io.ferrite.pheap.PoolSwizzleView#read}: that view reads the slab
 * headers raw and loads the registry strictly (it throws on a damaged superblock pair or registry),
 * which is right for a heap about to swizzle; {@code check} must go on over a damaged pool, so it
 * presents only what {@link PoolModel} decoded and validated (a slab whose header disagrees with
 * its type is FREE here, not a source of out-of-bounds reads). The two share no geometry code:
 * this one reads decoded fields, that one the descriptors' offsets. The image it reads is the
 * replayed private copy, not {@code media}'s mapping.
 */
final class ModelView implements SwizzleView {
    /** The declared target of a pointer field whose target type is not registered: no type id is 0. */
    static final int UNREGISTERED = 0;
    private final Media media;
    private final MemorySegment seg;
    private final PoolModel m;
    private final Map<Integer, PointerMap> maps = new HashMap<>();
    /** Type id of the variable blob type: as a declared target it accepts every blob type. */
    private final int anyBlob;

    ModelView(Media media, MemorySegment seg, PoolModel m) {
        this.media = media;
        // The pool's bytes only: a file grown past the pool size must not widen what pointers decode to.
        this.seg = seg.asSlice(0, Math.min(seg.byteSize(), m.sb.poolSize()));
        this.m = m;
        PoolModel.Type variable = m.byName.get(PoolModel.ANY_BLOB);
        this.anyBlob = variable == null ? -2 : variable.id();
        for (PoolModel.Type t : m.types) {
            PointerMap.Builder b = PointerMap.builder();
            for (PoolModel.Field f : t.pointers()) {
                // A target that is not registered (types that point to each other are registered one
                // after the other) has no objects: such a field holds only null, it points to no
                // type rather than to any (as pheap's swizzle view declares it).
                PoolModel.Type target = m.target(f.target());
                b.pointer(f.name(), f.offset(), f.target() == null ? PointerMap.ANY_TYPE : target == null ? UNREGISTERED : target.id());
            }
            maps.put(t.id(), b.build());
        }
    }

    @Override
    public boolean targetAccepts(int declaredType, int actualType) {
        PoolModel.Type actual = m.byId.get(actualType);
        return declaredType == anyBlob && actual != null && actual.blob();
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
    public long base() {
        return m.sb.baseAddress();
    }

    @Override
    public long poolBase() {
        return m.sb.baseAddress();
    }

    @Override
    public void persistPoolBase(long base) {
        throw new UnsupportedOperationException("ferrite check works on a read-only image");
    }

    @Override
    public int slabCount() {
        return m.slabs.length;
    }

    @Override
    public long slabsOffset() {
        return m.sb.slabAreaOffset();
    }

    @Override
    public long slabSize() {
        return m.sb.slabSize();
    }

    @Override
    public int slabType(int slab) {
        PoolModel.Slab s = m.slabs[slab];
        if (s.state == SlabTableDescriptor.STATE_LARGE_CONT) {
            return s.head >= 0 && m.slabs[s.head].ok ? CONTINUATION : FREE;
        }
        return s.ok ? s.typeId : FREE;
    }

    @Override
    public int slabSpan(int slab) {
        PoolModel.Slab s = m.slabs[slab];
        return s.state == SlabTableDescriptor.STATE_LARGE_HEAD ? s.span : 1;
    }

    @Override
    public long recordedBaseOffset(int slab) {
        return SlabTableDescriptor.entryOffset(m.sb.slabTableOffset(), slab) + SlabTableDescriptor.RECORDED_BASE_OFFSET;
    }

    @Override
    public long objectsOffset(int slab) {
        PoolModel.Slab s = m.slabs[slab];
        return s.start + s.dataOffset;
    }

    @Override
    public long objectSize(int slab) {
        return m.slabs[slab].objectSize;
    }

    @Override
    public int objectCount(int slab) {
        return m.slabs[slab].count;
    }

    @Override
    public boolean isAllocated(int slab, int index) {
        return m.slabs[slab].allocated(index);
    }

    @Override
    public long allocationBits(int slab, int firstIndex) {
        return m.slabs[slab].bits[firstIndex >>> 6];
    }

    @Override
    public PointerMap pointerMap(int typeId) {
        return maps.getOrDefault(typeId, PointerMap.NONE);
    }

    @Override
    public String typeName(int typeId) {
        if (typeId == UNREGISTERED) {
            return "a type that is not registered (no object of it exists)";
        }
        PoolModel.Type t = m.byId.get(typeId);
        return t == null ? "type " + typeId : t.name();
    }

    @Override
    public String describe() {
        return String.valueOf(media.path());
    }
}
