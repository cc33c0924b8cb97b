package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.pheap.Heap;
import io.ferrite.pmlog.LogTailScanner;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A pool whose last writer crashed in the middle of an append, recovered (by {@code ferrite recover}
 * or by the application's own open) and closed cleanly, keeps the torn append's bytes at its log's
 * end: recovery ignores them and the next append overwrites them. {@code ferrite check} must call
 * that pool clean, not "needs recovery": otherwise check sends the operator to recover, and recover
 * changes nothing that check then sees.
 */
class CheckIsCleanOnceATornTailWasRecoveredTest {
    private Path pool;

    @AfterEach
    void cleanUp() {
        if (pool != null) {
            TestPools.delete(pool);
        }
    }

    /** A crashed pool whose last record is torn (one flipped payload bit); returns that record. */
    private LogTailScanner.Entry crashedWithATornLastRecord(String name) {
        pool = TestPools.crashed(name, 3, 4);
        LogTailScanner.Entry last = CommandsTest.lastRecord(pool);
        TestPools.flip(pool, last.payloadOffset() + 3, 0);
        TestPools.Run check = TestPools.runCheck(pool.toString());
        assertEquals(Ferrite.EXIT_ERRORS_LEFT, check.exit(), check.toString());
        assertTrue(check.out().contains("torn log tail: torn record at LSN " + last.lsn()), check.toString());
        return last;
    }

    @Test
    void checkAfterRecoverIsClean() {
        crashedWithATornLastRecord("torn-recover");
        TestPools.Run rec = TestPools.run("recover", pool.toString());
        assertEquals(Ferrite.EXIT_REPAIRED, rec.exit(), rec.toString());
        TestPools.Run after = TestPools.runCheck(pool.toString());
        assertEquals(Ferrite.EXIT_CLEAN, after.exit(), "check after recover: " + after);
        assertTrue(after.out().contains("warning: log"), after.toString());
    }

    @Test
    void checkAfterTheApplicationsOwnRecoveryIsClean() {
        LogTailScanner.Entry torn = crashedWithATornLastRecord("torn-open");
        try (Heap h = Heap.open(pool, TestPools.options())) {
            assertEquals(torn.lsn(), h.recoveryReport().toLsn(), "recovery ends the log at the torn record");
        }
        TestPools.Run after = TestPools.runCheck(pool.toString());
        assertEquals(Ferrite.EXIT_CLEAN, after.exit(), "check after the pool was reopened and closed: " + after);
        TestPools.Run repair = TestPools.runCheck("--repair", pool.toString());
        assertEquals(Ferrite.EXIT_CLEAN, repair.exit(), repair.toString());
        assertTrue(repair.out().contains("--repair: nothing to repair"), repair.toString());
    }
}
