package io.ferrite.pheap;

import io.ferrite.pheap.format.PoolValidation;
import io.ferrite.pheap.format.Superblock;
import java.lang.foreign.MemorySegment;

/**
 * What a heap keeps in DRAM about its pool: the type registry and the slab allocator, loaded from
 * the pool (registry region, slab table, bitmaps) after replay, and, on a replica, loaded again
 * before the first read after records were applied to it.
 *
 * <p>Threading: {@link #registry()} and {@link #allocator()} are volatile reads, safe from any
 * thread; {@link #applyReplicated} and the reload it calls for are serialized under one lock, and
 * a reload swaps both in (a reader holding the old ones reads the pool as it was then). Nothing
 * here is durable: it is rebuilt from the pool at every open.
 */
final class DramState {
    private final MemorySegment seg;
    private final Superblock geometry;
    private final String poolName;
    private final long maxSlabs;
    private final SlabAllocator.Grower grower;
    private volatile TypeRegistry registry;
    private volatile SlabAllocator allocator;
    /** Serializes replicated applies and the reload they make due. */
    private final Object lock = new Object();
    /** A replicated apply changed the pool since the registry and allocator were loaded. */
    private volatile boolean stale;

    /** @param geometry a superblock of the pool (only its geometry is used, which never changes) */
    DramState(MemorySegment seg, Superblock geometry, String poolName) {
        this(seg, geometry, poolName, geometry.slabCount(), null);
    }

    /**
     * @param seg the pool, possibly reaching into the address space reserved for growth
     * @param maxSlabs slabs of the largest the pool may grow to
     * @param grower how the allocator adds slabs; null: the pool keeps its size
     */
    DramState(MemorySegment seg, Superblock geometry, String poolName, long maxSlabs, SlabAllocator.Grower grower) {
        this.seg = seg;
        this.geometry = geometry;
        this.poolName = poolName;
        this.maxSlabs = maxSlabs;
        this.grower = grower;
        this.registry = newRegistry();
        this.allocator = new SlabAllocator(seg, geometry, poolName, maxSlabs, grower);
    }

    private TypeRegistry newRegistry() {
        // the registry lies in the metadata at the pool's start: it never needs the grown part
        return new TypeRegistry(seg.asSlice(0, geometry.poolSize()), geometry.registryOffset(), geometry.registryLength(),
                geometry.slabSize(), poolName);
    }

    TypeRegistry registry() {
        return registry;
    }

    SlabAllocator allocator() {
        return allocator;
    }

    /** Loads the registry and rebuilds the allocator from the pool, checks the root; returns the live objects. Once, at open. */
    long load() {
        return load(registry, allocator);
    }

    private long load(TypeRegistry reg, SlabAllocator alloc) {
        reg.load();
        long live = alloc.rebuild(reg);
        String rootProblem = PoolValidation.rootProblem(seg, geometry, reg.rootTypeId(), reg.rootOffset());
        if (rootProblem != null) {
            throw new PoolCorruptedException("type registry of pool " + poolName + ": " + rootProblem,
                    "run `ferrite check " + poolName + "`");
        }
        return live;
    }

    /** Applies a primary's record with {@code applier}; the next read reloads the registry and allocator. */
    int applyReplicated(Replay applier, long lsn, MemorySegment record, long offset, int length) {
        synchronized (lock) {
            int ops = applier.apply(lsn, record, offset, length);
            stale = true;
            return ops;
        }
    }

    /** Before a read of a replica: the registry and allocator as of the last applied record. One volatile read otherwise. */
    void reloadIfStale() {
        if (!stale) {
            return;
        }
        synchronized (lock) {
            if (!stale) {
                return;
            }
            TypeRegistry reg = newRegistry();
            SlabAllocator alloc = new SlabAllocator(seg, geometry, poolName, maxSlabs, grower);
            load(reg, alloc);
            registry = reg;
            allocator = alloc;
            stale = false;
        }
    }
}
