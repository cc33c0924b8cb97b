package io.ferrite.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.pmlog.TestFiles;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Mapping, backends, address hints and errors, on /dev/shm. */
class MediaTest {
    private static final long SIZE = 1 << 20;
    private final TestFiles files = new TestFiles();
    private final Path dir = files.dir;

    @AfterEach
    void cleanUp() {
        files.close();
    }

    @Test
    void wrapIsVolatileMediaOverTheCallersSegmentAndLeavesItAlive() {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment seg = arena.allocate(SIZE, 4096);
            seg.set(ValueLayout.JAVA_LONG, 64, 7L);
            Media m = Media.wrap(seg);
            assertEquals(FlushBackend.MEMORY, m.backend());
            assertEquals(SIZE, m.size());
            assertEquals(null, m.path());
            assertFalse(m.isPersistentMemory());
            assertEquals("memory", m.fileSystem());
            assertEquals(7L, m.segment().get(ValueLayout.JAVA_LONG, 64));
            m.segment().set(ValueLayout.JAVA_LONG, 128, 9L);
            m.persist(0, SIZE);
            assertThrows(IndexOutOfBoundsException.class, () -> m.flush(SIZE - 8, 16));
            m.close();
            assertTrue(seg.scope().isAlive(), "close must leave the caller's segment alone");
            assertEquals(9L, seg.get(ValueLayout.JAVA_LONG, 128), "writes go to the caller's segment");
        }
        assertThrows(NullPointerException.class, () -> Media.wrap(null));
    }

    @Test
    void autoOnShmPicksLibpmemWhenItLoads() {
        try (Media m = Media.create(dir.resolve("a"), SIZE, MediaOptions.defaults().backend(FlushBackend.AUTO))) {
            assertEquals("tmpfs", m.fileSystem());
            assertFalse(m.isPersistentMemory(), "tmpfs is not DAX");
            FlushBackend want = LibPmem.load().isPresent() ? FlushBackend.LIBPMEM : FlushBackend.MSYNC;
            assertEquals(want, m.backend(), "libpmem load error: " + LibPmem.loadError());
            assertTrue(m.describe().contains("backend=" + want.configName()), m.describe());
            assertTrue(m.describe().contains("not persistent memory"), m.describe());
            m.segment().set(ValueLayout.JAVA_LONG, 4096, 42L);
            m.persist(4096, 8);
        }
        // This machine has Debian's libpmem1: the emulation must really use it here.
        assertTrue(LibPmem.load().isPresent(), "libpmem1 should be installed: " + LibPmem.loadError());
    }

    @Test
    void explicitMsyncWorksAndBytesSurviveAReopen() {
        Path p = dir.resolve("m");
        try (Media m = Media.create(p, SIZE, MediaOptions.defaults().backend(FlushBackend.MSYNC))) {
            assertEquals(FlushBackend.MSYNC, m.backend());
            for (long off = 0; off < SIZE; off += 4096) {
                m.segment().set(ValueLayout.JAVA_LONG, off, off * 31);
            }
            m.persist(0, SIZE);
            m.persist(123, 1); // an unaligned range is rounded to pages
        }
        try (Media m = Media.open(p, MediaOptions.defaults().backend(FlushBackend.MSYNC))) {
            assertEquals(SIZE, m.size());
            for (long off = 0; off < SIZE; off += 4096) {
                assertEquals(off * 31, m.segment().get(ValueLayout.JAVA_LONG, off));
            }
            assertThrows(IndexOutOfBoundsException.class, () -> m.flush(SIZE - 8, 16));
        }
    }

    @Test
    void jdkSyncOnTmpfsIsAClearError() {
        Path p = dir.resolve("j");
        MediaException e = assertThrows(MediaException.class,
                () -> Media.create(p, SIZE, MediaOptions.defaults().backend(FlushBackend.JDK_SYNC)));
        assertTrue(e.getMessage().contains("jdk-sync") && e.getMessage().contains("DAX")
                && e.getMessage().contains(p.toString()) && e.getMessage().contains("tmpfs"), e.getMessage());
        assertTrue(e.hint().contains("msync"), e.hint());
        assertFalse(Files.exists(p), "a failed create leaves no file behind");
    }

    @Test
    void addressHintIsHonouredWhenFree() {
        Path p = dir.resolve("h");
        long base;
        try (Media m = Media.create(p, SIZE, MediaOptions.defaults())) {
            base = m.baseAddress();
            m.segment().set(ValueLayout.JAVA_LONG, 0, base);
        }
        try (Media m = Media.open(p, MediaOptions.defaults().addressHint(base).requireAddress(true))) {
            assertEquals(base, m.baseAddress());
            assertEquals(base, m.segment().get(ValueLayout.JAVA_LONG, 0));
        }
    }

    @Test
    void avoidAddressMakesTheMappingLandElsewhere() {
        Path p = dir.resolve("v");
        long base;
        try (Media m = Media.create(p, SIZE, MediaOptions.defaults())) {
            base = m.baseAddress();
        }
        try (Media m = Media.open(p, MediaOptions.defaults().avoidAddress(base))) {
            long b = m.baseAddress();
            assertTrue(b + SIZE <= base || b >= base + SIZE,
                    String.format("mapped at 0x%x, overlapping the avoided range at 0x%x", b, base));
        }
        // With a hint at the avoided address' neighbour and avoidance, both rules hold.
        try (Media m = Media.open(p, MediaOptions.defaults().avoidAddress(base).addressHint(base + (4L << 30)))) {
            assertNotEquals(base, m.baseAddress());
        }
    }

    @Test
    void aHintBeyondTheAddressSpaceMapsElsewhere() {
        // A pool's recorded base comes from its superblock: a damaged or moved one may name an
        // address no process can map (above the 47-bit user address space: ENOMEM, not EEXIST).
        // Without requireAddress the hint is only a wish; the mapping lands where the kernel says.
        Path p = dir.resolve("far");
        try (Media m = Media.create(p, SIZE, MediaOptions.defaults())) {
            m.segment().set(ValueLayout.JAVA_LONG, 0, 42);
        }
        for (long hint : new long[] {1L << 47, 1L << 62}) {
            try (Media m = Media.open(p, MediaOptions.defaults().addressHint(hint))) {
                assertNotEquals(hint, m.baseAddress());
                assertEquals(42, m.segment().get(ValueLayout.JAVA_LONG, 0));
            }
        }
    }

    @Test
    void requireAddressAtAnOccupiedAddressFailsClearly() {
        try (Media first = Media.create(dir.resolve("1"), SIZE, MediaOptions.defaults())) {
            Path second = dir.resolve("2");
            try (Media m = Media.create(second, SIZE, MediaOptions.defaults())) {
                assertNotEquals(first.baseAddress(), m.baseAddress());
            }
            MediaException e = assertThrows(MediaException.class, () -> Media.open(second,
                    MediaOptions.defaults().addressHint(first.baseAddress()).requireAddress(true)));
            assertTrue(e.getMessage().contains(second.toString())
                    && e.getMessage().contains(Long.toHexString(first.baseAddress())), e.getMessage());
            assertTrue(e.hint().contains("in use") || e.hint().contains("relocation"), e.hint());
            // Without requireAddress the same hint relocates quietly.
            try (Media m = Media.open(second, MediaOptions.defaults().addressHint(first.baseAddress()))) {
                assertNotEquals(first.baseAddress(), m.baseAddress());
            }
        }
    }

    @Test
    void fileErrorsNameThePathAndWhatToDo() throws IOException {
        Path existing = dir.resolve("e");
        Media.create(existing, 4096, MediaOptions.defaults()).close();
        MediaException e = assertThrows(MediaException.class, () -> Media.create(existing, 4096, MediaOptions.defaults()));
        assertTrue(e.getMessage().contains("already exists") && e.getMessage().contains(existing.toString()), e.getMessage());

        Path missing = dir.resolve("missing");
        e = assertThrows(MediaException.class, () -> Media.open(missing, MediaOptions.defaults()));
        assertTrue(e.getMessage().contains("no such file") && e.getMessage().contains(missing.toString()), e.getMessage());

        Path empty = dir.resolve("empty");
        Files.createFile(empty);
        e = assertThrows(MediaException.class, () -> Media.open(empty, MediaOptions.defaults()));
        assertTrue(e.getMessage().contains("empty") && e.getMessage().contains(empty.toString()), e.getMessage());

        e = assertThrows(MediaException.class, () -> Media.open(dir, MediaOptions.defaults()));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());

        Path noDir = dir.resolve("nodir").resolve("f");
        e = assertThrows(MediaException.class, () -> Media.create(noDir, 4096, MediaOptions.defaults()));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());

        for (MediaException x : new MediaException[] {e}) {
            assertFalse(x.hint().isEmpty());
        }
        assertThrows(io.ferrite.ConfigurationException.class, () -> MediaOptions.defaults().requireAddress(true).conclude());
        assertThrows(io.ferrite.ConfigurationException.class, () -> MediaOptions.defaults().addressHint(4097).conclude());
        assertThrows(IllegalArgumentException.class, () -> FlushBackend.parse("nvme"));
    }
}
