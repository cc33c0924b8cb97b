package io.ferrite.media;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Persistent bytes: a {@link MemorySegment} mapped from a file, with the two durability verbs.
 *
 * <ul>
 * <li>{@link #flush(long, long)} starts writing back the cache lines (or pages) of a range;
 * it orders nothing.</li>
 * <li>{@link #fence()} returns once every earlier flush of this media is durable.</li>
 * <li>{@link #persist(long, long)} = flush + fence.</li>
 * </ul>
 * A store is durable only after a flush that covers it and a later fence. Only aligned 8-byte
 * stores are assumed atomic on media. Offsets are relative to the start of {@link #segment()}.
 * Flush and fence may be called from any thread; the caller orders its own stores before them.
 */
public abstract class Media implements AutoCloseable {

    /** Creates a new file of {@code size} bytes (it must not exist) and maps it. */
    public static Media create(Path path, long size, MediaOptions options) {
        return Mapper.create(path, size, options.copy().conclude());
    }

    /** Maps an existing file whole. */
    public static Media open(Path path, MediaOptions options) {
        return Mapper.open(path, options.copy().conclude());
    }

    /** A volatile in-memory media over a fresh zeroed segment (tests, crash images). */
    public static Media inMemory(long size) {
        return new MemoryMedia(size, size);
    }

    /**
     * A volatile in-memory media of {@code size} bytes that can {@linkplain #grow grow} to {@code
     * maxSize} without moving (the whole maximum is allocated now: tests only).
     */
    public static Media inMemory(long size, long maxSize) {
        return new MemoryMedia(size, maxSize);
    }

    /**
     * Volatile media over the caller's segment (a crash image, a copy of a pool): backend {@link
     * FlushBackend#MEMORY}, flush and fence only check their arguments, {@link #close()} leaves the
     * segment alone, it stays valid as long as the caller's arena keeps it alive.
     */
    public static Media wrap(MemorySegment segment) {
        return new MemoryMedia(java.util.Objects.requireNonNull(segment, "segment"));
    }

    /** The mapped bytes. Valid until {@link #close()}. */
    public abstract MemorySegment segment();

    /** Bytes mapped. */
    public long size() {
        return segment().byteSize();
    }

    /** Where the bytes live in the address space of this process. */
    public long baseAddress() {
        return segment().address();
    }

    /**
     * Bytes this media can grow to without moving: the reserved address range. Equal to {@link
     * #size()} for media that cannot grow.
     */
    public long maxSize() {
        return size();
    }

    /**
     * Extends the media to {@code newSize} bytes at the addresses that follow the current ones:
     * {@link #baseAddress()} does not change, so absolute pointers into it stay valid. The file is
     * extended ({@code posix_fallocate}) and made durable ({@code fsync}) before the new range is
     * mapped; when the file system is full it throws {@link MediaFullException} and leaves file and
     * mapping as they were. The new bytes read as zero. Segments obtained before keep their old
     * size: fetch {@link #segment()} again. Not thread safe against itself; concurrent readers of
     * the old range are unaffected.
     *
     * @throws IllegalArgumentException if {@code newSize} is below {@link #size()}, above {@link
     *     #maxSize()} or not page aligned
     */
    public void grow(long newSize) {
        if (newSize == size()) {
            return;
        }
        throw new UnsupportedOperationException("media " + describe() + " cannot grow (maxSize=" + maxSize()
                + "): map it with MediaOptions.maxSize through the libc mapper");
    }

    static void checkGrow(Media m, long newSize) {
        if (newSize < m.size() || newSize > m.maxSize() || newSize % 4096 != 0) {
            throw new IllegalArgumentException("cannot grow " + (m.path() == null ? "<memory>" : m.path()) + " from "
                    + m.size() + " to " + newSize + " bytes: the new size must lie in [size, maxSize=" + m.maxSize()
                    + "] and be a multiple of 4096");
        }
    }

    /** The file, or null for in-memory media. */
    public abstract Path path();

    public abstract FlushBackend backend();

    /** True only for real persistent memory (a DAX file system mapped with MAP_SYNC). */
    public abstract boolean isPersistentMemory();

    /** The file system type as the OS names it ({@code tmpfs}, {@code ext4}, {@code memory}...). */
    public abstract String fileSystem();

    /** True when the mapping is read-only. */
    public boolean readOnly() {
        return false;
    }

    public abstract void flush(long offset, long length);

    public abstract void fence();

    public final void persist(long offset, long length) {
        flush(offset, length);
        fence();
    }

    /** One line for logs and {@code ferrite info}. */
    public String describe() {
        return String.format("%s: %,d bytes at 0x%x, backend=%s, fs=%s, %s",
                path() == null ? "<memory>" : path(), size(), baseAddress(), backend().configName(), fileSystem(),
                isPersistentMemory() ? "real persistent memory (DAX, MAP_SYNC)"
                        : "not persistent memory (emulated: durable only as far as the file system is)");
    }

    /** Unmaps. Any later access to {@link #segment()} fails. */
    @Override
    public abstract void close();

    static void checkRange(Media m, long offset, long length) {
        if (offset < 0 || length < 0 || offset + length > m.size()) {
            throw new IndexOutOfBoundsException("range offset=" + offset + " length=" + length
                    + " outside media of size " + m.size() + " (" + m.path() + ")");
        }
    }
}
