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
final class JdkMappedMedia extends FileMedia {
    private final boolean sync;

    JdkMappedMedia(Path path, long size, String fs, boolean sync, boolean readOnly) throws IOException {
        this(path, size, fs, sync, readOnly, Arena.ofShared());
    }

    private JdkMappedMedia(Path path, long size, String fs, boolean sync, boolean readOnly, Arena arena) throws IOException {
        super(path, fs, sync, readOnly, arena, map(path, size, sync, readOnly, arena));
        this.sync = sync;
    }

    private static MemorySegment map(Path path, long size, boolean sync, boolean readOnly, Arena arena) throws IOException {
        FileChannel.MapMode mode = readOnly ? FileChannel.MapMode.READ_ONLY
                : sync ? jdk.nio.mapmode.ExtendedMapMode.READ_WRITE_SYNC : FileChannel.MapMode.READ_WRITE;
        try (FileChannel ch = readOnly ? FileChannel.open(path, StandardOpenOption.READ)
                : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return ch.map(mode, 0, size, arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    @Override
    public FlushBackend backend() {
        return sync ? FlushBackend.JDK_SYNC : FlushBackend.MSYNC;
    }

    @Override
    public void flush(long offset, long length) {
        if (length == 0) {
            return;
        }
        checkRange(this, offset, length);
        segment().asSlice(offset, length).force();
    }

    @Override
    public void fence() {
        // force() returns once the range is durable.
    }
}
