package io.ferrite.pheap;

import io.ferrite.pheap.format.BlobHeaderDescriptor;
import io.ferrite.pheap.format.SlabHeaderDescriptor;
import java.util.concurrent.ConcurrentLinkedQueue;

/** A registered type in one heap: its id, definition, slab geometry and allocation queue. */
final class TypeInfo {
    final int id;
    final String name;
    final PType def;
    final boolean blob;
    /** One object per run of slabs (too big for a shared slab, or the variable blob type). */
    final boolean large;
    final boolean variable;
    final long objectSize;
    final int objectCount;
    final int dataOffset;
    final int bitmapWords;
    /** Blob classes: bytes one object holds. */
    final long blobCapacity;
    /** Slabs of this type with free slots that no thread holds as its current slab. */
    final ConcurrentLinkedQueue<SlabAllocator.SlabState> available = new ConcurrentLinkedQueue<>();

    TypeInfo(int id, PType def, int slabSize) {
        this.id = id;
        this.name = def.name();
        this.def = def;
        this.blob = def.isBlob();
        this.variable = def.name().equals(PType.ANY_BLOB);
        this.objectSize = def.size();
        int count = variable ? 0 : SlabHeaderDescriptor.objectCount(slabSize, objectSize);
        this.large = count == 0;
        this.objectCount = large ? 1 : count;
        this.dataOffset = SlabHeaderDescriptor.dataOffset(objectCount);
        this.bitmapWords = SlabHeaderDescriptor.bitmapWords(objectCount);
        this.blobCapacity = blob && !variable ? BlobHeaderDescriptor.capacity(objectSize) : 0;
    }

    @Override
    public String toString() {
        return name + "#" + id;
    }
}
