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
    /** The whole reservation; {@link #segment} is its prefix. */
    private final MemorySegment reserved;
    private volatile MemorySegment segment;

    MemoryMedia(long size, long maxSize) {
        if (maxSize < size) {
            throw new IllegalArgumentException("maxSize=" + maxSize + " below size=" + size);
        }
        this.arena = Arena.ofShared();
        this.reserved = arena.allocate(maxSize, 4096);
        this.segment = reserved.asSlice(0, size);
    }

    MemoryMedia(MemorySegment segment) {
        this.arena = null;
        this.reserved = segment;
        this.segment = segment;
    }

    @Override
    public long maxSize() {
        return reserved.byteSize();
    }

    @Override
    public synchronized void grow(long newSize) {
        if (newSize == size()) {
            return;
        }
        checkGrow(this, newSize);
        segment = reserved.asSlice(0, newSize);
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
