package io.ferrite.store;

import io.ferrite.media.FlushBackend;
import io.ferrite.media.Media;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/** A crash image seen as media: someone else's segment, flush and fence do nothing, close leaves it. */
final class ImageMedia extends Media {
    private final MemorySegment image;

    ImageMedia(MemorySegment image) {
        this.image = image;
    }

    @Override
    public MemorySegment segment() {
        return image;
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
        return "crash image";
    }

    @Override
    public void flush(long offset, long length) {
        // an image is checked, never persisted
    }

    @Override
    public void fence() {
        // an image is checked, never persisted
    }

    @Override
    public void close() {
        // the segment is the test's
    }
}
