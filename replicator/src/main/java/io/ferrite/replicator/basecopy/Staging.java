package io.ferrite.replicator.basecopy;

import static io.ferrite.replicator.basecopy.BaseCopyProgressDescriptor.*;

import io.ferrite.FerriteException;
import io.ferrite.pheap.format.Superblock;
import io.ferrite.pheap.format.SuperblockDescriptor;
import io.ferrite.replicator.wire.Messages.BaseCopyBegin;
import io.ferrite.replicator.wire.Messages.BaseCopyResume;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The files of a base copy being received, beside the replica's pool: the image
 * {@code <pool>.basecopy}, its chunk checksums {@code <pool>.basecopy.sums} and the progress record
 * {@code <pool>.basecopy.progress} ({@link BaseCopyProgressDescriptor}).
 *
 * <p><b>Durability.</b> A chunk is written to the image and its CRC32C to the sums; the progress
 * record's staged offset moves past them only after both files are forced ({@link #sync}), so
 * every byte below the recorded offset is durable and checked. The pool path itself is never
 * written here: {@link #install} renames the complete, verified image into place last.
 *
 * <p>Threading: one receiving session at a time (the receiver's accept loop).
 */
final class Staging implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.ferrite.replicator");

    /** What identifies an image: a resumed copy must be of the same one. */
    record Identity(UUID poolId, long term, long checkpointLsn, long imageLength, int chunkSize) {
        static Identity of(BaseCopyBegin b) {
            return new Identity(b.poolId(), b.term(), b.checkpointLsn(), b.imageLength(), b.chunkSize());
        }
    }

    private final Path pool;
    private Identity id;
    private long offset;
    private boolean verified;
    private boolean installing;
    private FileChannel image;
    private FileChannel sums;
    private long unsynced;
    private final long syncBytes;

    private Staging(Path pool, long syncBytes) {
        this.pool = pool;
        this.syncBytes = syncBytes;
    }

    static Path imagePath(Path pool) {
        return pool.resolveSibling(pool.getFileName() + ".basecopy");
    }

    static Path sumsPath(Path pool) {
        return pool.resolveSibling(pool.getFileName() + ".basecopy.sums");
    }

    static Path progressPath(Path pool) {
        return pool.resolveSibling(pool.getFileName() + ".basecopy.progress");
    }

    /** The marker that asks for a new base copy although a pool is there (it is replaced at install). */
    static Path reseedPath(Path pool) {
        return pool.resolveSibling(pool.getFileName() + ".basecopy.reseed");
    }

    /**
     * True when a crash came after the rename of an install: the progress record says installing,
     * the staging image is gone and the pool is there (the installed one); only the cleanup is left.
     */
    static boolean installedBeforeACrash(Path pool) {
        if (!Files.exists(pool) || Files.exists(imagePath(pool)) || !Files.exists(progressPath(pool))) {
            return false;
        }
        Staging s = new Staging(pool, 1);
        try {
            return s.decode(Files.readAllBytes(progressPath(pool))) == null && s.installing;
        } catch (IOException e) {
            return false;
        }
    }

    /** Opens what is staged for {@code pool} (nothing when there is no valid progress record). */
    static Staging open(Path pool, long syncBytes) {
        Staging s = new Staging(pool, syncBytes);
        Path p = progressPath(pool);
        if (!Files.exists(p)) {
            return s;
        }
        try {
            byte[] b = Files.readAllBytes(p);
            String problem = s.decode(b);
            if (problem == null && (!Files.exists(imagePath(pool)) || !Files.exists(sumsPath(pool)))) {
                problem = "the staging image or its sums are missing";
            }
            if (problem != null) {
                LOG.log(System.Logger.Level.WARNING, "base copy staging of " + pool + ": " + p + " " + problem
                        + "; the copy starts over");
                s.id = null;
                return s;
            }
            s.openChannels();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("reading the base copy progress " + p + ": " + e.getMessage(), e);
        }
    }

    private String decode(byte[] b) {
        if (b.length != LENGTH) {
            return "is " + b.length + " bytes, not " + LENGTH;
        }
        ByteBuffer r = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        CRC32C crc = new CRC32C();
        crc.update(b, 0, CRC_OFFSET);
        if (r.getLong(MAGIC_OFFSET) != MAGIC || r.getInt(VERSION_OFFSET) != VERSION || r.getInt(CRC_OFFSET) != (int) crc.getValue()) {
            return "is not a valid progress record (magic, version " + r.getInt(VERSION_OFFSET) + " or CRC32C)";
        }
        id = new Identity(new UUID(r.getLong(POOL_MSB_OFFSET), r.getLong(POOL_LSB_OFFSET)), r.getLong(TERM_OFFSET),
                r.getLong(CHECKPOINT_LSN_OFFSET), r.getLong(IMAGE_LENGTH_OFFSET), r.getInt(CHUNK_SIZE_OFFSET));
        offset = r.getLong(STAGED_OFFSET_OFFSET);
        verified = (r.getInt(FLAGS_OFFSET) & FLAG_VERIFIED) != 0;
        installing = (r.getInt(FLAGS_OFFSET) & FLAG_INSTALLING) != 0;
        if (offset < 0 || offset > id.imageLength() || id.chunkSize() <= 0 || (offset % id.chunkSize() != 0 && offset != id.imageLength())) {
            return "names offset " + offset + " in an image of " + id.imageLength() + " bytes, chunks of " + id.chunkSize();
        }
        return null;
    }

    private byte[] encode() {
        ByteBuffer w = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        w.putLong(MAGIC_OFFSET, MAGIC).putInt(VERSION_OFFSET, VERSION).putInt(FLAGS_OFFSET, (verified ? FLAG_VERIFIED : 0) | (installing ? FLAG_INSTALLING : 0))
                .putLong(POOL_MSB_OFFSET, id.poolId().getMostSignificantBits())
                .putLong(POOL_LSB_OFFSET, id.poolId().getLeastSignificantBits()).putLong(TERM_OFFSET, id.term())
                .putLong(CHECKPOINT_LSN_OFFSET, id.checkpointLsn()).putLong(IMAGE_LENGTH_OFFSET, id.imageLength())
                .putLong(STAGED_OFFSET_OFFSET, offset).putInt(CHUNK_SIZE_OFFSET, id.chunkSize());
        CRC32C crc = new CRC32C();
        crc.update(w.array(), 0, CRC_OFFSET);
        w.putInt(CRC_OFFSET, (int) crc.getValue());
        return w.array();
    }

    private void openChannels() throws IOException {
        image = FileChannel.open(imagePath(pool), StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE);
        sums = FileChannel.open(sumsPath(pool), StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE);
    }

    Identity identity() {
        return id;
    }

    long offset() {
        return offset;
    }

    boolean verified() {
        return verified;
    }

    Path imagePath() {
        return imagePath(pool);
    }

    /** What to tell the primary: the staged image and offset, or nothing. */
    BaseCopyResume resume() {
        return id == null ? BaseCopyResume.NOTHING
                : new BaseCopyResume(id.term(), id.checkpointLsn(), id.imageLength(), offset, id.chunkSize());
    }

    /** Starts staging another image: the old files go, an empty image of the new length and offset 0 are made durable. */
    void reset(Identity next) {
        try {
            closeChannels();
            Files.deleteIfExists(imagePath(pool));
            Files.deleteIfExists(sumsPath(pool));
            id = next;
            offset = 0;
            verified = false;
            openChannels();
            image.truncate(0);
            image.write(ByteBuffer.allocate(1), next.imageLength() - 1); // sparse, of the image's length
            image.force(true);
            sums.force(true);
            writeProgress();
        } catch (IOException e) {
            throw new UncheckedIOException("staging a base copy for " + pool + " in " + imagePath(pool) + ": " + e.getMessage(), e);
        }
    }

    /** Stages the chunk at the staged offset (its CRC already checked by the caller). */
    void write(byte[] data, int n, int crc) {
        try {
            ByteBuffer b = ByteBuffer.wrap(data, 0, n);
            for (long at = offset; b.hasRemaining(); ) {
                at += image.write(b, at);
            }
            ByteBuffer s = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, crc);
            sums.write(s, sumOffset(offset / id.chunkSize()));
            offset += n;
            unsynced += n;
            if (unsynced >= syncBytes) {
                sync();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + imagePath(pool) + " at offset " + offset + ": " + e.getMessage(), e);
        }
    }

    /** Forces the staged bytes and their sums, then records the offset. */
    void sync() {
        if (id == null || image == null) {
            return;
        }
        try {
            image.force(false);
            sums.force(false);
            writeProgress();
            unsynced = 0;
        } catch (IOException e) {
            throw new UncheckedIOException("forcing " + imagePath(pool) + ": " + e.getMessage(), e);
        }
    }

    private void writeProgress() throws IOException {
        Path p = progressPath(pool);
        Path tmp = p.resolveSibling(p.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(encode()));
            ch.force(true);
        }
        Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(pool);
    }

    /**
     * Checks the whole staged image: every chunk's CRC32C against the sums, and the superblock (valid,
     * this image's pool, term, checkpoint LSN and size, a sound geometry). Records it as verified.
     * Returns the image's superblock.
     */
    Superblock verify() {
        try {
            long chunks = 0;
            if (!verified) {
                byte[] buf = new byte[id.chunkSize()];
                CRC32C crc = new CRC32C();
                ByteBuffer s = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
                for (long off = 0; off < id.imageLength(); off += id.chunkSize(), chunks++) {
                    int n = (int) Math.min(id.chunkSize(), id.imageLength() - off);
                    ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                    for (long at = off; b.hasRemaining(); ) {
                        int r = image.read(b, at);
                        if (r < 0) {
                            throw problem("ends at offset " + at + " inside chunk " + chunks);
                        }
                        at += r;
                    }
                    s.clear();
                    sums.read(s, sumOffset(chunks));
                    crc.reset();
                    crc.update(buf, 0, n);
                    if (s.getInt(0) != (int) crc.getValue()) {
                        throw problem("chunk " + chunks + " at offset " + off + " has CRC32C 0x"
                                + Integer.toHexString((int) crc.getValue()) + ", it was received with 0x"
                                + Integer.toHexString(s.getInt(0)));
                    }
                }
            }
            Superblock sb = superblock();
            if (!verified) {
                verified = true;
                writeProgress();
                LOG.log(System.Logger.Level.INFO, "base copy staging of " + pool + ": " + chunks + " chunks verified");
            }
            return sb;
        } catch (IOException e) {
            throw new UncheckedIOException("verifying " + imagePath(pool) + ": " + e.getMessage(), e);
        }
    }

    private Superblock superblock() throws IOException {
        MemorySegment seg = MemorySegment.ofArray(new long[SuperblockDescriptor.SLOT_LENGTH / 8]);
        ByteBuffer b = ByteBuffer.allocate(SuperblockDescriptor.LENGTH);
        image.read(b, SuperblockDescriptor.A_OFFSET);
        MemorySegment.copy(MemorySegment.ofArray(b.array()), 0, seg, 0, SuperblockDescriptor.LENGTH);
        String p = Superblock.problem(seg, 0);
        if (p != null) {
            throw problem("superblock A: " + p);
        }
        Superblock sb = Superblock.read(seg, 0);
        if (!sb.poolId().equals(id.poolId()) || sb.term() != id.term() || sb.checkpointLsn() != id.checkpointLsn()
                || sb.poolSize() != id.imageLength() || sb.geometryProblem() != null) {
            throw problem("superblock A says pool " + sb.poolId() + ", term " + sb.term() + ", checkpoint LSN "
                    + sb.checkpointLsn() + ", " + sb.poolSize() + " bytes (geometry: " + sb.geometryProblem() + "); the image is "
                    + id);
        }
        return sb;
    }

    /** Gives up what is staged: the next session starts the copy at 0 (best effort: the caller reports why). */
    void forget() {
        offset = 0;
        verified = false;
        if (id == null) {
            return;
        }
        try {
            writeProgress();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "base copy staging of " + pool + ": cannot record that it starts over: " + e);
        }
    }

    private FerriteException problem(String what) {
        forget(); // a damaged staging is not resumed
        return new FerriteException("base copy staging " + imagePath(pool) + ": " + what + "; the copy starts over",
                "nothing was installed; the replica asks its primary for the image again");
    }

    /**
     * Installs the staged image, whose log region already holds the records [C, endLsn): makes
     * {@code mirror} (made by {@code makeMirror}, the replica's mirror log starting at endLsn),
     * records that the install is under way, renames the image to the pool path, and removes the
     * staging files and the re-seed marker, each step durable (files and directory forced) before
     * the next. An old pool being re-seeded is deleted first (it served reads until then). A crash
     * before the rename leaves no pool and the staging to resume; after it, the complete new pool.
     */
    void install(Path mirror, Runnable makeMirror, BaseCopyReceiver.Hooks hooks) {
        try {
            image.force(true);
            closeChannels();
            hooks.installStep("mirror");
            // an old pool being re-seeded goes first: a crash then leaves no pool, never an old pool
            // beside a mirror log of the new image
            java.util.Optional<String> holder = io.ferrite.pheap.Heap.lockHolder(pool);
            if (holder.isPresent()) {
                throw new IllegalStateException("replica pool " + pool + " is open (" + holder.get() + "): it cannot be replaced by"
                        + " the base copy; stop that replica");
            }
            if (Files.deleteIfExists(pool)) {
                forceDirectory(pool);
            }
            Files.deleteIfExists(mirror);
            makeMirror.run();
            forceDirectory(pool);
            installing = true;
            writeProgress();
            hooks.installStep("rename");
            Files.move(imagePath(pool), pool, StandardCopyOption.ATOMIC_MOVE);
            forceDirectory(pool);
            hooks.installStep("cleanup");
            removeSidecars(pool);
        } catch (IOException e) {
            throw new UncheckedIOException("installing the base copy " + imagePath(pool) + " as " + pool + ": " + e.getMessage(), e);
        }
    }

    /** Removes the progress record, sums and re-seed marker once the pool is installed (a crash right after the rename leaves them). */
    static void removeSidecars(Path pool) throws IOException {
        boolean any = Files.deleteIfExists(sumsPath(pool));
        any |= Files.deleteIfExists(reseedPath(pool));
        any |= Files.deleteIfExists(progressPath(pool));
        any |= Files.deleteIfExists(progressPath(pool).resolveSibling(progressPath(pool).getFileName() + ".tmp"));
        if (any) {
            forceDirectory(pool);
        }
    }

    static void forceDirectory(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    private void closeChannels() throws IOException {
        if (image != null) {
            image.close();
            image = null;
        }
        if (sums != null) {
            sums.close();
            sums = null;
        }
    }

    @Override
    public void close() {
        try {
            closeChannels();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing the base copy staging of " + pool, e);
        }
    }
}
