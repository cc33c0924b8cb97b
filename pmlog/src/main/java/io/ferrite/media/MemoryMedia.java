package io.ferrite.media;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Volatile media over a segment in memory: flush and fence are no-ops (crash images in tests).
 * Either over a fresh arena segment it owns and frees on close, or over a caller's segment that
 * close leaves alone ({@link Media#wrap}).
 */
final class MemoryMedia extends Media {
    /** null when the segment is the caller's. */
    private final Arena arena;
    private final MemorySegment segment;

    MemoryMedia(long size) {
        this.arena = Arena.ofShared();
        this.segment = arena.allocate(size, 4096);
    }

    MemoryMedia(MemorySegment segment) {
        this.arena = null;
        this.segment = segment;
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
        if (arena != null && arena.scope().isAlive()) {
            arena.close();
        }
    }
}
