package io.ferrite.cli;

import io.ferrite.FerriteException;
import io.ferrite.media.Media;
import io.ferrite.media.MediaOptions;
import io.ferrite.pheap.format.Le;
import io.ferrite.pheap.format.Superblock;
import io.ferrite.pheap.format.SuperblockDescriptor;
import io.ferrite.pmlog.LogHeaderDescriptor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A pool file mapped read-only, with both superblock copies decoded through
 * {@link SuperblockDescriptor} / {@link Superblock}. Never changes a byte: the segment handed out
 * is a read-only view, so a bug here throws instead of writing.
 *
 * <p>{@link #open} sorts what can be wrong with a file into what the operator must fix first
 * (exit 8: missing, not a regular file, not a pool, a format this build does not read) and damage
 * (exit 4: both superblocks bad, truncated, inconsistent geometry). The lenient open keeps damage
 * as {@link #problems} for {@code check} to report.
 */
final class PoolImage implements AutoCloseable {
    /** One superblock slot: its problem (null when valid) and its decoded copy (null when invalid). */
    record Slot(int index, long offset, String problem, Superblock sb) {
        String name() {
            return index == 0 ? "A" : "B";
        }
    }

    final Path path;
    final Media media;
    /** The whole file, read-only. */
    final MemorySegment seg;
    final long fileSize;
    final Slot[] slots;
    /** The superblock in force (valid, higher sequence); null when both copies are damaged. */
    final Superblock sb;
    /** 0 or 1: which slot is current; -1 when none. */
    final int current;
    /** Damage found at open: both superblocks, truncation, geometry. Empty when sound. */
    final java.util.List<String> problems = new java.util.ArrayList<>();

    private PoolImage(Path path, Media media, long fileSize) {
        this.path = path;
        this.media = media;
        this.seg = media.segment().asReadOnly();
        this.fileSize = fileSize;
        this.slots = new Slot[2];
        for (int i = 0; i < 2; i++) {
            long off = SuperblockDescriptor.slotOffset(i);
            String p = seg.byteSize() < off + SuperblockDescriptor.LENGTH ? "missing (the file is only " + fileSize + " bytes)"
                    : Superblock.problem(seg, off);
            slots[i] = new Slot(i, off, p, p == null ? Superblock.read(seg, off) : null);
        }
        Superblock a = slots[0].sb;
        Superblock b = slots[1].sb;
        if (a == null && b == null) {
            sb = null;
            current = -1;
        } else if (b == null || (a != null && a.sequence() >= b.sequence())) {
            sb = a;
            current = 0;
        } else {
            sb = b;
            current = 1;
        }
    }

    /**
     * Maps {@code path} read-only. Throws {@link ToolException} (exit 8) for a missing file, a
     * non-pool, a format version this build does not read; with {@code lenient} false also (exit 4)
     * for damage that stops an inspection (both superblocks bad, truncated, geometry).
     */
    static PoolImage open(Path path, boolean lenient) {
        long size = checkFile(path, "pool");
        Media media;
        try {
            media = Media.open(path, MediaOptions.defaults().readOnly(true));
        } catch (FerriteException e) {
            throw ToolException.usage("cannot map " + path + " read-only: " + e.getMessage(), "check the file");
        }
        PoolImage img = new PoolImage(path, media, size);
        try {
            img.classify(lenient);
            return img;
        } catch (RuntimeException e) {
            img.close();
            throw e;
        }
    }

    /** Exists, is a regular readable file, not empty; returns its size. */
    static long checkFile(Path path, String what) {
        if (!Files.exists(path)) {
            throw ToolException.usage("no such file: " + path, "check the path (" + what + " files usually live in /dev/shm or on a DAX mount)");
        }
        if (!Files.isRegularFile(path)) {
            throw ToolException.usage(path + " is not a regular file", "pass the path of a Ferrite " + what + " file");
        }
        if (!Files.isReadable(path)) {
            throw ToolException.usage(path + " is not readable by this user", "run as its owner, or fix its permissions");
        }
        try {
            long size = Files.size(path);
            if (size == 0) {
                throw ToolException.usage(path + " is empty (0 bytes): not a Ferrite " + what, "check the path");
            }
            return size;
        } catch (IOException e) {
            throw ToolException.usage("cannot read " + path + ": " + e.getMessage(), "check its permissions");
        }
    }

    private void classify(boolean lenient) {
        boolean anyMagic = false;
        for (Slot s : slots) {
            anyMagic |= seg.byteSize() >= s.offset + 8 && seg.get(Le.U64_UNALIGNED, s.offset) == SuperblockDescriptor.MAGIC;
        }
        if (!anyMagic) {
            if (seg.byteSize() >= 8 && seg.get(Le.U64_UNALIGNED, 0) == LogHeaderDescriptor.MAGIC) {
                throw ToolException.usage(path + " is a standalone Ferrite log, not a pool",
                        "use `ferrite log " + path + "` (and `ferrite log --verify " + path + "`)");
            }
            throw ToolException.usage(path + " is not a Ferrite pool: no superblock magic \"FERRITE\\0\" at offset 0 or 4096 ("
                    + fileSize + " bytes)", "check the path");
        }
        if (sb == null) {
            String msg = "both superblocks of pool " + path + " are damaged: A at offset 0: " + slots[0].problem
                    + "; B at offset 4096: " + slots[1].problem;
            if (!lenient) {
                throw ToolException.damaged(msg, "run `ferrite check " + path + "`; restore the pool from a replica or backup");
            }
            problems.add(msg);
            return;
        }
        if (sb.formatVersion() != SuperblockDescriptor.FORMAT_VERSION) {
            boolean newer = Integer.compareUnsigned(sb.formatVersion(), SuperblockDescriptor.FORMAT_VERSION) > 0;
            throw ToolException.usage("pool " + path + " has format version " + Integer.toUnsignedString(sb.formatVersion())
                    + "; this ferrite reads version " + SuperblockDescriptor.FORMAT_VERSION
                    + (newer ? " (the pool was written by a newer Ferrite)" : ""),
                    "use a ferrite release that knows format version " + Integer.toUnsignedString(sb.formatVersion()));
        }
        if (fileSize < sb.poolSize()) {
            String msg = "pool " + path + " is " + fileSize + " bytes but its superblock says " + sb.poolSize() + " (truncated)";
            if (!lenient) {
                throw ToolException.damaged(msg, "run `ferrite check " + path + "`; restore the pool from a replica or backup");
            }
            problems.add(msg);
        }
        // The library's one geometry check: overflow-checked region sums, every region aligned and inside the pool.
        String g = sb.geometryProblem();
        if (g != null) {
            String msg = "superblock " + slots[current].name() + " (sequence " + sb.sequence() + ") of pool " + path
                    + " is inconsistent: " + g;
            if (!lenient) {
                throw ToolException.damaged(msg, "run `ferrite check " + path + "`");
            }
            problems.add(msg);
        }
    }

    /** True when the regions the superblock names can be read (sound superblock, file long enough). */
    boolean readable() {
        return sb != null && problems.isEmpty();
    }

    @Override
    public void close() {
        media.close();
    }
}
