package io.ferrite.pheap;

/** Slab states for the allocator tests: DRAM state only, as the allocator keeps it (no pool needed). */
final class Slabs {
    static final PType TYPE = PType.builder("stress.Slot").int64("v").build();

    private Slabs() {
    }

    /**
     * A small slab of {@code count} 8-byte slots with its own type entry (so that a release that
     * queues the slab queues it on this state's list only).
     */
    static SlabAllocator.SlabState slab(int count) {
        TypeInfo t = new TypeInfo(1, TYPE, 1 << 16);
        return new SlabAllocator.SlabState(0, t, 0, 0, 8, count);
    }
}
