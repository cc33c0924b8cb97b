package io.ferrite.media;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/** A file mapped with libc mmap; flushed by libpmem or msync. */
final class MappedMedia extends FileMedia {
    private final long address;
    private final long size;
    private final FlushBackend backend;
    private final LibPmem pmem;

    MappedMedia(Path path, long address, long size, FlushBackend backend, LibPmem pmem, boolean dax, String fs,
                boolean readOnly) {
        this(path, address, size, backend, pmem, dax, fs, readOnly, Arena.ofShared());
    }

    private MappedMedia(Path path, long address, long size, FlushBackend backend, LibPmem pmem, boolean dax, String fs,
                        boolean readOnly, Arena arena) {
        super(path, fs, dax, readOnly, arena,
                MemorySegment.ofAddress(address).reinterpret(size, arena, s -> LibC.munmap(address, size)));
        this.address = address;
        this.size = size;
        this.backend = backend;
        this.pmem = pmem;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public long baseAddress() {
        return address;
    }

    @Override
    public FlushBackend backend() {
        return backend;
    }

    @Override
    public void flush(long offset, long length) {
        if (length == 0) {
            return;
        }
        checkRange(this, offset, length);
        if (readOnly()) {
            throw new IllegalStateException(path() + " is mapped read-only; nothing to flush");
        }
        if (pmem != null) {
            pmem.flush(address + offset, length);
        } else {
            long start = (address + offset) & -LibC.PAGE_SIZE;
            long end = address + offset + length;
            LibC.Result r = LibC.msync(start, end - start, LibC.MS_SYNC);
            if (r.failed()) {
                throw new MediaException(String.format("msync of %s at offset %d length %d failed: %s", path(), offset,
                        length, LibC.strerror(r.errno())), "check the file system (I/O error?)");
            }
        }
    }

    @Override
    public void fence() {
        if (pmem != null) {
            pmem.drain();
        }
        // msync(MS_SYNC) is synchronous: nothing is pending after flush returns.
    }
}
