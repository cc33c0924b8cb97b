package io.ferrite.pheap;

import io.ferrite.media.Media;
import io.ferrite.media.MediaFullException;
import io.ferrite.pheap.format.SlabTableDescriptor;
import io.ferrite.pheap.format.Superblock;
import java.lang.foreign.MemorySegment;

/**
 * Makes a pool larger in place: more of the file mapped at the addresses that follow (the
 * address space was reserved at open, so no pointer moves), then more slabs in the superblock.
 *
 * <p>Crash safety, in this order: (1) the file is extended and its new length made durable, and
 * the new range mapped ({@link Media#grow}); (2) the slab table entries of the new slabs are
 * zeroed and persisted (they are zero already unless something wrote past the recorded size:
 * slabs beyond the recorded size are ignored, and this makes sure they start free); (3) the
 * superblock with the new pool size and slab count is written and persisted, last. A crash before
 * (3) leaves the old size in force (a longer file is accepted; its tail is unused); after (3), the
 * new one. No slab beyond the old size is handed out before (3) is durable, so no redo record can
 * name one while the old size is in force.
 *
 * <p>Threading: called by the allocator with its lock held, so growths are serialized; the
 * superblock write goes through the heap's superblock lock like every other. Durability: durable
 * on return.
 */
final class PoolGrowth implements SlabAllocator.Grower {
    private static final System.Logger LOG = System.getLogger("io.ferrite.pheap");

    private final Heap heap;
    private final Media media;
    private final MemorySegment seg;
    private final Replay applier;
    private final long maxSize;
    private final HeapOptions options;

    PoolGrowth(Heap heap, Media media, MemorySegment seg, Replay applier, long maxSize, HeapOptions options) {
        this.heap = heap;
        this.media = media;
        this.seg = seg;
        this.applier = applier;
        this.maxSize = maxSize;
        this.options = options;
    }

    /** The largest size this pool can reach in this mapping. */
    long maxSize() {
        return maxSize;
    }

    @Override
    public int grow(int slabCount, int slabsNeeded) {
        Superblock sb = heap.superblock();
        long size = sb.poolSize();
        long maxSlabs = Math.min(sb.maxSlabs(), (maxSize - sb.slabAreaOffset()) / sb.slabSize());
        if (slabCount >= maxSlabs) {
            return slabCount;
        }
        long step = Math.max(options.growthStep(size), (long) slabsNeeded * sb.slabSize());
        long want = (size - sb.slabAreaOffset() + step + sb.slabSize() - 1) / sb.slabSize();
        int newCount = (int) Math.min(maxSlabs, Math.max(want, slabCount + (long) slabsNeeded));
        int least = (int) Math.min(maxSlabs, slabCount + (long) slabsNeeded);
        try {
            return growTo(slabCount, newCount, "the allocator ran out of free slabs");
        } catch (HeapFullException e) {
            if (least >= newCount) {
                throw e;
            }
            // no room for a whole step: the slabs this allocation needs may still fit
            return growTo(slabCount, least, "the allocator ran out of free slabs; no room for a full step");
        }
    }

    /** Grows the pool to at least {@code bytes} (rounded up to whole slabs, at most the maximum); returns the new slab count. */
    int growToSize(int slabCount, long bytes) {
        Superblock sb = heap.superblock();
        long maxSlabs = Math.min(sb.maxSlabs(), (maxSize - sb.slabAreaOffset()) / sb.slabSize());
        long want = (bytes - sb.slabAreaOffset() + sb.slabSize() - 1) / sb.slabSize();
        if (want > maxSlabs) {
            throw new IllegalArgumentException(String.format("pool %s cannot grow to %,d bytes: its maximum is %,d", heap.name(),
                    bytes, sb.sizeForSlabs(maxSlabs)));
        }
        return want <= slabCount ? slabCount : growTo(slabCount, (int) want, "asked for");
    }

    private int growTo(int slabCount, int newCount, String why) {
        Superblock sb = heap.superblock();
        long oldSize = sb.poolSize();
        long newSize = sb.sizeForSlabs(newCount);
        try {
            if (media.size() < newSize) {
                media.grow(newSize);
            }
        } catch (MediaFullException e) {
            throw new HeapFullException(String.format("heap full: pool %s cannot grow from %,d to %,d bytes: %s (the pool"
                    + " keeps %,d bytes)", heap.name(), oldSize, newSize, e.getMessage(), oldSize), newSize - oldSize,
                    0, slabCount);
        }
        long from = SlabTableDescriptor.entryOffset(sb.slabTableOffset(), slabCount);
        long to = SlabTableDescriptor.entryOffset(sb.slabTableOffset(), newCount);
        seg.asSlice(from, to - from).fill((byte) 0);
        media.persist(from, to - from);
        // from the copy in force, not the one read above: a checkpoint may have moved the
        // checkpoint LSN (and reclaimed the log behind it) meanwhile
        heap.updateSuperblock(cur -> cur.nextWithSize(newSize, newCount));
        applier.limit(newSize);
        LOG.log(System.Logger.Level.INFO, () -> String.format("%s: grew from %,d to %,d bytes (%d to %d slabs, maximum %,d): %s",
                heap.name(), oldSize, newSize, slabCount, newCount, maxSize, why));
        return newCount;
    }
}
