package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import io.ferrite.pheap.format.SlabHeaderDescriptor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Each command against pools made by the library: clean, crashed, torn, leaked, damaged. */
class CommandsTest {
    private final List<Path> pools = new ArrayList<>();

    private Path track(Path p) {
        pools.add(p);
        return p;
    }

    @AfterEach
    void cleanUp() {
        pools.forEach(TestPools::delete);
    }

    private static TestPools.Run run(String... args) {
        return TestPools.run(args);
    }

    @Test
    void cleanPoolIsCleanEverywhere() {
        Path p = track(TestPools.bank("clean", 5));
        TestPools.Run info = run("info", p.toString());
        assertEquals(0, info.exit(), info.toString());
        assertTrue(info.out().contains("clean close: yes"), info.out());
        assertTrue(info.out().contains("#14  Account, struct, 32 bytes, 5 objects in 1 slab(s)"), info.out());
        assertTrue(info.out().contains("replication slots: none (replication not built yet)"), info.out());
        TestPools.Run check = run("check", p.toString());
        assertEquals(0, check.exit(), check.toString());
        assertTrue(check.out().contains("reachability: 11 objects reachable from the root, 0 leaked"), check.out());
        TestPools.Run dump = run("dump", "--type", "Account", p.toString());
        assertEquals(0, dump.exit(), dump.toString());
        assertTrue(dump.out().contains("owner -> ferrite.blob.16@") && dump.out().contains("\"owner-3\""), dump.out());
        assertTrue(dump.out().endsWith("(5 objects)\n"), dump.out());
        TestPools.Run log = run("log", "--verify", p.toString());
        assertEquals(0, log.exit(), log.toString());
        TestPools.Run rec = run("recover", p.toString());
        assertEquals(0, rec.exit(), rec.toString());
        assertTrue(rec.out().contains("nothing to recover"), rec.out());
        // --repair on a clean pool changes nothing and says so.
        byte[] before = TestPools.read(p, 0, (int) TestPools.SIZE);
        TestPools.Run repair = run("check", "--repair", p.toString());
        assertEquals(0, repair.exit(), repair.toString());
        assertTrue(repair.out().contains("nothing to repair"), repair.out());
        assertTrue(java.util.Arrays.equals(before, TestPools.read(p, 0, (int) TestPools.SIZE)), "--repair wrote to a clean pool");
    }

    @Test
    void largeObjectsAreCheckedDumpedAndFreed() {
        Path p = track(TestPools.bank("large", 2));
        try (Heap h = Heap.open(p, TestPools.options())) {
            Ref bank = h.root(TestPools.BANK);
            Ref first = h.getRef(bank, TestPools.BANK.field("first"));
            try (Tx tx = h.begin()) {
                tx.free(tx.getRef(first, TestPools.ACCOUNT.field("owner")));
                tx.setRef(first, TestPools.ACCOUNT.field("owner"), tx.allocateString("x".repeat(100_000)));
                tx.commit();
            }
        }
        TestPools.Run check = run("check", p.toString());
        assertEquals(0, check.exit(), check.toString());
        TestPools.Run info = run("info", p.toString());
        assertTrue(info.out().contains("#1   ferrite.blob, blob (variable size), 8 bytes, 1 objects in 2 slab(s)"), info.out());
        TestPools.Run dump = run("dump", "--type", "Account", p.toString());
        assertEquals(0, dump.exit(), dump.toString());
        assertTrue(dump.out().contains("owner -> ferrite.blob@") && dump.out().contains("xxx... (100000 bytes)"), dump.out());
        // free it: the run of slabs goes back to free, zeroed
        try (Heap h = Heap.open(p, TestPools.options())) {
            Ref first = h.getRef(h.root(TestPools.BANK), TestPools.BANK.field("first"));
            try (Tx tx = h.begin()) {
                Ref blob = tx.getRef(first, TestPools.ACCOUNT.field("owner"));
                tx.setRef(first, TestPools.ACCOUNT.field("owner"), null);
                tx.free(blob);
                tx.commit();
            }
        }
        TestPools.Run after = run("check", p.toString());
        assertEquals(0, after.exit(), after.toString());
        assertTrue(run("info", p.toString()).out().contains("#1   ferrite.blob, blob (variable size), 8 bytes: {"));
    }

    @Test
    void aDamagedLogHeadSlotIsAWarningOnly() {
        Path p = track(TestPools.bank("headslot", 2));
        long logOffset;
        int inactive;
        try (PoolImage img = PoolImage.open(p, false)) {
            logOffset = img.sb.logOffset();
            LogScan l = LogScan.open(img.media, logOffset, img.sb.logLength());
            inactive = 1 - l.activeSlot;
        }
        TestPools.flip(p, logOffset + io.ferrite.pmlog.LogHeaderDescriptor.headSlotOffset(inactive) + 2, 4);
        TestPools.Run check = run("check", p.toString());
        assertEquals(0, check.exit(), check.toString());
        assertTrue(check.out().contains("warning: log @") && check.out().contains("head slot " + inactive + " is invalid"), check.out());
    }

    @Test
    void infoNeverChangesAByte() {
        Path p = track(TestPools.crashed("ro", 4, 3));
        byte[] before = TestPools.read(p, 0, (int) TestPools.SIZE);
        for (String[] a : new String[][] {{"info", p.toString()}, {"info", "--json", p.toString()}, {"check", p.toString()},
                {"dump", "--root", p.toString()}, {"log", "--verify", p.toString()}}) {
            run(a);
        }
        assertTrue(java.util.Arrays.equals(before, TestPools.read(p, 0, (int) TestPools.SIZE)), "a read-only command wrote");
    }

    @Test
    void crashedPoolNeedsRecoveryThenRecoverMakesItClean() {
        Path p = track(TestPools.crashed("crash", 4, 3));
        TestPools.Run info = run("info", "--json", p.toString());
        assertEquals(0, info.exit(), info.toString());
        assertTrue(info.out().contains("\"recordsToReplay\": 3"), info.out());
        assertTrue(info.out().contains("\"cleanClose\": false"), info.out());
        TestPools.Run check = run("check", p.toString());
        assertEquals(4, check.exit(), check.toString());
        assertTrue(check.out().contains("needs recovery: superblock") && check.out().contains("not closed cleanly") && check.out().contains("needs recovery (its last writer crashed): run `ferrite recover"), check.out());
        assertTrue(check.out().contains("3 redo records after checkpoint LSN"), check.out());
        TestPools.Run json = run("check", "--json", p.toString());
        assertEquals(4, json.exit(), json.toString());
        assertTrue(json.out().startsWith("{") && json.out().contains("\"clean\": false") && json.out().contains("\"exitCode\": 4")
                && json.out().contains("\"severity\": \"recovery\"") && json.out().contains("\"recordsToReplay\": 3"), json.out());
        TestPools.Run logJson = run("log", "--json", p.toString());
        assertEquals(0, logJson.exit(), logJson.toString());
        assertEquals(3, logJson.out().lines().filter(x -> x.contains("\"state\": \"to replay\"")).count(), logJson.out());
        assertTrue(logJson.out().contains("\"kind\": \"pool log region\"") && logJson.out().contains("\"clean\": true"), logJson.out());
        TestPools.Run log = run("log", p.toString());
        assertEquals(0, log.exit(), log.toString());
        assertEquals(3, log.out().lines().filter(l -> l.contains("redo") && l.contains("to replay")).count(), log.out());
        TestPools.Run dump = run("dump", "--type", "Account", p.toString());
        assertEquals(0, dump.exit(), dump.toString());
        assertTrue(dump.err().contains("3 log records replayed in memory"), dump.err());
        assertTrue(dump.out().contains("balance = 103"), dump.out());
        TestPools.Run rec = run("recover", "--json", p.toString());
        assertEquals(1, rec.exit(), rec.toString());
        assertTrue(rec.out().contains("\"recordsReplayed\": 3") && rec.out().contains("\"cleanClose\": false")
                && rec.out().contains("\"markedClean\": true"), rec.out());
        assertEquals(0, run("check", p.toString()).exit());
        assertEquals(0, run("recover", p.toString()).exit());
    }

    @Test
    void recoverRelocatesAndSwizzles() {
        Path p = track(TestPools.crashed("relocate", 4, 2));
        TestPools.Run r = run("recover", "--relocate", p.toString());
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.out().contains("replayed 2 records") && r.out().contains("swizzle 0x"), r.out());
        TestPools.Run check = run("check", p.toString());
        assertEquals(0, check.exit(), check.toString());
        TestPools.Run dump = run("dump", "--type", "Account", p.toString());
        assertTrue(dump.out().contains("\"owner-3\"") && dump.out().endsWith("(4 objects)\n"), dump.out());
        TestPools.Run again = run("recover", "--json", "--relocate", p.toString());
        assertEquals(1, again.exit(), again.toString());
        assertTrue(again.out().contains("\"relocated\": true"), again.out());
        assertEquals(0, run("check", p.toString()).exit());
    }

    @Test
    void repairReplaysACrashedPool() {
        Path p = track(TestPools.crashed("repair", 4, 2));
        TestPools.Run r = run("check", "--repair", p.toString());
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.out().contains("repair: opened the heap: recovery: after a crash, replayed 2 records"), r.out());
        assertTrue(r.out().contains("repair: closed the heap"), r.out());
        assertEquals(0, run("check", p.toString()).exit());
    }

    @Test
    void tornTailIsDroppedByRepair() {
        Path p = track(TestPools.crashed("torn", 4, 3));
        io.ferrite.pmlog.LogTailScanner.Entry last = lastRecord(p);
        TestPools.flip(p, last.payloadOffset() + 3, 0);
        TestPools.Run check = run("check", p.toString());
        assertEquals(4, check.exit(), check.toString());
        assertTrue(check.out().contains("torn log tail: torn record at LSN " + last.lsn()), check.out());
        TestPools.Run r = run("check", "--repair", p.toString());
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.out().contains("dropped the torn log tail at LSN " + last.lsn()), r.out());
        TestPools.Run after = run("check", p.toString());
        assertEquals(0, after.exit(), after.toString());
    }

    /**
     * A torn record with intact records chained after it is what one group commit torn by power loss
     * leaves (none of them was acknowledged): PmLog.open ends the log at the torn record, and the tool
     * says the same (a torn tail that recovery ignores), names the records that go with it, and
     * recovers; it does not send the operator to a backup.
     */
    @Test
    void aTornRecordWithIntactRecordsAfterItIsATornGroupThatRecoveryDrops() throws java.io.IOException {
        Path p = track(TestPools.crashed("midlog", 4, 4));
        io.ferrite.pmlog.LogTailScanner.Entry first = firstRecord(p);
        TestPools.flip(p, first.payloadOffset() + 5, 2);
        TestPools.Run check = run("check", p.toString());
        assertEquals(4, check.exit(), check.toString());
        assertTrue(check.out().contains("torn log tail: torn record at LSN " + first.lsn())
                && check.out().contains("the 3 intact record(s) chained after it"), check.out());
        assertTrue(check.out().contains("needs recovery (its last writer crashed)") && !check.out().contains("restore"), check.out());
        TestPools.Run log = run("log", "--verify", p.toString());
        assertEquals(0, log.exit(), log.toString());
        assertTrue(log.out().contains("the 3 intact record(s) chained after it"), log.out());
        Path copy = track(TestPools.fresh("midlog-copy"));
        java.nio.file.Files.copy(p, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        long libraryTail;
        try (Heap h = Heap.open(copy, TestPools.options())) {
            libraryTail = h.recoveryReport().toLsn();
        }
        TestPools.Run rec = run("recover", "--json", p.toString());
        assertEquals(1, rec.exit(), rec.toString());
        assertTrue(rec.out().contains("torn record at LSN " + first.lsn()), rec.out());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"toLsn\"\\s*:\\s*(\\d+)").matcher(rec.out());
        assertTrue(m.find(), rec.out());
        assertEquals(libraryTail, Long.parseLong(m.group(1)), "recover and Heap.open end the log at different LSNs: " + rec.out());
    }

    @Test
    void leakedObjectsAreFoundAndFreedByRepair() {
        Path p = track(TestPools.bank("leak", 3));
        try (Heap h = Heap.open(p, TestPools.options()); Tx tx = h.begin()) {
            Ref lost = tx.allocate(TestPools.ACCOUNT);
            tx.setLong(lost, TestPools.ACCOUNT.field("id"), 99);
            tx.commit();
        }
        TestPools.Run check = run("check", p.toString());
        assertEquals(4, check.exit(), check.toString());
        assertTrue(check.out().contains("is allocated but not reachable from the root (leaked)"), check.out());
        TestPools.Run r = run("check", "--repair", p.toString());
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.out().contains("repair: freeing unreachable Account@"), r.out());
        assertTrue(r.out().contains("freed 1 unreachable objects in one transaction"), r.out());
        assertEquals(0, run("check", p.toString()).exit());
        assertTrue(run("dump", "--type", "Account", p.toString()).out().endsWith("(3 objects)\n"));
    }

    @Test
    void damagedPointerIsReportedAndLeaksBehindItAreNotFreed() {
        Path p = track(TestPools.bank("ptr", 4));
        long firstAccount;
        long slab1 = TestPools.SIZE - 15L * TestPools.SLAB; // slab 1 of 16: the accounts
        firstAccount = slab1 + SlabHeaderDescriptor.dataOffset(2038);
        // Account slot 0 is the last of the chain (id 4, next null); slot 3 (id 1) is first: cut the chain at slot 2 (id 2).
        long next = firstAccount + 2 * 32 + 24;
        long old = TestPools.u64(p, next);
        assertTrue(old != 0);
        TestPools.patch(p, next, TestPools.le64(old + 8));
        TestPools.Run check = run("check", p.toString());
        assertEquals(4, check.exit(), check.toString());
        assertTrue(check.out().contains("field next") && check.out().contains(String.valueOf(next))
                && (check.out().contains("not at an object start") || check.out().contains("is not the start of an object")), check.out());
        assertTrue(check.out().contains("not freed while other damage is present"), check.out());
        TestPools.Run r = run("check", "--repair", p.toString());
        assertEquals(4, r.exit(), r.toString());
        assertFalse(r.out().contains("freeing"), r.out());
        TestPools.Run dump = run("dump", "--type", "Account", p.toString());
        assertEquals(4, dump.exit(), dump.toString());
        assertTrue(dump.out().contains("<bad pointer 0x"), dump.out());
        assertTrue(dump.out().endsWith("(4 objects)\n"), dump.out());
    }

    @Test
    void standaloneLogIsListedVerifiedAndFollowed() throws Exception {
        Path f = track(TestPools.DIR.resolve("ferrite-cli-test-" + java.util.UUID.randomUUID() + ".log"));
        try (io.ferrite.pmlog.PmLog log = io.ferrite.pmlog.PmLog.create(f, 64 << 10, io.ferrite.pmlog.PmLogOptions.defaults())) {
            for (int i = 0; i < 10; i++) {
                log.append(("record " + i).getBytes(), (short) 7);
            }
        }
        TestPools.Run l = run("log", f.toString());
        assertEquals(0, l.exit(), l.toString());
        assertTrue(l.out().contains("standalone pmlog file"), l.out());
        assertEquals(10, l.out().lines().filter(x -> x.matches("\\s+\\d+\\s+8\\s+7\\s+\\d+\\s*")).count(), l.out());
        // from the fifth record: LSNs advance by one aligned record length
        long fifth = 4 * io.ferrite.pmlog.LogRecordDescriptor.recordLength(8);
        TestPools.Run from = run("log", "--from", Long.toString(fifth), f.toString());
        assertEquals(6, from.out().lines().filter(x -> x.matches("\\s+\\d+\\s+8\\s+7\\s+\\d+\\s*")).count(), from.out());
        TestPools.Run info = run("info", f.toString());
        assertEquals(8, info.exit(), info.toString());
        assertTrue(info.err().contains("is a standalone Ferrite log, not a pool"), info.err());
        // follow: a writer appends while `log --follow` runs in another thread
        java.io.StringWriter sw = new java.io.StringWriter();
        java.io.PrintWriter pw = new java.io.PrintWriter(sw, true);
        Thread t = Thread.ofPlatform().start(() -> Ferrite.run(new String[] {"log", "--follow", f.toString()}, pw, pw));
        try (io.ferrite.pmlog.PmLog log = io.ferrite.pmlog.PmLog.open(f, io.ferrite.pmlog.PmLogOptions.defaults())) {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!sw.toString().contains("following") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            log.append("late record".getBytes(), (short) 9);
            while (!sw.toString().matches("(?s).*\\s11\\s+9\\s.*") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        } finally {
            t.interrupt();
            t.join(5_000);
        }
        assertFalse(t.isAlive(), "log --follow did not stop when interrupted");
        assertTrue(sw.toString().matches("(?s).*\\s11\\s+9\\s.*"), sw.toString());
        // a torn record in the middle: the log ends there, as PmLog.open ends it; --verify names what goes with it
        io.ferrite.pmlog.LogTailScanner.Entry[] recs = records(f, 0);
        TestPools.flip(f, recs[2].payloadOffset(), 1);
        TestPools.Run v = run("log", "--verify", f.toString());
        assertEquals(0, v.exit(), v.toString());
        assertTrue(v.out().contains("end: torn record at LSN " + recs[2].lsn())
                && v.out().contains("the 8 intact record(s) chained after it"), v.out());
        try (io.ferrite.pmlog.PmLog log = io.ferrite.pmlog.PmLog.open(f, io.ferrite.pmlog.PmLogOptions.defaults())) {
            assertEquals(recs[2].lsn(), log.tailLsn());
        }
    }

    @Test
    void notBuiltCommandsSaySoInOneLine() {
        for (String c : new String[] {"replica", "promote", "restore", "power-event"}) {
            TestPools.Run r = run(c, "whatever");
            assertEquals(8, r.exit(), r.toString());
            assertEquals(1, r.err().lines().count(), r.err());
            assertTrue(r.err().contains("not built yet"), r.err());
        }
    }

    @Test
    void helpReadsLikeAManPage() {
        for (String c : new String[] {"info", "check", "recover", "dump", "log", "demo"}) {
            TestPools.Run r = run(c, "--help");
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.out().contains("Usage: ferrite " + c), r.out());
            assertTrue(r.out().contains("Exit status:"), c + ": " + r.out());
            assertTrue(r.out().contains("Examples:"), c + ": " + r.out());
            r.out().lines().forEach(l -> assertTrue(l.length() <= Ferrite.HELP_WIDTH, c + ": line longer than the help width: " + l));
        }
        TestPools.Run top = run("--help");
        assertTrue(top.out().contains("Commands:") && top.out().contains("check") && top.out().contains("Exit status"), top.out());
        assertEquals(8, run("check").exit());
        assertEquals(8, run("frobnicate").exit());
    }

    // ------------------------------------------------------------------ helpers

    static io.ferrite.pmlog.LogTailScanner.Entry[] records(Path file, long regionOffset) {
        try (PoolImage img = regionOffset < 0 ? PoolImage.open(file, false) : null;
             io.ferrite.media.Media m = img == null ? io.ferrite.media.Media.open(file, io.ferrite.media.MediaOptions.defaults().readOnly(true)) : null) {
            io.ferrite.media.Media media = img != null ? img.media : m;
            long off = img != null ? img.sb.logOffset() : 0;
            long len = img != null ? img.sb.logLength() : media.size();
            List<io.ferrite.pmlog.LogTailScanner.Entry> l = new ArrayList<>();
            LogScan.open(media, off, len).scan(r -> {
                if (!r.padding()) {
                    l.add(r);
                }
                return true;
            });
            return l.toArray(io.ferrite.pmlog.LogTailScanner.Entry[]::new);
        }
    }

    static io.ferrite.pmlog.LogTailScanner.Entry lastRecord(Path pool) {
        io.ferrite.pmlog.LogTailScanner.Entry[] r = records(pool, -1);
        return r[r.length - 1];
    }

    static io.ferrite.pmlog.LogTailScanner.Entry firstRecord(Path pool) {
        return records(pool, -1)[0];
    }
}
