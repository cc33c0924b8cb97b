package io.ferrite.pheap;

import io.ferrite.FerriteException;
import io.ferrite.media.FlushBackend;
import io.ferrite.media.Media;
import io.ferrite.media.MediaOptions;
import io.ferrite.pheap.format.Le;
import io.ferrite.pheap.format.SlabTableDescriptor;
import io.ferrite.pheap.format.Superblock;
import io.ferrite.pheap.format.SuperblockDescriptor;
import io.ferrite.pmlog.PmLog;
import io.ferrite.pmlog.PmLogOptions;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * The pool file before there is a heap: where a new pool asks to be mapped, how an open maps an
 * existing one, formatting a new pool's regions, and probing a file's superblocks without mapping
 * it (errors name the path and the {@code ferrite} command that helps).
 *
 * <p>Threading: stateless; every method works on what it is given. Durability: {@link #format}
 * persists the registry, the log's header and both superblocks before it returns; the others
 * write nothing.
 */
final class PoolFiles {
    /** Header bytes read before mapping, to validate a file and learn its recorded base. */
    private static final int PROBE_LENGTH = 2 * SuperblockDescriptor.SLOT_LENGTH;
    private static final long CREATE_HINT_BASE = 0x2000_0000_0000L;

    private PoolFiles() {
    }

    /**
     * Where a new pool asks to be mapped: a random 1 GiB-aligned address in [32 TiB, 48 TiB), far
     * below where the kernel puts thread stacks, malloc arenas and other mappings (top-down from
     * the mmap base), so that the range is still free when the pool is opened again, even in the
     * same process. If it is taken, the kernel chooses (the hint is not required at create).
     */
    static long createAddressHint() {
        String p = System.getProperty(Heap.CREATE_HINT_PROP_NAME);
        if (p != null) {
            return Long.decode(p);
        }
        return CREATE_HINT_BASE + (java.util.concurrent.ThreadLocalRandom.current().nextLong(16 * 1024) << 30);
    }

    /**
     * How an open maps the pool: at the address hint (the recorded base unless the options name
     * another), or, with forceRelocation, anywhere but the recorded base. Never required: where
     * the mapping lands, recovery swizzles.
     */
    static MediaOptions mapOptions(HeapOptions o, long recordedBase, long size) {
        return mapOptions(o, recordedBase, size, size);
    }

    /** {@link #mapOptions(HeapOptions, long, long)} reserving {@code maxSize} bytes of address space for growth. */
    static MediaOptions mapOptions(HeapOptions o, long recordedBase, long size, long maxSize) {
        MediaOptions mo = o.mediaOptions().copy();
        if (mo.backend() == FlushBackend.JDK_SYNC) {
            return mo; // maps where the JDK chooses, and reserves nothing: the pool opens at its size and does not grow
        }
        if (maxSize > size) {
            mo.maxSize(maxSize);
            size = maxSize;
        }
        long hint = o.addressHint() != 0 ? o.addressHint() : recordedBase;
        if (o.forceRelocation() && recordedBase > 0) {
            if (hint == recordedBase) {
                hint = 0;
            }
            // keep the recorded range off limits, unless the hint asks for a range that overlaps it
            if (hint == 0 || hint + size <= recordedBase || recordedBase + size <= hint) {
                mo.avoidAddress(recordedBase);
            }
        }
        return mo.addressHint(hint);
    }

    /**
     * The size a pool created without one starts at: {@link HeapOptions#GROWABLE_INITIAL_SIZE_DEFAULT},
     * doubled while the metadata sized for the maximum (the slab table) and the log leave fewer
     * than 8 slabs; at most the maximum.
     */
    static long initialSize(HeapOptions o) {
        long size = Math.min(HeapOptions.GROWABLE_INITIAL_SIZE_DEFAULT, o.maxSize());
        for (int i = 0; i < 40 && size < o.maxSize(); i++, size = Math.min(o.maxSize(), size * 2)) {
            try {
                Superblock sb = Superblock.layout(new UUID(0, 0), size, o.maxSize(), o.slabSize(), o.registryLength(),
                        PmLog.regionLength(o.logCapacityFor(size)), HeapOptions.SLAB_AREA_ALIGNMENT, 0);
                if (sb.slabCount() >= 8) {
                    return size;
                }
            } catch (IllegalArgumentException e) {
                // too small: double
            }
        }
        return size;
    }

    /** Lays out and formats a pool in zero-filled {@code media}: regions, registry, log, both superblocks. */
    static Superblock format(Media media, HeapOptions o) {
        long size = media.size();
        long logRegion = PmLog.regionLength(o.logCapacityFor(size));
        Superblock sb;
        try {
            long max = o.maxSize() == 0 ? 0 : Math.min(o.maxSize(), media.maxSize());
            if (o.maxSize() != 0 && max < o.maxSize()) {
                throw new IllegalArgumentException(String.format("the media reserves %,d bytes, less than maxSize %,d",
                        media.maxSize(), o.maxSize()));
            }
            sb = Superblock.layout(UUID.randomUUID(), size, max, o.slabSize(), o.registryLength(), logRegion,
                    HeapOptions.SLAB_AREA_ALIGNMENT, System.currentTimeMillis());
        } catch (IllegalArgumentException e) {
            throw new FerriteException("cannot create pool " + media.path() + ": " + e.getMessage(), "choose a larger size", e);
        }
        MemorySegment seg = media.segment();
        // the slab table's entries past the first slabs stay untouched: zero in the new file, and
        // sparse on disk until growth gives their slabs out
        long tableUsed = Math.min(sb.logOffset(), Superblock.alignUp(SlabTableDescriptor.entryOffset(sb.slabTableOffset(),
                sb.slabCount()), 4096));
        seg.asSlice(0, tableUsed).fill((byte) 0);
        seg.asSlice(sb.slabTableOffset() + sb.slabTableLength(), sb.logOffset() - sb.slabTableOffset() - sb.slabTableLength())
                .fill((byte) 0);
        TypeRegistry.format(seg, sb.registryOffset(), sb.registryLength(), sb.slabSize());
        long cp;
        try (PmLog log = PmLog.format(media, sb.logOffset(), sb.logLength(), logOptions(null, o, sb))) {
            cp = log.tailLsn();
        }
        media.persist(sb.registryOffset(), tableUsed - sb.registryOffset());
        sb = sb.withBaseAndCheckpoint(media.baseAddress(), cp);
        sb.write(seg, SuperblockDescriptor.A_OFFSET);
        media.persist(0, 2L * SuperblockDescriptor.SLOT_LENGTH);
        return sb;
    }

    /** The log's options for a pool: record size from its capacity, the heap's full policy; {@code onFull} may be null. */
    static PmLogOptions logOptions(Runnable onFull, HeapOptions o, Superblock sb) {
        long capacity = sb.logLength() - PmLog.regionLength(0);
        PmLogOptions lo = PmLogOptions.defaults()
                .maxRecordSize((int) Math.min(Integer.MAX_VALUE - 64, (capacity / 2 - 64) & ~63L))
                .fullPolicy(o.logFullPolicy() == HeapOptions.LogFullPolicy.FAIL ? PmLogOptions.FullPolicy.FAIL
                        : PmLogOptions.FullPolicy.WAIT)
                .fullWaitTimeout(o.logFullTimeout());
        if (onFull != null) {
            lo.onFull(onFull);
        }
        return lo;
    }

    /** Reads the superblocks of a file without mapping it; errors name the path and `ferrite check`. */
    static Superblock probe(Path path) {
        long fileSize;
        ByteBuffer buf = ByteBuffer.allocate(PROBE_LENGTH);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            fileSize = ch.size();
            while (buf.hasRemaining() && ch.read(buf, buf.position()) > 0) {
                // read the two superblock slots
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw new PoolFormatException("no such pool file: " + path, "check the path, or create the pool with Heap.create", e);
        } catch (IOException e) {
            throw new PoolFormatException("cannot read pool " + path + ": " + e, "check its permissions", e);
        }
        MemorySegment s = MemorySegment.ofArray(new long[PROBE_LENGTH / 8]).asSlice(0, buf.position());
        MemorySegment.copy(MemorySegment.ofArray(buf.array()), 0, s, 0, buf.position());
        return choose(s, fileSize, path.toString());
    }

    /** Picks the valid superblock with the higher sequence and checks version and size. */
    static Superblock choose(MemorySegment s, long fileSize, String path) {
        String pa = s.byteSize() >= SuperblockDescriptor.LENGTH ? Superblock.problem(s, SuperblockDescriptor.A_OFFSET) : "too short";
        String pb = s.byteSize() >= SuperblockDescriptor.B_OFFSET + SuperblockDescriptor.LENGTH
                ? Superblock.problem(s, SuperblockDescriptor.B_OFFSET) : "too short";
        if (pa != null && pb != null) {
            boolean any = s.byteSize() >= 8 && (s.get(Le.U64_UNALIGNED, 0) == SuperblockDescriptor.MAGIC
                    || (s.byteSize() >= SuperblockDescriptor.B_OFFSET + 8 && s.get(Le.U64_UNALIGNED, SuperblockDescriptor.B_OFFSET) == SuperblockDescriptor.MAGIC));
            if (!any) {
                throw new PoolFormatException(path + " is not a Ferrite pool (no superblock magic \"FERRITE\\0\" at offset 0 or 4096; "
                        + fileSize + " bytes)", "check the path; `ferrite check " + path + "` describes the file");
            }
            throw new PoolCorruptedException("both superblocks of pool " + path + " are damaged: A at offset 0: " + pa
                    + "; B at offset 4096: " + pb, "run `ferrite check " + path + "`");
        }
        Superblock a = pa == null ? Superblock.read(s, SuperblockDescriptor.A_OFFSET) : null;
        Superblock b = pb == null ? Superblock.read(s, SuperblockDescriptor.B_OFFSET) : null;
        Superblock sb = a == null ? b : b == null ? a : a.sequence() >= b.sequence() ? a : b;
        if (sb.formatVersion() != SuperblockDescriptor.FORMAT_VERSION) {
            throw new PoolFormatException("pool " + path + " has format version " + sb.formatVersion() + "; this build of Ferrite reads"
                    + " version " + SuperblockDescriptor.FORMAT_VERSION + (sb.formatVersion() > SuperblockDescriptor.FORMAT_VERSION
                    ? " (the pool was written by a newer Ferrite)" : ""), "open it with a Ferrite release that knows version "
                    + sb.formatVersion() + "; `ferrite check " + path + "` shows the header");
        }
        if (fileSize < sb.poolSize()) {
            throw new PoolCorruptedException("pool " + path + " is " + fileSize + " bytes but its superblock says " + sb.poolSize()
                    + " (truncated?)", "run `ferrite check " + path + "`; restore the pool from a replica or backup");
        }
        String g = sb.geometryProblem();
        if (g != null) {
            throw new PoolCorruptedException("pool " + path + " superblock (sequence " + sb.sequence() + ") is inconsistent: " + g,
                    "run `ferrite check " + path + "`");
        }
        return sb;
    }
}
