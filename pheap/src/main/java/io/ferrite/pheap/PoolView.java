package io.ferrite.pheap;

import io.ferrite.pheap.format.Le;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A read-only view of an open heap's pool memory, for readers that walk objects outside a
 * transaction (the object store's lookups under a read lock or an optimistic stamp): words and
 * bytes at a pool offset, the slab area's bounds, and the conversion between the absolute
 * addresses that pointer fields hold and pool offsets. It cannot write, and it does not expose the
 * media, the log or the superblock.
 *
 * <p>Threading: any thread. It reads the applied pool as it is at the moment of the read; making
 * such reads consistent (locks, validation after the read) is the caller's business. Durability:
 * none, it never writes. Valid until the heap is closed; a read after that fails.
 */
public final class PoolView {
    private final MemorySegment segment;
    private final long baseAddress;
    private final long slabAreaOffset;
    private final java.util.function.LongSupplier poolSize;
    private final String poolName;

    PoolView(MemorySegment pool, long baseAddress, long slabAreaOffset, String poolName, java.util.function.LongSupplier poolSize) {
        this.segment = pool.asReadOnly();
        this.baseAddress = baseAddress;
        this.slabAreaOffset = slabAreaOffset;
        this.poolSize = poolSize;
        this.poolName = poolName;
    }

    /** The view of {@code heap}'s pool. */
    public static PoolView of(Heap heap) {
        return new PoolView(heap.segment(), heap.baseAddress(), heap.superblock().slabAreaOffset(),
                heap.path() == null ? "<memory pool " + heap.poolId() + ">" : heap.path().toString(), heap::poolSize);
    }

    /**
     * The pool's bytes, read-only, pool offset 0 first (for readers whose loops read words
     * themselves; a write through it throws). A pool that can grow gives a segment over its whole
     * reserved range, of which only [0, {@link #poolSize()}) is mapped: check offsets against
     * {@link #poolSize()}, not the segment's size.
     */
    public MemorySegment segment() {
        return segment;
    }

    /** The little-endian u64 at {@code poolOffset} (8-byte aligned). */
    public long getLong(long poolOffset) {
        return segment.get(Le.U64, poolOffset);
    }

    /** The little-endian u32 at {@code poolOffset} (4-byte aligned). */
    public int getInt(long poolOffset) {
        return segment.get(Le.U32, poolOffset);
    }

    /** {@code length} bytes from {@code poolOffset}. */
    public byte[] getBytes(long poolOffset, int length) {
        byte[] b = new byte[length];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, poolOffset, b, 0, length);
        return b;
    }

    /** The base address the pool's pointers assume (the mapping's, once open). */
    public long baseAddress() {
        return baseAddress;
    }

    /** The pool offset an absolute address (a pointer field's value) stands for; not range-checked. */
    public long offsetOf(long address) {
        return address - baseAddress;
    }

    /** The absolute address of {@code poolOffset}, as a pointer field holds it. */
    public long addressOf(long poolOffset) {
        return baseAddress + poolOffset;
    }

    /** First pool offset of the slab area: every object lies in [slabAreaOffset, poolSize). */
    public long slabAreaOffset() {
        return slabAreaOffset;
    }

    /** The pool's size in bytes now (the superblock's, not the file's, which may be longer); it grows, never shrinks. */
    public long poolSize() {
        return poolSize.getAsLong();
    }

    /** The pool file, or a name for an in-memory pool, for messages. */
    public String poolName() {
        return poolName;
    }
}
