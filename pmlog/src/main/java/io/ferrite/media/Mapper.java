package io.ferrite.media;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Opens and maps files: tries {@code MAP_SHARED_VALIDATE | MAP_SYNC} first (real DAX), falls back
 * to {@code MAP_SHARED}; passes the address hint with {@code MAP_FIXED_NOREPLACE}; picks the flush
 * backend (see {@link FlushBackend}). Off Linux it maps through {@link FileChannel} and msyncs.
 */
final class Mapper {
    private static final System.Logger LOG = System.getLogger("io.ferrite.media");
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();
    private static final boolean LINUX = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");

    private Mapper() {
    }

    static Media create(Path path, long size, MediaOptions o) {
        if (size <= 0) {
            throw new IllegalArgumentException("size=" + size + " must be positive for " + path);
        }
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new MediaException("cannot create " + path + ": directory " + parent + " does not exist",
                    "create the directory first");
        }
        try {
            Files.createFile(path);
        } catch (FileAlreadyExistsException e) {
            throw new MediaException("cannot create " + path + ": the file already exists",
                    "open it instead, or remove it if it is not needed", e);
        } catch (IOException e) {
            throw new MediaException("cannot create " + path + ": " + e.getMessage(),
                    "check that the directory is writable", e);
        }
        boolean ok = false;
        try {
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
                ch.truncate(0);
                ch.position(size - 1);
                ch.write(java.nio.ByteBuffer.wrap(new byte[1]));
            } catch (IOException e) {
                throw new MediaException("cannot size " + path + " to " + size + " bytes: " + e.getMessage(),
                        "check free space on " + parent, e);
            }
            if (LINUX && o.preallocate()) {
                preallocate(path, size);
            }
            Media m = map(path, size, o);
            ok = true;
            return m;
        } finally {
            if (!ok) {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException ignored) {
                    // the original error is the one to report
                }
            }
        }
    }

    static Media open(Path path, MediaOptions o) {
        long size;
        try {
            if (!Files.exists(path)) {
                throw new NoSuchFileException(path.toString());
            }
            if (!Files.isRegularFile(path)) {
                throw new MediaException(path + " is not a regular file", "pass the path of a Ferrite file");
            }
            size = Files.size(path);
        } catch (NoSuchFileException e) {
            throw new MediaException("no such file: " + path, "check the path, or create it first", e);
        } catch (IOException e) {
            throw new MediaException("cannot read " + path + ": " + e.getMessage(), "check its permissions", e);
        }
        if (size == 0) {
            throw new MediaException(path + " is empty (0 bytes): nothing to map", "it is not a Ferrite file; check the path");
        }
        return map(path, size, o);
    }

    private static void preallocate(Path path, long size) {
        LibC.Result fd = LibC.open(path.toString(), LibC.O_RDWR | LibC.O_CLOEXEC);
        if (fd.failed()) {
            throw openError(path, fd.errno());
        }
        try {
            int err = LibC.posixFallocate((int) fd.value(), 0, size);
            if (err == LibC.ENOSPC) {
                throw new MediaException("no space for " + size + " bytes at " + path + ": " + LibC.strerror(err),
                        "free space on that file system or choose a smaller size");
            }
            // EOPNOTSUPP and friends: the file system cannot preallocate; the sparse file stands.
        } finally {
            LibC.close((int) fd.value());
        }
    }

    private static String fsType(Path path) {
        try {
            return Files.getFileStore(path).type();
        } catch (IOException e) {
            return "unknown";
        }
    }

    static Media map(Path path, long size, MediaOptions o) {
        String fs = fsType(path);
        FlushBackend want = o.backend();
        if (want == FlushBackend.CRASHSIM) {
            return new CrashSimMedia(map(path, size, o.copy().backend(FlushBackend.MSYNC)));
        }
        if (want == FlushBackend.LIBPMEM && LibPmem.load().isEmpty()) {
            throw new MediaException("backend libpmem was asked for (" + MediaOptions.BACKEND_PROP_NAME
                    + "=libpmem) but libpmem could not be loaded: " + LibPmem.loadError(),
                    "install Debian's libpmem1 (apt-get install libpmem1) or use backend msync");
        }
        if (want == FlushBackend.JDK_SYNC || !LINUX) {
            return jdkMap(path, size, fs, want == FlushBackend.JDK_SYNC, o.readOnly());
        }
        LibC.Result fd = LibC.open(path.toString(), (o.readOnly() ? LibC.O_RDONLY : LibC.O_RDWR) | LibC.O_CLOEXEC);
        if (fd.failed()) {
            throw openError(path, fd.errno());
        }
        long reserved = 0;
        long max = Math.max(o.maxSize(), size);
        long base = 0;
        long addr;
        boolean dax = false;
        boolean ok = false;
        try {
            if (o.avoidAddress() != 0) {
                LibC.Result r = LibC.mmap(o.avoidAddress(), max, LibC.PROT_NONE,
                        LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE | LibC.MAP_FIXED_NOREPLACE, -1, 0);
                if (!r.failed()) {
                    reserved = r.value();
                }
            }
            long hint = o.addressHint();
            if (max > size) {
                if (size % LibC.PAGE_SIZE != 0) {
                    throw new MediaException(String.format("cannot reserve %,d bytes for %s: its size %,d is not a multiple"
                            + " of the page size %d", max, path, size, LibC.PAGE_SIZE), "only page-aligned files can grow");
                }
                LibC.Result r = reserveTry(hint, max, o);
                if (r.failed()) {
                    throw mmapError(path, max, r.errno(), o);
                }
                base = r.value();
                hint = base;
            }
            int prot = o.readOnly() ? LibC.PROT_READ : LibC.PROT_READ | LibC.PROT_WRITE;
            addr = LibC.MAP_FAILED;
            if (!o.readOnly() && (want == FlushBackend.AUTO || want == FlushBackend.LIBPMEM)) {
                LibC.Result r = base != 0
                        ? LibC.mmap(base, size, prot, LibC.MAP_SHARED_VALIDATE | LibC.MAP_SYNC | LibC.MAP_FIXED, (int) fd.value(), 0)
                        : mapTry(hint, size, prot, LibC.MAP_SHARED_VALIDATE | LibC.MAP_SYNC, (int) fd.value(), o);
                if (!r.failed()) {
                    addr = r.value();
                    dax = true;
                } else if (r.errno() != LibC.EOPNOTSUPP && r.errno() != LibC.EINVAL) {
                    throw mmapError(path, size, r.errno(), o);
                } else if (base != 0) {
                    // a refused MAP_FIXED leaves the range as it was; put the reservation back to be sure
                    LibC.mmap(base, size, LibC.PROT_NONE, RESERVE_FLAGS | LibC.MAP_FIXED, -1, 0);
                }
            }
            if (addr == LibC.MAP_FAILED) {
                LibC.Result r = base != 0
                        ? LibC.mmap(base, size, prot, LibC.MAP_SHARED | LibC.MAP_FIXED, (int) fd.value(), 0)
                        : mapTry(hint, size, prot, LibC.MAP_SHARED, (int) fd.value(), o);
                if (r.failed()) {
                    throw mmapError(path, size, r.errno(), o);
                }
                addr = r.value();
            }
            ok = true;
        } finally {
            LibC.close((int) fd.value());
            if (reserved != 0) {
                LibC.munmap(reserved, max);
            }
            if (!ok && base != 0) {
                LibC.munmap(base, max);
            }
        }
        if (o.requireAddress() && addr != o.addressHint()) {
            LibC.munmap(addr, max);
            throw new MediaException(String.format("%s could not be mapped at 0x%x as required (the kernel chose 0x%x)",
                    path, o.addressHint(), addr), "free that address range or allow relocation");
        }
        FlushBackend backend;
        Optional<LibPmem> pmem = LibPmem.load();
        switch (want) {
            case LIBPMEM -> backend = FlushBackend.LIBPMEM;
            case MSYNC -> backend = FlushBackend.MSYNC;
            default -> {
                // A growable DAX mapping without libpmem stays here with msync (which writes back a
                // DAX mapping's cache lines too, slower): jdk-sync cannot grow.
                if (dax && pmem.isEmpty() && max == size) {
                    LibC.munmap(addr, size);
                    return jdkMap(path, size, fs, true, o.readOnly());
                }
                backend = pmem.isPresent() && (dax || "tmpfs".equals(fs)) ? FlushBackend.LIBPMEM : FlushBackend.MSYNC;
            }
        }
        if (o.readOnly()) {
            backend = FlushBackend.MSYNC;
        }
        MappedMedia m = new MappedMedia(path, addr, size, max, backend, backend == FlushBackend.LIBPMEM ? pmem.orElseThrow() : null,
                dax, fs, o.readOnly());
        logChoice(m);
        return m;
    }

    static final int RESERVE_FLAGS = LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE;

    /** An anonymous PROT_NONE range of {@code max} bytes, at the hint when it is free. */
    private static LibC.Result reserveTry(long hint, long max, MediaOptions o) {
        if (hint != 0) {
            LibC.Result r = LibC.mmap(hint, max, LibC.PROT_NONE, RESERVE_FLAGS | LibC.MAP_FIXED_NOREPLACE, -1, 0);
            if (!r.failed() || (r.errno() != LibC.EEXIST && r.errno() != LibC.ENOMEM) || o.requireAddress()) {
                return r;
            }
        }
        return LibC.mmap(0, max, LibC.PROT_NONE, RESERVE_FLAGS, -1, 0);
    }

    private static LibC.Result mapTry(long hint, long size, int prot, int flags, int fd, MediaOptions o) {
        if (hint != 0) {
            LibC.Result r = LibC.mmap(hint, size, prot, flags | LibC.MAP_FIXED_NOREPLACE, fd, 0);
            // A hint that is taken (EEXIST) or that no mapping can have (ENOMEM: above the user
            // address space, as a recorded base from another machine or a damaged superblock may
            // be) is only a wish unless the address is required: let the kernel choose. A real
            // shortage of address space fails again below, with the same errno.
            if (!r.failed() || (r.errno() != LibC.EEXIST && r.errno() != LibC.ENOMEM) || o.requireAddress()) {
                return r;
            }
        }
        return LibC.mmap(0, size, prot, flags, fd, 0);
    }

    private static Media jdkMap(Path path, long size, String fs, boolean sync, boolean readOnly) {
        try {
            JdkMappedMedia m = new JdkMappedMedia(path, size, fs, sync, readOnly);
            logChoice(m);
            return m;
        } catch (UnsupportedOperationException | IOException e) {
            if (sync) {
                throw new MediaException("backend jdk-sync needs a DAX file system (MAP_SYNC); " + path + " is on " + fs
                        + ": " + e.getMessage(), "use backend msync or libpmem on this file system", e);
            }
            throw new MediaException("cannot map " + path + " (" + fs + "): " + e.getMessage(),
                    "check that the file system supports mmap and that the file is readable and writable");
        }
    }

    private static MediaException openError(Path path, int errno) {
        String hint = switch (errno) {
            case LibC.EACCES, LibC.EPERM -> "run as a user that may read and write it, or fix its permissions";
            case LibC.ENOENT -> "check the path";
            default -> "check the file";
        };
        return new MediaException("cannot open " + path + ": " + LibC.strerror(errno), hint);
    }

    private static MediaException mmapError(Path path, long size, int errno, MediaOptions o) {
        String hint = switch (errno) {
            case LibC.ENODEV -> "this file system does not support mmap; put the file on tmpfs (/dev/shm), a DAX mount or ext4/xfs";
            case LibC.EEXIST -> "the address range is in use; allow relocation";
            case LibC.ENOMEM -> "not enough address space; check ulimit -v";
            case LibC.EACCES -> "the file must be opened read-write";
            default -> "check the file and the file system";
        };
        return new MediaException(String.format("cannot map %s (%,d bytes%s): %s", path, size,
                o.addressHint() == 0 ? "" : String.format(", hint 0x%x", o.addressHint()), LibC.strerror(errno)), hint);
    }

    private static void logChoice(Media m) {
        String key = m.backend() + "/" + m.fileSystem() + "/" + m.isPersistentMemory();
        LOG.log(LOGGED.add(key) ? Level.INFO : Level.DEBUG, () -> "mapped " + m.describe());
    }
}
