package io.ferrite.media;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file mapped through {@link FileChannel#map(FileChannel.MapMode, long, long, Arena)}: with
 * {@code READ_WRITE_SYNC} (jdk-sync, DAX only; {@code force()} writes back cache lines) or plain
 * {@code READ_WRITE} (the portable msync fallback off Linux).
 */
final class JdkMappedMedia extends Media {
    private final Path path;
    private final String fs;
    private final boolean sync;
    private final boolean readOnly;
    private final Arena arena;
    private final MemorySegment segment;

    JdkMappedMedia(Path path, long size, String fs, boolean sync, boolean readOnly) throws IOException {
        this.path = path;
        this.fs = fs;
        this.sync = sync;
        this.readOnly = readOnly;
        this.arena = Arena.ofShared();
        FileChannel.MapMode mode = readOnly ? FileChannel.MapMode.READ_ONLY
                : sync ? jdk.nio.mapmode.ExtendedMapMode.READ_WRITE_SYNC : FileChannel.MapMode.READ_WRITE;
        try (FileChannel ch = readOnly ? FileChannel.open(path, StandardOpenOption.READ)
                : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            this.segment = ch.map(mode, 0, size, arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    @Override
    public MemorySegment segment() {
        return segment;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public FlushBackend backend() {
        return sync ? FlushBackend.JDK_SYNC : FlushBackend.MSYNC;
    }

    @Override
    public boolean isPersistentMemory() {
        return sync;
    }

    @Override
    public String fileSystem() {
        return sync ? fs + " (dax)" : fs;
    }

    @Override
    public boolean readOnly() {
        return readOnly;
    }

    @Override
    public void flush(long offset, long length) {
        if (length == 0) {
            return;
        }
        checkRange(this, offset, length);
        segment.asSlice(offset, length).force();
    }

    @Override
    public void fence() {
        // force() returns once the range is durable.
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
