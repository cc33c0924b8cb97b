package io.ferrite.media;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * What every file mapping has in common, whoever mapped it (libc mmap in {@link MappedMedia}, the
 * JDK's {@code FileChannel.map} in {@link JdkMappedMedia}): the file, its file system, whether it
 * is DAX and read-only, and the segment with the arena that unmaps it on {@link #close()}. The
 * subclasses only say how they flush.
 */
abstract sealed class FileMedia extends Media permits MappedMedia, JdkMappedMedia {
    private final Path path;
    private final String fs;
    private final boolean dax;
    private final boolean readOnly;
    private final Arena arena;
    private volatile MemorySegment segment;

    FileMedia(Path path, String fs, boolean dax, boolean readOnly, Arena arena, MemorySegment segment) {
        this.path = path;
        this.fs = fs;
        this.dax = dax;
        this.readOnly = readOnly;
        this.arena = arena;
        this.segment = segment;
    }

    @Override
    public final MemorySegment segment() {
        return segment;
    }

    /** After growth: the longer segment over the same address and arena. */
    final void replaceSegment(MemorySegment longer) {
        this.segment = longer;
    }

    @Override
    public final Path path() {
        return path;
    }

    @Override
    public final boolean isPersistentMemory() {
        return dax;
    }

    @Override
    public final String fileSystem() {
        return dax ? fs + " (dax)" : fs;
    }

    @Override
    public final boolean readOnly() {
        return readOnly;
    }

    @Override
    public final void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
