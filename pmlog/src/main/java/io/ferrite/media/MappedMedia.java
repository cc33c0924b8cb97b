package io.ferrite.media;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file mapped with libc mmap; flushed by libpmem or msync. When mapped with a reservation
 * ({@link MediaOptions#maxSize}), the file covers the prefix of an anonymous {@code PROT_NONE}
 * range and {@link #grow} maps more of it, with {@code MAP_FIXED}, at the addresses that follow.
 */
final class MappedMedia extends FileMedia {
    private final long address;
    private final long maxSize;
    private final FlushBackend backend;
    private final LibPmem pmem;
    private volatile long size;

    MappedMedia(Path path, long address, long size, long maxSize, FlushBackend backend, LibPmem pmem, boolean dax,
                String fs, boolean readOnly) {
        this(path, address, size, maxSize, backend, pmem, dax, fs, readOnly, Arena.ofShared());
    }

    private MappedMedia(Path path, long address, long size, long maxSize, FlushBackend backend, LibPmem pmem, boolean dax,
                        String fs, boolean readOnly, Arena arena) {
        // one munmap of the whole reservation: the file's part and the PROT_NONE rest go together
        super(path, fs, dax, readOnly, arena,
                MemorySegment.ofAddress(address).reinterpret(size, arena, s -> LibC.munmap(address, maxSize)));
        this.address = address;
        this.size = size;
        this.maxSize = maxSize;
        this.backend = backend;
        this.pmem = pmem;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public long maxSize() {
        return maxSize;
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
    public synchronized void grow(long newSize) {
        long old = size;
        if (newSize == old) {
            return;
        }
        checkGrow(this, newSize);
        if (readOnly()) {
            throw new IllegalStateException(path() + " is mapped read-only; it cannot grow");
        }
        if (old % LibC.PAGE_SIZE != 0 || newSize % LibC.PAGE_SIZE != 0) {
            throw new IllegalArgumentException("growth of " + path() + " from " + old + " to " + newSize
                    + " bytes is not page aligned (page size " + LibC.PAGE_SIZE + ")");
        }
        LibC.Result fd = LibC.open(path().toString(), LibC.O_RDWR | LibC.O_CLOEXEC);
        if (fd.failed()) {
            throw new MediaException("cannot open " + path() + " to grow it: " + LibC.strerror(fd.errno()),
                    "check the file's permissions");
        }
        int f = (int) fd.value();
        try {
            extendFile(f, old, newSize);
            int flags = isPersistentMemory() ? LibC.MAP_SHARED_VALIDATE | LibC.MAP_SYNC : LibC.MAP_SHARED;
            LibC.Result r = LibC.mmap(address + old, newSize - old, LibC.PROT_READ | LibC.PROT_WRITE,
                    flags | LibC.MAP_FIXED, f, old);
            if (r.failed() || r.value() != address + old) {
                LibC.ftruncate(f, old);
                throw new MediaException(String.format("cannot map %s from offset %,d to %,d at 0x%x: %s", path(), old,
                        newSize, address + old, r.failed() ? LibC.strerror(r.errno()) : "landed elsewhere"),
                        "check the file system");
            }
        } finally {
            LibC.close(f);
        }
        replaceSegment(segment().reinterpret(newSize));
        size = newSize;
    }

    /** Allocates [old, newSize) of the file and makes the new length durable; on failure the file keeps {@code old}. */
    private void extendFile(int fd, long old, long newSize) {
        int err = LibC.posixFallocate(fd, old, newSize - old);
        if (err == LibC.EOPNOTSUPP || err == LibC.EINVAL) {
            // the file system cannot allocate ahead: a sparse extension is what it offers
            LibC.Result t = LibC.ftruncate(fd, newSize);
            err = t.failed() ? t.errno() : 0;
        }
        if (err != 0) {
            LibC.ftruncate(fd, old);
            long free = freeBytes();
            if (err == LibC.ENOSPC || err == LibC.EDQUOT) {
                throw new MediaFullException(String.format("no space to grow %s from %,d to %,d bytes (%,d more): the file"
                                + " system has %,d bytes free", path(), old, newSize, newSize - old, free),
                        "free space on that file system, or grow by less", newSize - old, free);
            }
            throw new MediaException(String.format("cannot extend %s from %,d to %,d bytes: %s", path(), old, newSize,
                    LibC.strerror(err)), "check the file system");
        }
        LibC.Result s = LibC.fsync(fd);
        if (s.failed()) {
            LibC.ftruncate(fd, old);
            throw new MediaException("fsync of " + path() + " after extending it failed: " + LibC.strerror(s.errno()),
                    "check the file system (I/O error?)");
        }
    }

    private long freeBytes() {
        try {
            return Files.getFileStore(path()).getUsableSpace();
        } catch (java.io.IOException e) {
            return -1;
        }
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
