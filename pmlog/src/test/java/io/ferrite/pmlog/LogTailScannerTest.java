package io.ferrite.pmlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.media.Media;
import io.ferrite.media.MediaOptions;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tail scanner's verdicts, on logs built record by record (the rule itself: docs/pmlog.md). */
class LogTailScannerTest {
    private static final long CAPACITY = 8192;

    private static long ring(long lsn) {
        return LogHeaderDescriptor.HEADER_LENGTH + lsn % CAPACITY;
    }

    private static void tear(Media m, long lsn) {
        long at = ring(lsn) + LogRecordDescriptor.PAYLOAD_OFFSET + 3;
        m.segment().set(ValueLayout.JAVA_BYTE, at, (byte) ~m.segment().get(ValueLayout.JAVA_BYTE, at));
    }

    @Test
    void aTornGroupIsTornWithTheIntactRecordsBehindItReportedAndARestartOverItEndsCleanly() {
        try (Media m = Media.inMemory(PmLog.regionLength(CAPACITY))) {
            long[] lsn = new long[5];
            try (PmLog log = PmLog.format(m, 0, m.size(), PmLogOptions.defaults())) {
                for (int i = 0; i < 5; i++) {
                    lsn[i] = log.append(TestFiles.payload(1, i, 40), (short) 1);
                }
            }
            long end = lsn[4] + LogRecordDescriptor.recordLength(40);
            LogTailScanner.TailScan clean = LogTailScanner.of(m, 0, m.size()).scan(null);
            assertEquals(LogTailScanner.Stop.END_OF_LOG, clean.stop());
            assertEquals(end, clean.endLsn());
            assertEquals(5, clean.records());
            assertEquals(LogTailScanner.Beyond.NONE, clean.beyond());

            // The last group (records 2, 3, 4) torn by power loss: record 2 never fully reached media.
            tear(m, lsn[2]);
            List<Long> seen = new ArrayList<>();
            LogTailScanner scanner = LogTailScanner.of(m, 0, m.size());
            LogTailScanner.TailScan torn = scanner.scan(e -> seen.add(e.lsn()));
            assertEquals(List.of(lsn[0], lsn[1]), seen);
            assertEquals(LogTailScanner.Stop.TORN_RECORD, torn.stop());
            assertEquals(lsn[2], torn.endLsn());
            assertEquals(lsn[2], torn.stopLsn());
            assertEquals(LogRecordDescriptor.recordLength(40), torn.ignoredBytes());
            assertEquals(new LogTailScanner.Beyond(lsn[3], 2, end), torn.beyond());
            assertTrue(torn.reason().contains("torn record at LSN " + lsn[2]), torn.reason());
            assertNull(scanner.at(lsn[2], 1));
            LogTailScanner.Entry third = scanner.at(lsn[3], 1);
            assertNotNull(third);
            assertEquals(lsn[4], scanner.after(third));
            // The library ends the log at the same place.
            assertEquals(lsn[2], PmLog.inspect(m, 0, m.size()).tailLsn());

            // The next run appends one record exactly over record 2 and is killed.
            try (PmLog log = PmLog.open(m, 0, m.size(), PmLogOptions.defaults())) {
                assertEquals(lsn[2], log.append(TestFiles.payload(2, 0, 40), (short) 2));
            }
            LogTailScanner.TailScan restarted = LogTailScanner.of(m, 0, m.size()).scan(null);
            assertEquals(LogTailScanner.Stop.STALE_EPOCH, restarted.stop());
            assertTrue(restarted.stop().clean());
            assertEquals(lsn[3], restarted.endLsn());
            assertEquals(3, restarted.records());
            assertEquals(2, restarted.lastEpoch());
            assertEquals(LogTailScanner.Beyond.NONE, restarted.beyond());
        }
    }

    @Test
    void theScannerReadsReadOnlyMediaAndStopsWhereTheVisitorAsks() {
        try (TestFiles files = new TestFiles()) {
            java.nio.file.Path f = files.file("scanner.log");
            try (PmLog log = PmLog.create(f, CAPACITY, PmLogOptions.defaults())) {
                for (int i = 0; i < 4; i++) {
                    log.append(TestFiles.payload(1, i, 24), (short) 1);
                }
            }
            try (Media m = Media.open(f, MediaOptions.defaults().readOnly(true))) {
                LogHeader h = LogHeader.read(m, 0, m.size());
                assertEquals(CAPACITY, h.capacity());
                assertEquals(2, h.slots().size());
                int[] n = {0};
                LogTailScanner.TailScan t = new LogTailScanner(m.segment(), 0, h).scan(e -> ++n[0] < 2);
                assertEquals(LogTailScanner.Stop.STOPPED_BY_VISITOR, t.stop());
                assertEquals(2, t.records());
                assertEquals(2 * LogRecordDescriptor.recordLength(24), t.endLsn());
            }
        }
    }
}
