package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.format.Crc32c;
import io.ferrite.pheap.format.SuperblockDescriptor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Bad input for every command that takes a pool: one line on standard error that says what is
 * wrong and what to run, the right exit code, a stack trace only with --verbose, and no hang.
 */
class BadInputTest {
    static final String[] COMMANDS = {"info", "check", "recover", "dump", "log"};
    private final List<Path> files = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        files.forEach(TestPools::delete);
    }

    private Path track(Path p) {
        files.add(p);
        return p;
    }

    /** Runs {@code cmd file} and checks the exit code and the one-line error (and --verbose's stack trace). */
    private static void expect(String cmd, Path file, int exit, String... words) {
        TestPools.Run r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(20),
                () -> TestPools.run(cmd, file.toString()));
        assertEquals(exit, r.exit(), cmd + ": " + r);
        assertEquals(1, r.err().lines().count(), cmd + ": not one line: " + r);
        assertTrue(r.err().startsWith("ferrite " + cmd + ": "), r.toString());
        assertFalse(r.err().contains("\tat "), r.toString());
        assertFalse(r.err().contains("internal error"), r.toString());
        for (String w : words) {
            assertTrue(r.err().contains(w), cmd + ": expected '" + w + "' in: " + r.err());
        }
        TestPools.Run v = TestPools.run(cmd, "--verbose", file.toString());
        assertEquals(exit, v.exit(), v.toString());
        if (exit == Ferrite.EXIT_USAGE || !cmd.equals("check")) {
            assertTrue(v.err().contains("\tat "), cmd + " --verbose shows no stack trace: " + v);
        }
    }

    @Test
    void missingFile() {
        Path p = TestPools.fresh("missing");
        for (String c : COMMANDS) {
            expect(c, p, 8, "no such file: " + p, "check the path");
        }
    }

    @Test
    void directoryAndEmptyFile() throws IOException {
        for (String c : COMMANDS) {
            expect(c, TestPools.DIR, 8, "is not a regular file");
        }
        Path empty = track(TestPools.fresh("empty"));
        Files.createFile(empty);
        for (String c : COMMANDS) {
            expect(c, empty, 8, "is empty (0 bytes)");
        }
    }

    @Test
    void notAPool() throws IOException {
        Path p = track(TestPools.fresh("text"));
        Files.writeString(p, "this is a shopping list, not a pool\n".repeat(500));
        for (String c : new String[] {"info", "check", "recover", "dump"}) {
            expect(c, p, 8, "is not a Ferrite pool", "check the path");
        }
        expect("log", p, 8, "is not a Ferrite pool");
    }

    @Test
    void newerFormatVersion() {
        Path p = track(TestPools.bank("newer", 2));
        for (int slot = 0; slot < 2; slot++) {
            long off = SuperblockDescriptor.slotOffset(slot);
            byte[] b = TestPools.read(p, off, SuperblockDescriptor.LENGTH);
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            bb.putInt(SuperblockDescriptor.FORMAT_VERSION_OFFSET, 2);
            bb.putInt(SuperblockDescriptor.CRC_OFFSET, Crc32c.of(MemorySegment.ofArray(b), 0, SuperblockDescriptor.CRC_OFFSET));
            TestPools.patch(p, off, b);
        }
        for (String c : COMMANDS) {
            expect(c, p, 8, "has format version 2; this ferrite reads version 1", "written by a newer Ferrite",
                    "use a ferrite release that knows format version 2");
        }
    }

    @Test
    void poolInUse() {
        Path p = track(TestPools.bank("inuse", 2));
        try (Heap h = Heap.open(p, TestPools.options())) {
            String pid = "pid " + ProcessHandle.current().pid();
            expect("check", p, 8, "is in use: open for writing by " + pid, "ferrite info");
            expect("recover", p, 8, "is in use: open for writing by " + pid);
            TestPools.Run info = TestPools.run("info", p.toString());
            assertEquals(0, info.exit(), info.toString());
            assertTrue(info.out().contains("writer lock: held by " + pid), info.out());
            assertEquals(0, TestPools.run("dump", p.toString()).exit());
            assertEquals(0, TestPools.run("log", p.toString()).exit());
            h.getClass();
        }
        // Released: the lock file stays (pheap never deletes it) but nobody holds it.
        assertEquals(0, TestPools.run("check", p.toString()).exit());
    }

    @Test
    void poolInUseByAnotherProcess() throws Exception {
        Path p = track(TestPools.bank("inuse-child", 2));
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                LockHolder.class.getName(), p.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            var in = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream()));
            assertEquals("ready", in.readLine());
            String pid = "pid " + child.pid();
            expect("check", p, 8, "is in use: open for writing by " + pid, "thread 'main'", "lock file", "stop that process");
            expect("recover", p, 8, "is in use: open for writing by " + pid);
            TestPools.Run info = TestPools.run("info", p.toString());
            assertEquals(0, info.exit(), info.toString());
            assertTrue(info.out().contains("writer lock: held by " + pid), info.out());
            assertTrue(info.out().contains("clean close: NO (crashed, or open now)"), info.out());
        } finally {
            child.destroyForcibly();
            child.waitFor();
        }
        // SIGKILLed: the kernel dropped the lock; the pool needs recovery, and is not in use.
        TestPools.Run check = TestPools.run("check", p.toString());
        assertEquals(4, check.exit(), check.toString());
        assertEquals(1, TestPools.run("recover", p.toString()).exit());
        assertEquals(0, TestPools.run("check", p.toString()).exit());
    }

    @Test
    void truncatedPool() throws IOException {
        Path p = track(TestPools.bank("trunc", 2));
        try (var ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(TestPools.SIZE / 2);
        }
        for (String c : new String[] {"info", "recover", "dump", "log"}) {
            expect(c, p, 4, "bytes but its superblock says " + TestPools.SIZE + " (truncated)", "ferrite check");
        }
        TestPools.Run check = TestPools.run("check", p.toString());
        assertEquals(4, check.exit(), check.toString());
        assertTrue(check.out().contains("(truncated)") && check.out().contains("restore the pool"), check.out());
        Path tiny = track(TestPools.fresh("tiny"));
        Files.write(tiny, TestPools.read(p, 0, 100));
        for (String c : COMMANDS) {
            TestPools.Run r = TestPools.run(c, tiny.toString());
            assertTrue(r.exit() == 4 || r.exit() == 8, r.toString());
            assertEquals(c.equals("check") && r.exit() == 4 ? 0 : 1, r.err().lines().count(), r.toString());
        }
    }

    @Test
    void bothSuperblocksBitFlipped() {
        Path p = track(TestPools.bank("flipped", 2));
        TestPools.flip(p, SuperblockDescriptor.A_OFFSET + SuperblockDescriptor.POOL_SIZE_OFFSET, 3);
        TestPools.flip(p, SuperblockDescriptor.B_OFFSET + SuperblockDescriptor.SLAB_COUNT_OFFSET, 0);
        for (String c : new String[] {"info", "recover", "dump", "log"}) {
            expect(c, p, 4, "both superblocks of pool " + p + " are damaged", "CRC32C mismatch", "ferrite check");
        }
        TestPools.Run check = TestPools.run("check", p.toString());
        assertEquals(4, check.exit(), check.toString());
        assertTrue(check.out().contains("both superblocks"), check.out());
        assertEquals(4, TestPools.run("check", "--repair", p.toString()).exit());
    }

    @Test
    void oneSuperblockFlippedIsRecoveredFromTheOther() {
        Path p = track(TestPools.bank("oneflip", 2));
        TestPools.flip(p, SuperblockDescriptor.A_OFFSET + SuperblockDescriptor.TERM_OFFSET, 5);
        assertEquals(0, TestPools.run("info", p.toString()).exit());
        TestPools.Run check = TestPools.run("check", p.toString());
        assertEquals(4, check.exit(), check.toString());
        assertTrue(check.out().contains("superblock A at offset 0 is CRC32C mismatch"), check.out());
        assertEquals(1, TestPools.run("check", "--repair", p.toString()).exit());
        assertEquals(0, TestPools.run("check", p.toString()).exit());
    }

    @Test
    void registryBitFlipIsFoundByCheckAndStopsDump() {
        Path p = track(TestPools.bank("registry", 2));
        // the Account descriptor is the last one: flip a byte of its name
        long reg = 8192;
        long used = TestPools.u64(p, reg + 16);
        TestPools.flip(p, reg + 64 + used - 40, 1);
        TestPools.Run check = TestPools.run("check", p.toString());
        assertEquals(4, check.exit(), check.toString());
        assertTrue(check.out().contains("CRC32C mismatch"), check.out());
        expect("dump", p, 4, "type registry", "is damaged", "ferrite check");
        assertEquals(4, TestPools.run("info", p.toString()).exit());
    }
}
