package io.ferrite.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ferrite.pmlog.TestFiles;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Reservation of the maximum range, the file over its prefix, growth in place; on /dev/shm and a small tmpfs. */
class MediaGrowthTest {
    private static final long MIB = 1 << 20;
    private final TestFiles files = new TestFiles();

    @AfterEach
    void cleanUp() {
        files.close();
    }

    @Test
    void growthMapsMoreOfTheFileAtTheFollowingAddressesAndNoPointerMoves() throws IOException {
        Path p = files.file("grow");
        long max = 64 * MIB;
        int steps = 0;
        try (Media m = Media.create(p, MIB, MediaOptions.defaults().backend(FlushBackend.MSYNC).maxSize(max))) {
            long base = m.baseAddress();
            assertEquals(MIB, m.size());
            assertEquals(max, m.maxSize());
            m.segment().set(ValueLayout.JAVA_LONG, 8, 0x1111L);
            m.persist(8, 8);
            MemorySegment before = m.segment();
            for (long size = 2 * MIB; size <= max; size *= 2) {
                long old = m.size();
                m.grow(size);
                steps++;
                assertEquals(base, m.baseAddress(), "growth must not move the mapping");
                assertEquals(size, m.size());
                assertEquals(size, m.segment().byteSize());
                assertEquals(size, Files.size(p), "the file is as long as the mapping, not as the maximum");
                assertEquals(0x1111L, m.segment().get(ValueLayout.JAVA_LONG, 8), "old bytes stay");
                assertEquals(0L, m.segment().get(ValueLayout.JAVA_LONG, size - 8), "new bytes read as zero");
                m.segment().set(ValueLayout.JAVA_LONG, old, size);
                m.persist(old, 8);
            }
            assertEquals(MIB, before.byteSize(), "a segment fetched before growth keeps its size");
            assertEquals(0x1111L, before.get(ValueLayout.JAVA_LONG, 8), "and stays valid");
            m.grow(max);
            assertThrows(IllegalArgumentException.class, () -> m.grow(max + MIB), "beyond the maximum");
            assertThrows(IllegalArgumentException.class, () -> m.grow(MIB), "shrinking");
        }
        try (Media m = Media.open(p, MediaOptions.defaults().backend(FlushBackend.MSYNC).maxSize(2 * max))) {
            assertEquals(max, m.size(), "reopened at the file's size");
            assertEquals(2 * max, m.maxSize());
            assertEquals(0x1111L, m.segment().get(ValueLayout.JAVA_LONG, 8));
            for (long size = 2 * MIB; size <= max; size *= 2) {
                assertEquals(size, m.segment().get(ValueLayout.JAVA_LONG, size / 2), "written after growth to " + size);
            }
            m.grow(2 * max);
            assertEquals(2 * max, Files.size(p));
        }
        System.out.println("media growth: " + steps + " growth steps checked, base address kept");
    }

    @Test
    void aReservedMappingLandsAtItsHintAndCanBeRequired() {
        Path p = files.file("hint");
        long base;
        try (Media m = Media.create(p, MIB, MediaOptions.defaults().backend(FlushBackend.MSYNC).maxSize(16 * MIB))) {
            base = m.baseAddress();
        }
        try (Media m = Media.open(p, MediaOptions.defaults().backend(FlushBackend.MSYNC).maxSize(16 * MIB)
                .addressHint(base).requireAddress(true))) {
            assertEquals(base, m.baseAddress());
            m.grow(4 * MIB);
            assertEquals(base, m.baseAddress());
            try (Media other = Media.open(p, MediaOptions.defaults().backend(FlushBackend.MSYNC).maxSize(16 * MIB)
                    .addressHint(base))) {
                assertTrue(other.baseAddress() != base, "a taken hint relocates the second mapping");
                assertEquals(4 * MIB, other.size());
            }
            assertThrows(MediaException.class, () -> Media.open(p, MediaOptions.defaults().backend(FlushBackend.MSYNC)
                    .maxSize(16 * MIB).addressHint(base + 8 * MIB).requireAddress(true)),
                    "the reservation covers the whole maximum: an address inside it is taken");
        }
    }

    @Test
    void autoBackendGrowsToo() {
        Path p = files.file("auto");
        try (Media m = Media.create(p, MIB, MediaOptions.defaults().maxSize(8 * MIB))) {
            m.grow(8 * MIB);
            m.segment().set(ValueLayout.JAVA_LONG, 8 * MIB - 8, 5L);
            m.persist(8 * MIB - 8, 8);
            System.out.println("auto backend grew: " + m.describe());
        }
    }

    @Test
    void mediaWithoutReservationRefusesToGrowAndJdkSyncRefusesAMaximum() {
        Path p = files.file("fixed");
        try (Media m = Media.create(p, MIB, MediaOptions.defaults().backend(FlushBackend.MSYNC))) {
            assertEquals(MIB, m.maxSize());
            assertThrows(IllegalArgumentException.class, () -> m.grow(2 * MIB));
        }
        assertThrows(io.ferrite.ConfigurationException.class,
                () -> MediaOptions.defaults().backend(FlushBackend.JDK_SYNC).maxSize(8 * MIB).conclude());
        assertThrows(io.ferrite.ConfigurationException.class, () -> MediaOptions.defaults().maxSize(4097).conclude());
    }

    @Test
    void inMemoryAndCrashSimMediaGrowInPlace() {
        try (CrashSimMedia c = CrashSimMedia.inMemory(64 * 1024, 1024 * 1024)) {
            long base = c.baseAddress();
            c.segment().set(ValueLayout.JAVA_LONG, 0, 9L);
            c.persist(0, 8);
            c.grow(256 * 1024);
            assertEquals(base, c.baseAddress());
            c.segment().set(ValueLayout.JAVA_LONG, 200 * 1024, 7L);
            c.flush(200 * 1024, 8);
            long[] sizes = new long[1];
            c.onCrashPoint(cp -> sizes[0] = cp.size());
            c.fence();
            assertEquals(256 * 1024, sizes[0], "images have the grown size");
            try (Media img = c.crashPoint().image(new java.util.Random(1))) {
                assertEquals(9L, img.segment().get(ValueLayout.JAVA_LONG, 0));
                assertEquals(7L, img.segment().get(ValueLayout.JAVA_LONG, 200 * 1024));
            }
        }
    }

    /** A real full file system: a 4 MiB tmpfs mounted for this test (needs root); skipped otherwise. */
    @Test
    void growthOnAFullFileSystemFailsCleanlyAndLeavesTheOldSize() throws Exception {
        Path mnt = Files.createTempDirectory("ferrite-small-tmpfs-");
        boolean mounted = run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt.toString()) == 0;
        try {
            assumeTrue(mounted, "cannot mount a small tmpfs here (not root?): test skipped");
            Path p = mnt.resolve("pool");
            try (Media m = Media.create(p, MIB, MediaOptions.defaults().backend(FlushBackend.MSYNC).maxSize(64 * MIB))) {
                m.segment().set(ValueLayout.JAVA_LONG, 64, 3L);
                m.persist(64, 8);
                m.grow(2 * MIB);
                MediaFullException e = assertThrows(MediaFullException.class, () -> m.grow(16 * MIB));
                System.out.println("full tmpfs: " + e.getMessage());
                assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
                assertTrue(e.getMessage().contains("bytes free"), e.getMessage());
                assertTrue(e.freeBytes() >= 0 && e.freeBytes() < 16 * MIB, "free=" + e.freeBytes());
                assertEquals(2 * MIB, m.size(), "nothing half-done: the old size stays");
                assertEquals(2 * MIB, Files.size(p), "the file keeps its old length");
                assertEquals(3L, m.segment().get(ValueLayout.JAVA_LONG, 64));
                m.segment().set(ValueLayout.JAVA_LONG, 2 * MIB - 8, 4L);
                m.persist(2 * MIB - 8, 8);
            }
            Files.delete(p);
        } finally {
            if (mounted) {
                run("umount", mnt.toString());
            }
            Files.deleteIfExists(mnt);
        }
    }

    private static int run(String... cmd) throws Exception {
        Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!pr.waitFor(30, TimeUnit.SECONDS)) {
                return -1;
            }
            return pr.exitValue();
        } finally {
            pr.destroyForcibly();
        }
    }
}
