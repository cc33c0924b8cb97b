package io.ferrite.swizzle;

import io.ferrite.media.FlushBackend;
import io.ferrite.media.Media;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Media over another media that throws at its n-th fence: the process "dies" there with every
 * store made so far in place. Leaves pools half-way through a swizzle. Does not close the inner media.
 */
final class StopMedia extends Media {
    static final class Stop extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stop(long fence) {
            super("stopped at fence " + fence);
        }
    }

    private final Media inner;
    private final long stopAt;
    private long fences;

    StopMedia(Media inner, long stopAt) {
        this.inner = inner;
        this.stopAt = stopAt;
    }

    @Override
    public MemorySegment segment() {
        return inner.segment();
    }

    @Override
    public Path path() {
        return inner.path();
    }

    @Override
    public FlushBackend backend() {
        return inner.backend();
    }

    @Override
    public boolean isPersistentMemory() {
        return inner.isPersistentMemory();
    }

    @Override
    public String fileSystem() {
        return inner.fileSystem();
    }

    @Override
    public void flush(long offset, long length) {
        inner.flush(offset, length);
    }

    @Override
    public synchronized void fence() {
        if (++fences == stopAt) {
            throw new Stop(fences);
        }
        inner.fence();
    }

    @Override
    public void close() {
    }

    /** Swizzles {@code media}'s pool towards {@code base} and stops at fence {@code stopAt} (if it gets there). */
    static boolean swizzleAndStop(Media media, long base, long stopAt, int threads) {
        try {
            Swizzler.swizzle(TestPool.attach(new StopMedia(media, stopAt), base),
                    SwizzleOptions.defaults().parallelism(threads).batchBytes(1));
            return false;
        } catch (io.ferrite.FerriteException e) {
            if (e.getCause() instanceof Stop) {
                return true;
            }
            throw e;
        } catch (Stop e) {
            return true;
        }
    }
}
