package io.ferrite.pheap.format;

import static io.ferrite.pheap.format.Le.U32;
import static io.ferrite.pheap.format.Le.U64;
import static io.ferrite.pheap.format.SuperblockDescriptor.*;

import io.ferrite.pmlog.LogHeaderDescriptor;
import java.lang.foreign.MemorySegment;
import java.util.UUID;

/**
 * One decoded superblock copy (see {@link SuperblockDescriptor}). Immutable: updates make a copy
 * with {@code with*} and {@link #write} it into the other slot.
 */
public record Superblock(
        int formatVersion,
        int flags,
        long sequence,
        UUID poolId,
        long poolSize,
        int slabSize,
        int slabCount,
        long registryOffset,
        long registryLength,
        long slabTableOffset,
        long slabTableLength,
        long logOffset,
        long logLength,
        long slabAreaOffset,
        long baseAddress,
        long checkpointLsn,
        long term,
        long created,
        long maxPoolSize) {

    /** A superblock of a pool that cannot grow (maximum pool size 0: the pool size). */
    public Superblock(int formatVersion, int flags, long sequence, UUID poolId, long poolSize, int slabSize, int slabCount,
            long registryOffset, long registryLength, long slabTableOffset, long slabTableLength, long logOffset,
            long logLength, long slabAreaOffset, long baseAddress, long checkpointLsn, long term, long created) {
        this(formatVersion, flags, sequence, poolId, poolSize, slabSize, slabCount, registryOffset, registryLength,
                slabTableOffset, slabTableLength, logOffset, logLength, slabAreaOffset, baseAddress, checkpointLsn, term,
                created, 0);
    }

    /** The size this pool may grow to: the recorded maximum, or the pool size when none is recorded. */
    public long maxSize() {
        return maxPoolSize == 0 ? poolSize : maxPoolSize;
    }

    /** Slabs a pool of {@link #maxSize()} would hold. */
    public long maxSlabs() {
        return Math.max(slabCount, (maxSize() - slabAreaOffset) / slabSize);
    }

    /** The pool size of {@code count} slabs: the slab area's end. */
    public long sizeForSlabs(long count) {
        return slabAreaOffset + count * slabSize;
    }

    /** The next copy (sequence + 1) of a pool grown to {@code newSize} bytes and {@code newSlabCount} slabs. */
    public Superblock nextWithSize(long newSize, int newSlabCount) {
        return new Superblock(formatVersion, flags, sequence + 1, poolId, newSize, slabSize, newSlabCount, registryOffset,
                registryLength, slabTableOffset, slabTableLength, logOffset, logLength, slabAreaOffset, baseAddress,
                checkpointLsn, term, created, maxPoolSize);
    }

    /**
     * This copy as the successor of {@code current}: sequence {@code current + 1}, and never a
     * smaller pool than {@code current}'s (a writer that computed its copy before a growth must
     * not undo it).
     */
    public Superblock after(Superblock current) {
        boolean grew = current.poolSize > poolSize;
        return new Superblock(formatVersion, flags, current.sequence + 1, poolId, grew ? current.poolSize : poolSize,
                slabSize, grew ? current.slabCount : slabCount, registryOffset, registryLength, slabTableOffset,
                slabTableLength, logOffset, logLength, slabAreaOffset, baseAddress, checkpointLsn, term, created,
                maxPoolSize);
    }

    /** Why a slot does not hold a usable superblock, or null when it does. */
    public static String problem(MemorySegment seg, long slot) {
        if (seg.byteSize() < slot + LENGTH) {
            return "too short";
        }
        long magic = seg.get(U64, slot + MAGIC_OFFSET);
        if (magic != MAGIC) {
            return magic == 0 ? "empty (no magic)" : String.format("bad magic 0x%016x", magic);
        }
        int crc = seg.get(U32, slot + CRC_OFFSET);
        int want = computeCrc(seg, slot);
        if (crc != want) {
            return String.format("CRC32C mismatch (stored 0x%08x, computed 0x%08x)", crc, want);
        }
        return null;
    }

    public static Superblock read(MemorySegment seg, long slot) {
        return new Superblock(
                seg.get(U32, slot + FORMAT_VERSION_OFFSET),
                seg.get(U32, slot + FLAGS_OFFSET),
                seg.get(U64, slot + SEQUENCE_OFFSET),
                new UUID(seg.get(U64, slot + UUID_MSB_OFFSET), seg.get(U64, slot + UUID_LSB_OFFSET)),
                seg.get(U64, slot + POOL_SIZE_OFFSET),
                seg.get(U32, slot + SLAB_SIZE_OFFSET),
                seg.get(U32, slot + SLAB_COUNT_OFFSET),
                seg.get(U64, slot + REGISTRY_OFFSET_OFFSET),
                seg.get(U64, slot + REGISTRY_LENGTH_OFFSET),
                seg.get(U64, slot + SLAB_TABLE_OFFSET_OFFSET),
                seg.get(U64, slot + SLAB_TABLE_LENGTH_OFFSET),
                seg.get(U64, slot + LOG_OFFSET_OFFSET),
                seg.get(U64, slot + LOG_LENGTH_OFFSET),
                seg.get(U64, slot + SLAB_AREA_OFFSET_OFFSET),
                seg.get(U64, slot + BASE_ADDRESS_OFFSET),
                seg.get(U64, slot + CHECKPOINT_LSN_OFFSET),
                seg.get(U64, slot + TERM_OFFSET),
                seg.get(U64, slot + CREATED_OFFSET),
                seg.get(U64, slot + MAX_POOL_SIZE_OFFSET));
    }

    /** Writes this copy into {@code slot} with its CRC; the caller persists the slot. */
    public void write(MemorySegment seg, long slot) {
        seg.asSlice(slot, LENGTH).fill((byte) 0);
        seg.set(U64, slot + MAGIC_OFFSET, MAGIC);
        seg.set(U32, slot + FORMAT_VERSION_OFFSET, formatVersion);
        seg.set(U32, slot + FLAGS_OFFSET, flags);
        seg.set(U64, slot + SEQUENCE_OFFSET, sequence);
        seg.set(U64, slot + UUID_MSB_OFFSET, poolId.getMostSignificantBits());
        seg.set(U64, slot + UUID_LSB_OFFSET, poolId.getLeastSignificantBits());
        seg.set(U64, slot + POOL_SIZE_OFFSET, poolSize);
        seg.set(U32, slot + SLAB_SIZE_OFFSET, slabSize);
        seg.set(U32, slot + SLAB_COUNT_OFFSET, slabCount);
        seg.set(U64, slot + REGISTRY_OFFSET_OFFSET, registryOffset);
        seg.set(U64, slot + REGISTRY_LENGTH_OFFSET, registryLength);
        seg.set(U64, slot + SLAB_TABLE_OFFSET_OFFSET, slabTableOffset);
        seg.set(U64, slot + SLAB_TABLE_LENGTH_OFFSET, slabTableLength);
        seg.set(U64, slot + LOG_OFFSET_OFFSET, logOffset);
        seg.set(U64, slot + LOG_LENGTH_OFFSET, logLength);
        seg.set(U64, slot + SLAB_AREA_OFFSET_OFFSET, slabAreaOffset);
        seg.set(U64, slot + BASE_ADDRESS_OFFSET, baseAddress);
        seg.set(U64, slot + CHECKPOINT_LSN_OFFSET, checkpointLsn);
        seg.set(U64, slot + TERM_OFFSET, term);
        seg.set(U64, slot + CREATED_OFFSET, created);
        seg.set(U64, slot + MAX_POOL_SIZE_OFFSET, maxPoolSize);
        seg.set(U32, slot + CRC_OFFSET, computeCrc(seg, slot));
    }

    public boolean cleanClose() {
        return (flags & FLAG_CLEAN_CLOSE) != 0;
    }

    /** The next copy: sequence + 1 and the given checkpoint LSN and clean-close flag. */
    public Superblock next(long newCheckpointLsn, boolean clean) {
        int f = clean ? flags | FLAG_CLEAN_CLOSE : flags & ~FLAG_CLEAN_CLOSE;
        return new Superblock(formatVersion, f, sequence + 1, poolId, poolSize, slabSize, slabCount,
                registryOffset, registryLength, slabTableOffset, slabTableLength, logOffset, logLength,
                slabAreaOffset, baseAddress, newCheckpointLsn, term, created, maxPoolSize);
    }

    /** Pool offset of slab {@code index}. */
    public long slabOffset(int index) {
        return slabAreaOffset + (long) index * slabSize;
    }

    /**
     * Checks that the regions are in order, each ends inside the pool, the slab area holds as many
     * slabs as fit before the pool's end, the slab size is a power of two and the recorded base is
     * a positive, page-aligned address that leaves room for the pool below 2^63; null when all hold, else what
     * is wrong (with the values). The one check of a superblock's geometry: the heap's open and
     * every {@code ferrite} command call it. The sums are overflow-checked: a hostile superblock
     * whose region ends wrap past 2^63 is refused, not taken for a small pool.
     */
    public String geometryProblem() {
        if (slabSize < 4096 || Integer.bitCount(slabSize) != 1) {
            return "slab size " + Integer.toUnsignedString(slabSize) + " is not a power of two >= 4096";
        }
        String regions = String.format("registry %d+%d, slab table %d+%d, log %d+%d, slabs %d+%s×%d, pool size %d",
                registryOffset, registryLength, slabTableOffset, slabTableLength, logOffset, logLength, slabAreaOffset,
                Integer.toUnsignedString(slabCount), slabSize, poolSize);
        if (slabCount <= 0) {
            return "slab count " + Integer.toUnsignedString(slabCount) + " is not in [1, 2^31): " + regions;
        }
        try {
            long registryEnd = Math.addExact(registryOffset, registryLength);
            long tableEnd = Math.addExact(slabTableOffset, slabTableLength);
            long logEnd = Math.addExact(logOffset, logLength);
            long slabsEnd = Math.addExact(slabAreaOffset, Math.multiplyExact((long) slabCount, slabSize));
            if (registryOffset < 2L * SLOT_LENGTH || registryLength < TypeRegistryDescriptor.HEADER_LENGTH
                    || slabTableOffset < registryEnd
                    || slabTableLength < (long) slabCount * SlabTableDescriptor.ENTRY_LENGTH
                    || logOffset < tableEnd || logLength <= 0
                    || slabAreaOffset < logEnd || slabsEnd > poolSize) {
                return "regions out of order or outside the pool: " + regions;
            }
            // the slab count is fixed at creation: as many slabs as fit before the pool's end
            // (layout); fewer would leave slabs in use outside the slab area
            if (poolSize - slabsEnd >= slabSize) {
                return "slab count " + slabCount + " ends the slab area " + (poolSize - slabsEnd) + " bytes before the pool's"
                        + " end, but a pool has as many slabs as fit (" + (poolSize - slabAreaOffset) / slabSize + "): " + regions;
            }
            if (maxPoolSize != 0) {
                long maxSlabs = (maxPoolSize - slabAreaOffset) / slabSize;
                if (maxPoolSize < poolSize || maxPoolSize % 4096 != 0
                        || slabTableLength < Math.multiplyExact(maxSlabs, SlabTableDescriptor.ENTRY_LENGTH)
                        || maxSlabs > Integer.MAX_VALUE) {
                    return "maximum pool size " + maxPoolSize + " is below the pool size, not page aligned, or needs more"
                            + " than the slab table's " + slabTableLength / SlabTableDescriptor.ENTRY_LENGTH + " entries ("
                            + maxSlabs + " slabs): " + regions;
                }
            }
        } catch (ArithmeticException e) {
            return "region ends overflow 64 bits: " + regions;
        }
        // what the readers of each region rely on: aligned u64 words in the registry and slab table,
        // the log's own alignment and smallest ring, page-aligned slabs
        if ((registryOffset | registryLength | slabTableOffset) % 8 != 0 || logOffset % 64 != 0
                || logLength < LogHeaderDescriptor.regionLength(LogHeaderDescriptor.MIN_CAPACITY)
                || (logLength - LogHeaderDescriptor.regionLength(0)) % LogHeaderDescriptor.CAPACITY_ALIGNMENT != 0
                || slabAreaOffset % 4096 != 0) {
            return "regions not aligned (registry and slab table to 8 bytes, log offset to 64 with a ring of a multiple"
                    + " of 64 and at least " + LogHeaderDescriptor.MIN_CAPACITY + " bytes, slab area to 4096): " + regions;
        }
        // the base is recorded after the pool is first mapped (there is no 'never mapped' 0), and
        // every slab's recorded base, which replay and the swizzle store, must be able to hold it
        if (!PoolValidation.baseFits(baseAddress, maxSize())) {
            return String.format("base address 0x%x is not a positive, page-aligned address with room for the pool's %d bytes below"
                    + " 2^63", baseAddress, poolSize);
        }
        return null;
    }

    /** {@link #geometryProblem()}, and the pool must fit in a file of {@code fileSize} bytes. */
    public String geometryProblem(long fileSize) {
        String g = geometryProblem();
        if (g == null && fileSize < poolSize) {
            return "the file is " + fileSize + " bytes but the pool size is " + poolSize + " (truncated?)";
        }
        return g;
    }

    /**
     * Lays out a new pool: superblocks, registry, slab table, log, then the slab area aligned to
     * {@code slabAlignment}. Throws {@link IllegalArgumentException} naming the sizes when the pool
     * is too small to hold one slab.
     */
    public static Superblock layout(UUID poolId, long poolSize, int slabSize, long registryLength, long logLength,
            long slabAlignment, long created) {
        return layout(poolId, poolSize, 0, slabSize, registryLength, logLength, slabAlignment, created);
    }

    /**
     * {@link #layout(UUID, long, int, long, long, long, long)} of a pool that may grow to {@code
     * maxPoolSize} bytes (0: it cannot grow): the slab table has an entry for every slab of the
     * maximum, so growth adds slabs without moving any metadata.
     */
    public static Superblock layout(UUID poolId, long poolSize, long maxPoolSize, int slabSize, long registryLength,
            long logLength, long slabAlignment, long created) {
        if (maxPoolSize != 0 && (maxPoolSize < poolSize || maxPoolSize % 4096 != 0 || poolSize % 4096 != 0)) {
            throw new IllegalArgumentException(String.format("maximum pool size %,d must be at least the size %,d, and both"
                    + " multiples of 4096", maxPoolSize, poolSize));
        }
        long registryOffset = 2L * SLOT_LENGTH;
        long slabTableOffset = registryOffset + registryLength;
        long maxSlabs = Math.max(1, Math.max(poolSize, maxPoolSize) / slabSize);
        long slabTableLength = alignUp(maxSlabs * SlabTableDescriptor.ENTRY_LENGTH, 4096);
        long logOffset = slabTableOffset + slabTableLength;
        long slabAreaOffset = alignUp(logOffset + logLength, slabAlignment);
        long slabCount = (poolSize - slabAreaOffset) / slabSize;
        if (poolSize <= slabAreaOffset || slabCount < 1) {
            throw new IllegalArgumentException(String.format("pool size %,d is too small: the metadata and log take %,d bytes"
                    + " (slab area aligned to %,d) and one slab needs %,d more; make it at least %,d or the log smaller",
                    poolSize, slabAreaOffset, slabAlignment, slabSize, slabAreaOffset + slabSize));
        }
        if (slabCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("pool size " + poolSize + " needs " + slabCount + " slabs; use a larger slab size");
        }
        if (maxSlabs > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("maximum pool size " + maxPoolSize + " needs " + maxSlabs
                    + " slabs; use a larger slab size");
        }
        return new Superblock(FORMAT_VERSION, 0, 1, poolId, poolSize, slabSize, (int) slabCount, registryOffset,
                registryLength, slabTableOffset, slabTableLength, logOffset, logLength, slabAreaOffset, 0, 0, 0, created,
                maxPoolSize == poolSize ? 0 : maxPoolSize);
    }

    /** The next copy (sequence + 1) with another term. */
    public Superblock nextWithTerm(long newTerm) {
        return new Superblock(formatVersion, flags, sequence + 1, poolId, poolSize, slabSize, slabCount, registryOffset,
                registryLength, slabTableOffset, slabTableLength, logOffset, logLength, slabAreaOffset, baseAddress,
                checkpointLsn, newTerm, created, maxPoolSize);
    }

    /** The next copy (sequence + 1) whose pointers assume {@code newBase} (swizzling's pool base). */
    public Superblock nextWithBase(long newBase) {
        return new Superblock(formatVersion, flags, sequence + 1, poolId, poolSize, slabSize, slabCount, registryOffset,
                registryLength, slabTableOffset, slabTableLength, logOffset, logLength, slabAreaOffset, newBase,
                checkpointLsn, term, created, maxPoolSize);
    }

    public Superblock withBaseAndCheckpoint(long base, long cpLsn) {
        return new Superblock(formatVersion, flags, sequence, poolId, poolSize, slabSize, slabCount, registryOffset,
                registryLength, slabTableOffset, slabTableLength, logOffset, logLength, slabAreaOffset, base, cpLsn,
                term, created, maxPoolSize);
    }

    public static long alignUp(long v, long a) {
        return (v + a - 1) / a * a;
    }
}
