package io.ferrite.media;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Media that forwards every call to another one: subclass it to observe or perturb flushes and
 * fences in tests (count fences, slow them down, stop at the n-th one) without re-implementing
 * the rest. {@link #close()} closes the delegate.
 */
public class ForwardingMedia extends Media {
    protected final Media delegate;

    public ForwardingMedia(Media delegate) {
        this.delegate = delegate;
    }

    public Media delegate() {
        return delegate;
    }

    @Override
    public MemorySegment segment() {
        return delegate.segment();
    }

    @Override
    public long size() {
        return delegate.size();
    }

    @Override
    public long baseAddress() {
        return delegate.baseAddress();
    }

    @Override
    public long maxSize() {
        return delegate.maxSize();
    }

    @Override
    public void grow(long newSize) {
        delegate.grow(newSize);
    }

    @Override
    public Path path() {
        return delegate.path();
    }

    @Override
    public FlushBackend backend() {
        return delegate.backend();
    }

    @Override
    public boolean isPersistentMemory() {
        return delegate.isPersistentMemory();
    }

    @Override
    public String fileSystem() {
        return delegate.fileSystem();
    }

    @Override
    public boolean readOnly() {
        return delegate.readOnly();
    }

    @Override
    public void flush(long offset, long length) {
        delegate.flush(offset, length);
    }

    @Override
    public void fence() {
        delegate.fence();
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
