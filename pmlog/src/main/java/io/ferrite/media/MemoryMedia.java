package io.ferrite.media;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/** Volatile media over an arena segment: flush and fence are no-ops (crash images in tests). */
final class MemoryMedia extends Media {
    private final Arena arena;
    private final MemorySegment segment;

    MemoryMedia(long size) {
        this.arena = Arena.ofShared();
        this.segment = arena.allocate(size, 4096);
    }

    @Override
    public MemorySegment segment() {
        return segment;
    }

    @Override
    public Path path() {
        return null;
    }

    @Override
    public FlushBackend backend() {
        return FlushBackend.MEMORY;
    }

    @Override
    public boolean isPersistentMemory() {
        return false;
    }

    @Override
    public String fileSystem() {
        return "memory";
    }

    @Override
    public void flush(long offset, long length) {
        checkRange(this, offset, length);
    }

    @Override
    public void fence() {
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
