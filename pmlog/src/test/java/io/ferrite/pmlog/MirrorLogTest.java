package io.ferrite.pmlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A mirror log: a primary's records stored verbatim, recovered by the mirror's own open. */
class MirrorLogTest {
    private static final long CAPACITY = 16 * 1024;
    private static final int RUNS = 4;
    private static final int RECORDS_PER_RUN = 600;

    private final TestFiles files = new TestFiles();

    @AfterEach
    void cleanUp() {
        files.close();
    }

    /** One record as a scan of the ring finds it: its header fields and its framed bytes (header + payload). */
    record Frame(long lsn, short type, long epoch, boolean padding, byte[] bytes) {
    }

    static List<Frame> frames(PmLog log) {
        List<Frame> out = new ArrayList<>();
        MemorySegment seg = log.media().segment();
        LogTailScanner.of(log.media(), log.regionOffset(), log.regionLength()).scan(e -> {
            int n = LogRecordDescriptor.HEADER_LENGTH + (e.padding() ? 0 : e.length());
            out.add(new Frame(e.lsn(), e.type(), e.epoch(), e.padding(),
                    seg.asSlice(e.offset(), n).toArray(ValueLayout.JAVA_BYTE)));
            return true;
        });
        return out;
    }

    /** The two rings hold the same frames (header and payload bytes) from their heads; returns how many. */
    static int assertSameFrames(PmLog primary, PmLog mirror) {
        List<Frame> pf = frames(primary);
        List<Frame> mf = frames(mirror);
        assertEquals(pf.size(), mf.size());
        for (int i = 0; i < pf.size(); i++) {
            assertEquals(pf.get(i).lsn(), mf.get(i).lsn());
            assertEquals(pf.get(i).epoch(), mf.get(i).epoch());
            assertArrayEquals(pf.get(i).bytes(), mf.get(i).bytes(), "frame at lsn=" + pf.get(i).lsn());
        }
        return pf.size();
    }

    /** Ships every durable frame of {@code primary} from {@code from} to {@code mirror}; returns where shipping stopped. */
    static long ship(PmLog primary, PmLog mirror, long from) {
        long next = from;
        for (int i = 0; i < 1_000_000 && next < primary.durableLsn(); i++) {
            next = primary.reader().pollFrames(next, (lsn, seg, off, len) -> {
                assertEquals(mirror.tailLsn(), lsn);
                assertEquals(mirror.appendMirrored(seg, off, len), mirror.tailLsn());
                return true;
            }, 32);
        }
        assertEquals(primary.durableLsn(), next);
        return next;
    }

    @Test
    void mirrorOfAPrimaryAcrossWrapsPaddingAndRestartsRecoversToTheSameRecords() {
        Path p = files.file("primary.log");
        Path m = files.file("mirror.log");
        Random rnd = new Random(42);
        long shipped = 0;
        TreeSet<Long> epochs = new TreeSet<>();
        PmLog.create(p, CAPACITY, PmLogOptions.defaults()).close();
        PmLog.createMirror(m, CAPACITY, 0, PmLogOptions.defaults()).close();
        List<Long> lsns = new ArrayList<>();
        int abandoned = 0;
        long compared = 0;
        for (int run = 0; run < RUNS; run++) {
            try (PmLog primary = PmLog.open(p, PmLogOptions.defaults());
                 PmLog mirror = PmLog.open(m, PmLogOptions.defaults())) {
                assertTrue(mirror.isMirror());
                assertFalse(primary.isMirror());
                assertEquals(shipped, mirror.tailLsn(), "the mirror reopens at the tail it had");
                assertEquals(epochs.isEmpty() ? 1 : epochs.last(), mirror.epoch(), "a mirror's open keeps its epoch");
                epochs.add(primary.epoch());
                for (int i = 0; i < RECORDS_PER_RUN; i++) {
                    if (i == RECORDS_PER_RUN / 2) {
                        // A reservation whose writer fails becomes padding in the middle of the ring.
                        assertThrows(IllegalStateException.class, () -> primary.append(100, (short) 9,
                                (seg, off, len) -> {
                                    throw new IllegalStateException("writer failed");
                                }));
                        abandoned++;
                    }
                    lsns.add(primary.append(TestFiles.payload(run, i, rnd.nextInt(700)), (short) (1 + rnd.nextInt(5))));
                    if (i % 8 == 7) {
                        shipped = ship(primary, mirror, shipped);
                        compared += assertSameFrames(primary, mirror);
                        // Both keep the same window: the last 16 records.
                        long keep = lsns.get(Math.max(0, lsns.size() - 16));
                        primary.reclaim(keep);
                        mirror.reclaim(keep);
                    }
                }
                shipped = ship(primary, mirror, shipped);
                assertEquals(primary.epoch(), mirror.epoch(), "the mirror's epoch word follows the records it holds");
            }
        }
        try (PmLog primary = PmLog.open(p, PmLogOptions.defaults());
             PmLog mirror = PmLog.open(m, PmLogOptions.defaults())) {
            assertEquals(primary.recoveryInfo().headLsn(), mirror.recoveryInfo().headLsn());
            assertEquals(primary.recoveryInfo().tailLsn(), mirror.recoveryInfo().tailLsn());
            assertEquals(primary.recoveryInfo().records(), mirror.recoveryInfo().records());
            assertEquals(shipped, mirror.tailLsn());
            List<PmLogTest.Rec> want = PmLogTest.readAll(primary, primary.headLsn());
            List<PmLogTest.Rec> got = PmLogTest.readAll(mirror, mirror.headLsn());
            assertEquals(want.size(), got.size());
            for (int i = 0; i < want.size(); i++) {
                assertEquals(want.get(i).lsn(), got.get(i).lsn());
                assertEquals(want.get(i).type(), got.get(i).type());
                assertArrayEquals(want.get(i).payload(), got.get(i).payload(), "payload at lsn=" + want.get(i).lsn());
            }
            int retained = assertSameFrames(primary, mirror);
            assertTrue(shipped > 10 * CAPACITY, "wrapped many times: " + shipped);
            System.out.println("pmlog mirror: " + lsns.size() + " records of " + RUNS + " primary runs (epochs "
                    + epochs + ", " + abandoned + " abandoned reservations) mirrored over " + shipped / CAPACITY
                    + " laps; " + compared + " frames compared byte for byte along the way; the reopened mirror holds the"
                    + " primary's " + retained + " retained frames");
        }
    }

    /** A record framed as a primary frames it, with any epoch. */
    static byte[] frame(long lsn, short type, long epoch, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(LogRecordDescriptor.HEADER_LENGTH + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(LogRecordDescriptor.LENGTH_OFFSET, payload.length);
        b.putLong(LogRecordDescriptor.LSN_OFFSET, lsn);
        b.putLong(LogRecordDescriptor.TYPE_OFFSET, LogRecordDescriptor.packTypeFlagsEpoch(type, (short) 0, epoch));
        b.put(LogRecordDescriptor.PAYLOAD_OFFSET, payload);
        CRC32C c = new CRC32C();
        c.update(b.array(), LogRecordDescriptor.CRC_COVERED_OFFSET, b.capacity() - LogRecordDescriptor.CRC_COVERED_OFFSET);
        b.putInt(LogRecordDescriptor.CRC_OFFSET, (int) c.getValue());
        return b.array();
    }

    static long append(PmLog mirror, byte[] frame) {
        return mirror.appendMirrored(MemorySegment.ofArray(frame), 0, frame.length);
    }

    @Test
    void aGapARepeatABadCrcAnEpochGoingBackAndOwnAppendsAreRefused() {
        try (PmLog mirror = PmLog.createMirror(files.file("m.log"), CAPACITY, 0, PmLogOptions.defaults())) {
            long l1 = append(mirror, frame(0, (short) 1, 3, TestFiles.payload(0, 0, 40)));
            assertEquals(LogRecordDescriptor.recordLength(40), l1);
            assertEquals(3, mirror.epoch(), "the epoch word rose to the first record's epoch");
            long l2 = l1 + LogRecordDescriptor.recordLength(40);

            MirrorFrameException e = assertThrows(MirrorFrameException.class,
                    () -> append(mirror, frame(l2, (short) 1, 3, TestFiles.payload(0, 2, 40))));
            assertEquals(l2, e.lsn());
            assertEquals(l1, e.expectedLsn());
            assertTrue(e.getMessage().contains("at LSN " + l2) && e.getMessage().contains("gap")
                    && e.getMessage().contains("expects LSN " + l1), e.getMessage());

            e = assertThrows(MirrorFrameException.class, () -> append(mirror, frame(0, (short) 1, 3, new byte[40])));
            assertTrue(e.getMessage().contains("repeat") && e.getMessage().contains("LSN 0"), e.getMessage());

            byte[] bad = frame(l1, (short) 1, 3, TestFiles.payload(0, 1, 40));
            bad[LogRecordDescriptor.PAYLOAD_OFFSET + 7] ^= 0x10;
            e = assertThrows(MirrorFrameException.class, () -> append(mirror, bad));
            assertTrue(e.getMessage().contains("at LSN " + l1) && e.getMessage().contains("CRC32C mismatch"),
                    e.getMessage());

            e = assertThrows(MirrorFrameException.class, () -> append(mirror, frame(l1, (short) 1, 2, new byte[8])));
            assertTrue(e.getMessage().contains("at LSN " + l1) && e.getMessage().contains("epoch 2 is below epoch 3"),
                    e.getMessage());

            byte[] shortFrame = frame(l1, (short) 1, 3, new byte[40]);
            e = assertThrows(MirrorFrameException.class,
                    () -> mirror.appendMirrored(MemorySegment.ofArray(shortFrame), 0, shortFrame.length - 1));
            assertTrue(e.getMessage().contains("at LSN " + l1) && e.getMessage().contains("its header says"),
                    e.getMessage());

            // Nothing of a refused frame was written: the mirror still expects l1, and takes it.
            assertEquals(l1, mirror.tailLsn());
            assertEquals(l2, append(mirror, frame(l1, (short) 1, 4, TestFiles.payload(0, 1, 40))));
            assertEquals(4, mirror.epoch());
            assertThrows(IllegalStateException.class, () -> mirror.append(new byte[8], (short) 1));
        }
        try (PmLog mirror = PmLog.open(files.file("m.log"), PmLogOptions.defaults())) {
            assertEquals(2, mirror.recoveryInfo().records());
            assertEquals(4, mirror.epoch());
        }
        try (PmLog primary = PmLog.create(files.file("p.log"), CAPACITY, PmLogOptions.defaults())) {
            assertThrows(IllegalStateException.class, () -> append(primary, frame(0, (short) 1, 1, new byte[8])));
        }
    }

    @Test
    void aMirrorWithAnotherCapacityIsRefusedAtTheFirstRecordThatDoesNotFitItsRing() {
        try (PmLog primary = PmLog.create(files.file("p.log"), CAPACITY, PmLogOptions.defaults());
             PmLog mirror = PmLog.createMirror(files.file("m.log"), CAPACITY / 2, 0, PmLogOptions.defaults())) {
            for (int i = 0; i < 120; i++) {
                primary.append(new byte[i % 2 == 0 ? 40 : 100], (short) 1);
            }
            long[] next = {0};
            MirrorFrameException e = assertThrows(MirrorFrameException.class, () -> {
                for (int i = 0; i < 1_000 && next[0] < primary.durableLsn(); i++) {
                    next[0] = primary.reader().pollFrames(next[0], (lsn, seg, off, len) -> {
                        mirror.appendMirrored(seg, off, len);
                        mirror.reclaim(mirror.durableLsn());
                        return true;
                    }, 1);
                }
            });
            assertTrue(e.lsn() < CAPACITY / 2 && e.lsn() > CAPACITY / 2 - 128, "refused at lsn=" + e.lsn());
            assertTrue(e.getMessage().contains("at LSN " + e.lsn()) && e.getMessage().contains("capacity=" + CAPACITY / 2),
                    e.getMessage());
        }
    }

    @Test
    void aHeaderWithAFlagThisBuildDoesNotKnowIsRefused() {
        Path p = files.file("flags.log");
        PmLog.create(p, CAPACITY, PmLogOptions.defaults()).close();
        try (io.ferrite.media.Media media = io.ferrite.media.Media.open(p, io.ferrite.media.MediaOptions.defaults())) {
            MemorySegment seg = media.segment();
            seg.set(LogRecordDescriptor.U32, LogHeaderDescriptor.FLAGS_OFFSET, 2);
            CRC32C c = new CRC32C();
            c.update(seg.asSlice(0, LogHeaderDescriptor.STATIC_LENGTH).asByteBuffer());
            seg.set(LogRecordDescriptor.U32, LogHeaderDescriptor.STATIC_CRC_OFFSET, (int) c.getValue());
            media.persist(0, LogHeaderDescriptor.HEADER_LENGTH);
        }
        LogFormatException e = assertThrows(LogFormatException.class, () -> PmLog.open(p, PmLogOptions.defaults()));
        assertTrue(e.getMessage().contains("unknown header flags 0x00000002 at offset 28"), e.getMessage());
    }

    @Test
    void aMirrorStartsWhereItsPrimarysRecordsStart() {
        try (PmLog primary = PmLog.create(files.file("p.log"), CAPACITY, PmLogOptions.defaults())) {
            for (int i = 0; i < 40; i++) {
                primary.append(TestFiles.payload(1, i, 300), (short) 2);
            }
            long start = primary.durableLsn();
            primary.reclaim(start);
            for (int i = 40; i < 80; i++) {
                primary.append(TestFiles.payload(1, i, 300), (short) 2);
            }
            try (PmLog mirror = PmLog.createMirror(files.file("m.log"), CAPACITY, start, PmLogOptions.defaults())) {
                assertEquals(start, mirror.headLsn());
                assertEquals(start, mirror.tailLsn());
                ship(primary, mirror, start);
            }
            try (PmLog mirror = PmLog.open(files.file("m.log"), PmLogOptions.defaults())) {
                assertEquals(start, mirror.recoveryInfo().headLsn());
                assertEquals(40, mirror.recoveryInfo().records());
                List<PmLogTest.Rec> got = PmLogTest.readAll(mirror, start);
                List<PmLogTest.Rec> want = PmLogTest.readAll(primary, start);
                assertEquals(want.size(), got.size());
                for (int i = 0; i < want.size(); i++) {
                    assertArrayEquals(want.get(i).payload(), got.get(i).payload());
                }
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PmLog.createMirror(files.file("m2.log"), CAPACITY, 100, PmLogOptions.defaults()));
            assertTrue(e.getMessage().contains("startLsn=100"), e.getMessage());
        }
    }
}
