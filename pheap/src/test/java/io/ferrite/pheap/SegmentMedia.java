package io.ferrite.pheap;

import io.ferrite.media.FlushBackend;
import io.ferrite.media.Media;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/** Media over someone else's segment; flush and fence do nothing; close leaves the segment alone. */
final class SegmentMedia extends Media {
    private final MemorySegment segment;

    SegmentMedia(MemorySegment segment) {
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
    }

    @Override
    public void fence() {
    }

    @Override
    public void close() {
    }
}
