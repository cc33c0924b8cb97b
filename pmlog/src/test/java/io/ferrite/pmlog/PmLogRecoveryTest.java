package io.ferrite.pmlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.FerriteException;
import io.ferrite.media.Media;
import io.ferrite.media.MediaOptions;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Tail recovery, the epoch rule, and bad files: a clear error or the longest valid prefix, never a hang. */
class PmLogRecoveryTest {
    private static final Duration BOUND = Duration.ofSeconds(20);
    private final TestFiles files = new TestFiles();

    @AfterEach
    void cleanUp() {
        files.close();
    }

    private static long ring(long lsn, long capacity) {
        return LogHeaderDescriptor.HEADER_LENGTH + lsn % capacity;
    }

    private static boolean validRecordAt(MemorySegment seg, long rec, long lsn) {
        int len = seg.get(LogRecordDescriptor.U32, rec + LogRecordDescriptor.LENGTH_OFFSET);
        byte[] covered = new byte[LogRecordDescriptor.CRC_COVERED_HEADER_LENGTH + len];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, rec + LogRecordDescriptor.CRC_COVERED_OFFSET, covered, 0, covered.length);
        CRC32C c = new CRC32C();
        c.update(covered);
        return seg.get(LogRecordDescriptor.U64, rec + LogRecordDescriptor.LSN_OFFSET) == lsn
                && seg.get(LogRecordDescriptor.U32, rec + LogRecordDescriptor.CRC_OFFSET) == (int) c.getValue();
    }

    /**
     * The reason for epochs: a run stops at a torn record at X; a valid record of that run sits at
     * Y beyond it. The next run appends records that end exactly at Y. Without the epoch rule the
     * next recovery would take the stale record at Y as the continuation of the log.
     */
    @Test
    void staleRecordAfterANewerOneIsRefused() {
        long capacity = 8192;
        try (Media m = Media.inMemory(PmLog.regionLength(capacity))) {
            long x;
            long y;
            try (PmLog log = PmLog.format(m, 0, m.size(), PmLogOptions.defaults())) {
                for (int i = 0; i < 3; i++) {
                    log.append(TestFiles.payload(1, i, 40), (short) 1);
                }
                x = log.append(TestFiles.payload(1, 3, 40), (short) 1);
                y = log.append(TestFiles.payload(1, 4, 40), (short) 1);
            }
            // Tear the record at X (one payload byte never reached media).
            long recX = ring(x, capacity);
            m.segment().set(ValueLayout.JAVA_BYTE, recX + 30, (byte) ~m.segment().get(ValueLayout.JAVA_BYTE, recX + 30));
            try (PmLog log = PmLog.open(m, 0, m.size(), PmLogOptions.defaults())) {
                RecoveryInfo info = log.recoveryInfo();
                assertEquals(3, info.records(), info.toString());
                assertEquals(x, info.tailLsn());
                assertEquals(LogRecordDescriptor.recordLength(40), info.bytesIgnored());
                assertTrue(info.stopReason().contains("crc"), info.stopReason());
                assertEquals(2, log.epoch());
                // The new run writes one record ending exactly where the stale one begins.
                long lsn = log.append(TestFiles.payload(2, 0, (int) (y - x) - LogRecordDescriptor.HEADER_LENGTH), (short) 2);
                assertEquals(x, lsn);
                assertEquals(y, log.durableLsn());
            }
            // The dangerous situation is really there: a record with a valid CRC and the expected LSN at Y.
            assertTrue(validRecordAt(m.segment(), ring(y, capacity), y));
            assertEquals(1, m.segment().get(LogRecordDescriptor.U32, ring(y, capacity) + LogRecordDescriptor.EPOCH_OFFSET));
            try (PmLog log = PmLog.open(m, 0, m.size(), PmLogOptions.defaults())) {
                RecoveryInfo info = log.recoveryInfo();
                assertEquals(4, info.records(), info.toString());
                assertEquals(y, info.tailLsn());
                assertTrue(info.stopReason().contains("stale") && info.stopReason().contains("epoch 1 after epoch 2"),
                        info.stopReason());
                List<byte[]> got = new ArrayList<>();
                log.read(0, (l, t, s, o, n) -> got.add(s.asSlice(o, n).toArray(ValueLayout.JAVA_BYTE)) || true);
                assertEquals(4, got.size());
                assertArrayEquals(TestFiles.payload(2, 0, (int) (y - x) - LogRecordDescriptor.HEADER_LENGTH), got.get(3));
                // Reclaiming up to the tail: the head slot's epoch floor keeps the stale record out too.
                log.reclaim(log.durableLsn());
                assertEquals(y, log.headLsn());
            }
            try (PmLog log = PmLog.open(m, 0, m.size(), PmLogOptions.defaults())) {
                RecoveryInfo info = log.recoveryInfo();
                assertEquals(y, info.headLsn());
                assertEquals(0, info.records(), info.toString());
                assertEquals(y, info.tailLsn());
                assertTrue(info.stopReason().contains("stale"), info.stopReason());
            }
        }
    }

    @Test
    void inspectReportsWithoutWriting() {
        Path p = files.file("i.log");
        try (PmLog log = PmLog.create(p, 8192, PmLogOptions.defaults())) {
            for (int i = 0; i < 10; i++) {
                log.append(TestFiles.payload(3, i, 30), (short) 1);
            }
        }
        try (Media m = Media.open(p, MediaOptions.defaults().readOnly(true))) {
            RecoveryInfo info = PmLog.inspect(m, 0, m.size());
            assertEquals(10, info.records());
            assertEquals(1, info.epoch());
            assertThrows(IllegalArgumentException.class, () -> PmLog.open(m, 0, m.size(), PmLogOptions.defaults()));
            List<byte[]> got = new ArrayList<>();
            RecoveryInfo all = PmLog.inspect(m, 0, m.size(), (l, t, s, o, n) -> got.add(s.asSlice(o, n).toArray(ValueLayout.JAVA_BYTE)));
            assertEquals(10, got.size());
            assertEquals(10, all.records());
            for (int i = 0; i < 10; i++) {
                assertArrayEquals(TestFiles.payload(3, i, 30), got.get(i));
            }
            RecoveryInfo some = PmLog.inspect(m, 0, m.size(), (l, t, s, o, n) -> false);
            assertEquals(1, some.records());
            assertTrue(some.stopReason().contains("stopped by the reader"), some.stopReason());
        }
    }

    private Path logWith(int records, long capacity, List<byte[]> payloads) {
        Path p = files.file("log-" + System.nanoTime());
        try (PmLog log = PmLog.create(p, capacity, PmLogOptions.defaults())) {
            for (int i = 0; i < records; i++) {
                byte[] b = TestFiles.payload(4, i, 8 + i % 70);
                log.append(b, (short) 1);
                payloads.add(b);
            }
        }
        return p;
    }

    private static void patch(Path p, long offset, byte[] bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.seek(offset);
            f.write(bytes);
        }
    }

    private static <T extends FerriteException> T openFails(Class<T> type, Path p, String... mustContain) {
        T e = assertThrows(type, () -> PmLog.open(p, PmLogOptions.defaults()));
        for (String s : mustContain) {
            assertTrue(e.getMessage().contains(s), "'" + s + "' missing in: " + e.getMessage());
        }
        assertTrue(e.getMessage().contains(p.toString()), "path missing in: " + e.getMessage());
        assertTrue(e.hint().contains("ferrite log --verify"), "hint: " + e.hint());
        return e;
    }

    @Test
    void randomBytesAreNotALog() {
        assertTimeoutPreemptively(BOUND, () -> {
            Random rnd = new Random(1);
            byte[] junk = new byte[(int) PmLog.regionLength(16384)];
            rnd.nextBytes(junk);
            Path p = files.file("junk");
            Files.write(p, junk);
            openFails(LogFormatException.class, p, "not a Ferrite log", "magic", "FERLOG");
            Path small = files.file("small");
            Files.write(small, new byte[100]);
            openFails(LogFormatException.class, small, "too small", "100 bytes");
        });
    }

    @Test
    void truncatedOrExtendedFileIsAClearError() {
        assertTimeoutPreemptively(BOUND, () -> {
            Path p = logWith(20, 16384, new ArrayList<>());
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                f.setLength(12288);
            }
            openFails(LogFormatException.class, p, "size does not match", "capacity=16384", "12288");
            Path q = logWith(20, 16384, new ArrayList<>());
            try (RandomAccessFile f = new RandomAccessFile(q.toFile(), "rw")) {
                f.setLength(PmLog.regionLength(16384) + 4096);
            }
            openFails(LogFormatException.class, q, "size does not match");
            Path r = logWith(20, 16384, new ArrayList<>());
            try (RandomAccessFile f = new RandomAccessFile(r.toFile(), "rw")) {
                f.setLength(3000);
            }
            openFails(LogFormatException.class, r, "too small", "truncated");
        });
    }

    @Test
    void wrongMagicWrongVersionAndBadChecksums() {
        assertTimeoutPreemptively(BOUND, () -> {
            Path magic = logWith(5, 8192, new ArrayList<>());
            patch(magic, 0, "XERLOG".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            openFails(LogFormatException.class, magic, "not a Ferrite log", "XERLOG");

            Path version = logWith(5, 8192, new ArrayList<>());
            patch(version, LogHeaderDescriptor.VERSION_OFFSET, new byte[] {99, 0, 0, 0});
            openFails(LogFormatException.class, version, "unknown log format version 99", "version 1");

            Path crc = logWith(5, 8192, new ArrayList<>());
            patch(crc, LogHeaderDescriptor.MAX_RECORD_SIZE_OFFSET, new byte[] {1});
            openFails(LogCorruptedException.class, crc, "checksum mismatch", "offset " + LogHeaderDescriptor.STATIC_CRC_OFFSET);

            Path slots = logWith(5, 8192, new ArrayList<>());
            patch(slots, LogHeaderDescriptor.HEAD_SLOT0_OFFSET + 12, new byte[] {1, 2, 3, 4});
            patch(slots, LogHeaderDescriptor.HEAD_SLOT1_OFFSET + 12, new byte[] {1, 2, 3, 4});
            openFails(LogCorruptedException.class, slots, "no valid head slot");

            // One torn head slot is survivable: the other one holds.
            Path oneSlot = logWith(5, 8192, new ArrayList<>());
            patch(oneSlot, LogHeaderDescriptor.HEAD_SLOT0_OFFSET + 12, new byte[] {1, 2, 3, 4});
            try (PmLog log = PmLog.open(oneSlot, PmLogOptions.defaults())) {
                assertEquals(5, log.recoveryInfo().records());
            }
        });
    }

    @Test
    void garbageOrTornTailRecoversTheLongestValidPrefix() {
        assertTimeoutPreemptively(BOUND, () -> {
            List<byte[]> payloads = new ArrayList<>();
            Path p = logWith(50, 16384, payloads);
            long lsn30 = 0;
            for (int i = 0; i < 30; i++) {
                lsn30 += LogRecordDescriptor.recordLength(payloads.get(i).length);
            }
            byte[] junk = new byte[2000];
            new Random(3).nextBytes(junk);
            patch(p, LogHeaderDescriptor.HEADER_LENGTH + lsn30, junk);
            try (PmLog log = PmLog.open(p, PmLogOptions.defaults())) {
                RecoveryInfo info = log.recoveryInfo();
                assertEquals(30, info.records(), info.toString());
                assertEquals(lsn30, info.tailLsn());
                List<byte[]> got = new ArrayList<>();
                log.read(0, (l, t, s, o, n) -> got.add(s.asSlice(o, n).toArray(ValueLayout.JAVA_BYTE)) || true);
                for (int i = 0; i < 30; i++) {
                    assertArrayEquals(payloads.get(i), got.get(i));
                }
                // Appending after the dropped tail works, and survives a reopen.
                log.append(new byte[] {1, 2, 3}, (short) 9);
            }
            try (PmLog log = PmLog.open(p, PmLogOptions.defaults())) {
                assertEquals(31, log.recoveryInfo().records());
            }
            // A whole ring of garbage behind a valid header: nothing recovered, no hang.
            Path q = logWith(3, 16384, new ArrayList<>());
            byte[] ring = new byte[16384];
            new Random(4).nextBytes(ring);
            patch(q, LogHeaderDescriptor.HEADER_LENGTH, ring);
            try (PmLog log = PmLog.open(q, PmLogOptions.defaults())) {
                assertEquals(0, log.recoveryInfo().records());
                assertEquals(0, log.recoveryInfo().tailLsn());
            }
        });
    }

    /** Random damage anywhere in the ring: an open never throws, and delivers a prefix of what was written. */
    @Test
    void fuzzedRingsRecoverAPrefix() {
        assertTimeoutPreemptively(BOUND, () -> {
            long capacity = 8192;
            List<byte[]> payloads = new ArrayList<>();
            List<Long> lsns = new ArrayList<>();
            try (Media original = Media.inMemory(PmLog.regionLength(capacity));
                 Media m = Media.inMemory(PmLog.regionLength(capacity))) {
                try (PmLog log = PmLog.format(original, 0, original.size(), PmLogOptions.defaults())) {
                    Random rnd = new Random(5);
                    for (int i = 0; i < 400; i++) {
                        byte[] b = TestFiles.payload(5, i, rnd.nextInt(120));
                        long lsn = log.append(b, (short) 1);
                        payloads.add(b);
                        lsns.add(lsn);
                        if (log.tailLsn() - log.headLsn() > capacity / 2) {
                            log.reclaim(lsns.get(i - 5));
                        }
                    }
                }
                Random rnd = new Random(6);
                for (int round = 0; round < 300; round++) {
                    m.segment().copyFrom(original.segment());
                    int hits = 1 + rnd.nextInt(8);
                    for (int h = 0; h < hits; h++) {
                        long off = LogHeaderDescriptor.HEADER_LENGTH + rnd.nextInt((int) capacity);
                        m.segment().set(ValueLayout.JAVA_BYTE, off, (byte) rnd.nextInt());
                    }
                    try (PmLog log = PmLog.open(m, 0, m.size(), PmLogOptions.defaults())) {
                        int first = lsns.indexOf(log.headLsn());
                        assertTrue(first >= 0, "head " + log.headLsn() + " is not a record of the log");
                        int[] k = {first};
                        int r = round;
                        log.read(log.headLsn(), (l, t, s, o, n) -> {
                            assertEquals((long) lsns.get(k[0]), l, "round " + r);
                            assertArrayEquals(payloads.get(k[0]), s.asSlice(o, n).toArray(ValueLayout.JAVA_BYTE));
                            k[0]++;
                            return true;
                        });
                    }
                }
            }
        });
    }
}
