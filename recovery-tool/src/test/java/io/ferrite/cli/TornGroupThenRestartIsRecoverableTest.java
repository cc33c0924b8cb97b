package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.media.Media;
import io.ferrite.media.MediaOptions;
import io.ferrite.pheap.Heap;
import io.ferrite.pheap.PField;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import io.ferrite.pmlog.LogRecordDescriptor;
import io.ferrite.pmlog.PmLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 9, defect 4: a group commit torn by power loss (T1 torn, T2 and T3 intact behind it), then
 * a restart that commits one record exactly over T1 and is killed. The log is then R (new epoch),
 * T2 and T3 (old epoch): T2 can never have been durable, so it is the clean end of the log.
 * {@code Heap.open} recovers this; {@code check}, {@code recover} and {@code log --verify} must
 * agree with it and must not send the operator to a backup.
 */
class TornGroupThenRestartIsRecoverableTest {

    /** LSN and payload offset of every user record after {@code fromLsn} in the pool's log. */
    private static List<long[]> records(Path p, long fromLsn) {
        List<long[]> l = new ArrayList<>();
        try (PoolImage img = PoolImage.open(p, false)) {
            PmLog.inspect(img.media, img.sb.logOffset(), img.sb.logLength(), (lsn, type, seg, off, len) -> {
                if (lsn >= fromLsn) {
                    l.add(new long[] {lsn, off, len});
                }
                return true;
            });
        }
        return l;
    }

    private static long checkpointLsn(Path p) {
        try (PoolImage img = PoolImage.open(p, false)) {
            return img.sb.checkpointLsn();
        }
    }

    private static long firstBalance(Path p) {
        try (Heap h = Heap.open(p, TestPools.options())) {
            Ref first = h.getRef(h.root(TestPools.BANK), TestPools.BANK.field("first"));
            return h.getLong(first, TestPools.ACCOUNT.field("balance"));
        }
    }

    @Test
    void aStaleRecordBehindARestartsRecordIsTheCleanEndNotDamage() throws IOException {
        Path p = TestPools.crashed("torn-group", 4, 3);
        Path copy = TestPools.fresh("torn-group-copy");
        try {
            long cp = checkpointLsn(p);
            List<long[]> t = records(p, cp);
            assertEquals(3, t.size(), "three unapplied transfers T1, T2, T3 after the checkpoint");
            long t1 = t.get(0)[0];
            // The torn group: a word of T1's payload never reached media; T2 and T3 did.
            TestPools.flip(p, t.get(0)[1] + 5, 2);

            // The restart: recovery ends the log at T1; one transfer of the same size lands exactly over T1.
            long before;
            Heap h = Heap.open(p, TestPools.options());
            try {
                Ref first = h.getRef(h.root(TestPools.BANK), TestPools.BANK.field("first"));
                PField balance = TestPools.ACCOUNT.field("balance");
                before = h.getLong(first, balance);
                try (Tx tx = h.begin()) {
                    tx.setLong(first, balance, tx.getLong(first, balance) + 1000);
                    tx.commit();
                }
            } finally {
                h.crash();
            }
            List<long[]> after = records(p, cp);
            assertEquals(1, after.size(), "recovery keeps exactly the restart's record");
            assertEquals(t1, after.get(0)[0], "the restart's record sits exactly over T1");
            assertEquals(t.get(0)[2], after.get(0)[2], "and has T1's size, so T2 follows it in the chain");
            try (Media m = Media.open(p, MediaOptions.defaults().readOnly(true))) {
                long t2Word = t.get(1)[1] - LogRecordDescriptor.PAYLOAD_OFFSET + LogRecordDescriptor.LSN_OFFSET;
                assertEquals(t.get(1)[0], m.segment().get(LogRecordDescriptor.U64, t2Word), "T2 is still intact behind it");
            }

            // What the library recovers, on a copy.
            Files.copy(p, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            long libraryBalance = firstBalance(copy);
            assertEquals(before + 1000, libraryBalance);

            TestPools.Run check = TestPools.run("check", p.toString());
            assertFalse(check.out().contains("restore"), check.toString());
            assertTrue(check.exit() == Ferrite.EXIT_CLEAN || check.out().contains("needs recovery (its last writer crashed)"),
                    "check must report only what recovery fixes: " + check);
            TestPools.Run log = TestPools.run("log", "--verify", p.toString());
            assertEquals(Ferrite.EXIT_CLEAN, log.exit(), log.toString());
            TestPools.Run rec = TestPools.run("recover", p.toString());
            assertEquals(Ferrite.EXIT_REPAIRED, rec.exit(), rec.toString());
            assertEquals(libraryBalance, firstBalance(p), "recover left other data than Heap.open");
            TestPools.Run again = TestPools.run("check", p.toString());
            assertEquals(Ferrite.EXIT_CLEAN, again.exit(), again.toString());
        } finally {
            TestPools.delete(p);
            TestPools.delete(copy);
        }
    }
}
