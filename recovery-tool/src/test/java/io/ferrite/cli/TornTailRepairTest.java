package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.PType;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import io.ferrite.pmlog.LogRecordDescriptor;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code check --repair} drops a torn log tail without touching a record that the repair's own
 * open appends: recovery puts the log's tail at the torn record, so the first record the open
 * writes (here the retirement of a slab the replay left empty) lands at exactly the torn LSN.
 */
class TornTailRepairTest {
    static final PType SCRATCH = PType.builder("Scratch").int64("x").build();
    private Path pool;

    @AfterEach
    void cleanUp() {
        if (pool != null) {
            TestPools.delete(pool);
        }
    }

    @Test
    void theRepairKeepsTheRecordItsOpenAppendsAtTheTornLsn() {
        pool = TestPools.bank("torn-retire", 3);
        Heap h = Heap.open(pool, TestPools.options());
        Ref bank = h.root(TestPools.BANK);
        try (Tx tx = h.begin()) {
            Ref s = tx.allocate(SCRATCH);
            tx.commit();
            try (Tx free = h.begin()) {
                free.free(s);
                free.commit();
            }
        }
        try (Tx tx = h.begin()) { // the record to tear: the open after the crash appends where it starts
            tx.setLong(bank, TestPools.BANK.field("count"), 4);
            tx.commit();
        }
        h.crash();
        io.ferrite.pmlog.LogTailScanner.Entry last = CommandsTest.lastRecord(pool);
        TestPools.flip(pool, last.payloadOffset() + 3, 0);
        TestPools.Run check = TestPools.run("check", pool.toString());
        assertTrue(check.out().contains("torn log tail: torn record at LSN " + last.lsn()), check.toString());

        TestPools.Run r = TestPools.run("check", "--repair", pool.toString());
        assertEquals(Ferrite.EXIT_REPAIRED, r.exit(), r.toString());
        long word = TestPools.u64(pool, last.offset() + LogRecordDescriptor.LSN_OFFSET);
        assertEquals(last.lsn(), word, "the record the repair's open appended at the torn LSN " + last.lsn()
                + " (the empty Scratch slab's retirement) lost its LSN word: " + r.out());
        TestPools.Run after = TestPools.run("check", pool.toString());
        assertEquals(Ferrite.EXIT_CLEAN, after.exit(), after.toString());
    }
}
