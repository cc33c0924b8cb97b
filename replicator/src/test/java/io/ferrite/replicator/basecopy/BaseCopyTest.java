package io.ferrite.replicator.basecopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.pheap.Heap;
import io.ferrite.replicator.primary.Shipper;
import io.ferrite.replicator.primary.Slots;
import io.ferrite.replicator.replica.ReplicaServer;
import io.ferrite.replicator.wire.Connection;
import io.ferrite.replicator.wire.WireException.Kind;
import io.ferrite.testsupport.TempPools;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Base copies over loopback TCP, primary and replica in this JVM (so the replica's pool maps at
 * another base and its open swizzles it): a new replica seeded while the primary commits (and
 * checkpoints) during the copy, then streaming from the image's end; a copy cut half-way resumes
 * at its staged offset; a corrupted chunk is refused and a damaged staging file is caught at
 * install; a crash at each install step leaves no pool or a complete one. In each case the
 * replica's content ends equal to the primary's.
 */
class BaseCopyTest {
    /** Commits {@code perChunk} transactions before each chunk is sent (on the shipping thread), and checkpoints every 16 chunks. */
    private static final class CommitDuringCopy implements BaseCopySource.Hooks {
        final Heap primary;
        final Random rnd;
        final int perChunk;
        volatile long commits;

        CommitDuringCopy(Heap primary, long seed, int perChunk) {
            this.primary = primary;
            this.rnd = new Random(seed);
            this.perChunk = perChunk;
        }

        @Override
        public void beforeChunk(String destination, long index, byte[] data, Connection conn) {
            for (int i = 0; i < perChunk; i++) {
                Seed.step(primary, rnd);
                commits++;
            }
            if (index % 16 == 15) {
                primary.checkpoint(); // a newer superblock and written-back lines while the copy runs
            }
        }
    }

    /** Seeds {@code replicaPool} from {@code primary} with {@code hooks}; returns the installed copy and the receiver's counts. */
    private static BaseCopyReceiver.Installed seed(Heap primary, Slots slots, BaseCopySource source, Path replicaPool,
            int[] port) {
        try (BaseCopyReceiver receiver = BaseCopyReceiver.listen(Seed.replica(replicaPool, 0))) {
            port[0] = receiver.port();
            try (Shipper shipper = Seed.shipper(primary, slots, port[0], source).start()) {
                BaseCopyReceiver.Installed inst = receiver.awaitInstalled(60_000);
                System.out.println("base copy: installed " + inst + "; chunks refused " + receiver.chunksRefused()
                        + ", last refusal " + receiver.lastRefusal());
                return inst;
            }
        }
    }

    /** Starts the replica on the seeded pool, lets the primary commit more, and checks the contents are equal after catch-up. */
    private static void streamAndCompare(Heap primary, Slots slots, BaseCopyHolds holds, BaseCopySource source, Path replicaPool,
            int port, Random rnd, String what) throws Exception {
        try (ReplicaServer replica = ReplicaServer.start(Seed.replica(replicaPool, port));
             Shipper shipper = Seed.shipper(primary, slots, port, source).start()) {
            assertTrue(replica.heap().recoveryReport().relocated(), "the replica pool maps at another base here, so its open swizzles:"
                    + " " + replica.heap().recoveryReport());
            for (int i = 0; i < 300; i++) {
                Seed.step(primary, rnd);
            }
            Seed.awaitCatchUp(primary, replica);
            List<Long> p = Seed.content(primary);
            assertEquals(p, Seed.content(replica.heap()), what + ": replica content after catch-up");
            assertEquals(BaseCopyHolds.NONE, holds.heldFor("r1"), what + ": the hold ended once the replica streamed");
            System.out.println(what + ": " + Seed.items(p) + " items equal after catch-up; replica recovery "
                    + replica.heap().recoveryReport() + "; " + shipper.recordsShipped() + " records streamed after the copy");
        }
    }

    @Test
    void aNewReplicaIsSeededWhileThePrimaryCommits() throws Exception {
        try (Seed.Rig r = Seed.Rig.of("bc-seed", 41, 400)) {
            Heap primary = r.primary();
            BaseCopySource source = r.source();
            // a writer thread commits all along the copy, so records are applied while chunks are read
            java.util.concurrent.atomic.AtomicLong commits = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread writer = Thread.ofPlatform().name("bc-writer").start(() -> {
                Random w = new Random(42);
                long until = System.nanoTime() + 30_000_000_000L;
                while (!stop.get() && commits.get() < 20_000 && System.nanoTime() < until) {
                    Seed.step(primary, w);
                    commits.incrementAndGet();
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                }
            });
            long[] duringCopy = new long[2];
            source.hooks = new BaseCopySource.Hooks() {
                @Override
                public void beforeChunk(String destination, long index, byte[] data, Connection conn) {
                    if (index == 0) {
                        duringCopy[0] = commits.get();
                    }
                    duringCopy[1] = commits.get();
                    if (index % 16 == 15) {
                        primary.checkpoint(); // a newer superblock and written-back lines while the copy runs
                    }
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            int[] port = new int[1];
            BaseCopyReceiver.Installed inst;
            try {
                inst = seed(primary, r.slots(), source, r.replicaPool(), port);
            } finally {
                stop.set(true);
                writer.join(60_000);
            }
            // a copy that held more log than its bound started over with a new image (never resumed: the image changed)
            assertEquals(1 + r.holds().dropped(), inst.startOffsets().size(),
                    inst.startOffsets() + ", holds dropped " + r.holds().dropped());
            assertTrue(inst.startOffsets().stream().allMatch(o -> o == 0), inst.startOffsets().toString());
            assertEquals(inst.startOffsets().size() * Seed.POOL_SIZE / Seed.CHUNK, inst.chunksReceived());
            assertTrue(duringCopy[1] > duringCopy[0], "transactions committed while the chunks were read");
            assertTrue(inst.endLsn() > inst.checkpointLsn(), "records committed during the copy were sent after it: " + inst);
            assertTrue(Files.exists(r.replicaPool()) && Files.exists(ReplicaServer.mirrorPath(r.replicaPool())));
            assertFalse(Files.exists(Staging.imagePath(r.replicaPool())) || Files.exists(Staging.progressPath(r.replicaPool()))
                    || Files.exists(Staging.sumsPath(r.replicaPool())), "the staging files are gone after install");
            System.out.println("base copy seed: " + (duringCopy[1] - duringCopy[0]) + " transactions committed while the "
                    + source.chunksSent() + " chunks (" + source.bytesSent() + " bytes) were read, " + commits.get()
                    + " by the writer in all; " + source.recordsSent() + " records [C, E) sent after the chunks, "
                    + source.imagesTaken() + " image(s), " + r.holds().dropped() + " started over at the retention bound");
            source.hooks = BaseCopySource.Hooks.NONE;
            streamAndCompare(primary, r.slots(), r.holds(), source, r.replicaPool(), port[0], r.rnd(), "base copy seed");
        }
    }

    @Test
    void aCutCopyResumesAtItsStagedOffset() throws Exception {
        int cutAt = 50;
        try (Seed.Rig r = Seed.Rig.of("bc-cut", 43, 300)) {
            Heap primary = r.primary();
            BaseCopySource first = r.source();
            CommitDuringCopy commit = new CommitDuringCopy(primary, 44, 2);
            boolean[] cut = new boolean[1];
            first.hooks = new BaseCopySource.Hooks() {
                @Override
                public void beforeChunk(String destination, long index, byte[] data, Connection conn) {
                    commit.beforeChunk(destination, index, data, conn);
                    if (index == cutAt && !cut[0]) {
                        cut[0] = true;
                        conn.close(); // the cut: chunks 0 .. cutAt-1 went out
                    }
                }
            };
            BaseCopySource second = r.source();
            second.hooks = new CommitDuringCopy(primary, 45, 2);
            int[] port = new int[1];
            try (BaseCopyReceiver receiver = BaseCopyReceiver.listen(Seed.replica(r.replicaPool(), 0))) {
                port[0] = receiver.port();
                Thread seeding = Thread.ofPlatform().start(() -> {
                    try {
                        receiver.awaitInstalled(60_000);
                    } catch (RuntimeException e) {
                        System.out.println("seeding: " + e.getMessage());
                    }
                });
                try (Shipper shipper = Seed.shipper(primary, r.slots(), port[0], first, 60_000).start()) {
                    for (int i = 0; i < 1000 && receiver.lastRefusal() == null; i++) { // the receiver saw the cut
                        Thread.sleep(10);
                    }
                }
                long stagedAtCut;
                try (Staging st = Staging.open(r.replicaPool(), 1)) {
                    stagedAtCut = st.offset();
                }
                assertEquals((long) cutAt * Seed.CHUNK, stagedAtCut, "the cut left every chunk it received staged");
                assertFalse(Files.exists(r.replicaPool()), "no pool before the copy completes");
                // a new source (as after a restart of the primary's replication) with the same r.holds(): it finds the
                // log still holding the staged image's C and resumes that image
                try (Shipper shipper = Seed.shipper(primary, r.slots(), port[0], second).start()) {
                    seeding.join(60_000);
                }
                assertFalse(seeding.isAlive());
                assertEquals(List.of(0L, (long) cutAt * Seed.CHUNK), receiver.startOffsets(), "resumed at the staged offset");
                assertEquals(Seed.POOL_SIZE / Seed.CHUNK, receiver.chunksReceived(), "each chunk received once");
                assertEquals(0, second.imagesTaken(), "the resumed copy took no new image");
                System.out.println("base copy cut: cut after " + cutAt + " chunks, resumed at offset " + stagedAtCut + "; "
                        + first.chunksSent() + " + " + second.chunksSent() + " chunks sent, " + receiver.chunksReceived()
                        + " staged");
            }
            streamAndCompare(primary, r.slots(), r.holds(), second, r.replicaPool(), port[0], r.rnd(), "base copy cut");
        }
    }

    @Test
    void aCorruptedChunkIsRefusedAndTheCopyResumesAtIt() throws Exception {
        try (Seed.Rig r = Seed.Rig.of("bc-bad", 47, 300)) {
            Heap primary = r.primary();
            BaseCopySource source = r.source();
            int bad = 30;
            int[] sessions = new int[1];
            source.hooks = new BaseCopySource.Hooks() {
                @Override
                public void beforeChunk(String destination, long index, byte[] data, Connection conn) {
                    if (index == bad && sessions[0]++ == 0) {
                        data[123] ^= 0x40; // after the CRC was taken: damaged on its way
                    }
                }
            };
            int port;
            try (BaseCopyReceiver receiver = BaseCopyReceiver.listen(Seed.replica(r.replicaPool(), 0))) {
                port = receiver.port();
                try (Shipper shipper = Seed.shipper(primary, r.slots(), port, source).start()) {
                    // the first session ends with the refusal; the receiver loop goes on to the next connection
                    Thread seeding = Thread.ofPlatform().start(() -> receiver.awaitInstalled(60_000));
                    for (int i = 0; i < 1000 && receiver.chunksRefused() == 0; i++) {
                        Thread.sleep(10);
                    }
                    seeding.join(60_000);
                }
                assertEquals(1, receiver.chunksRefused());
                assertEquals(Kind.BAD_CRC, receiver.lastRefusal().kind(), receiver.lastRefusal().getMessage());
                assertEquals(List.of(0L, (long) bad * Seed.CHUNK), receiver.startOffsets(), "resumed at the refused chunk");
                System.out.println("base copy corrupted chunk: refused (" + receiver.lastRefusal().getMessage() + "), resumed at "
                        + receiver.startOffsets());
            }
            streamAndCompare(primary, r.slots(), r.holds(), source, r.replicaPool(), port, r.rnd(), "base copy corrupted chunk");
        }
    }

    @Test
    void aDamagedStagingFileIsCaughtAtInstallAndTheCopyStartsOver() throws Exception {
        try (Seed.Rig r = Seed.Rig.of("bc-stage", 53, 300)) {
            Heap primary = r.primary();
            BaseCopySource source = r.source();
            int[] session = new int[1];
            source.hooks = new BaseCopySource.Hooks() {
                @Override
                public void beforeChunk(String destination, long index, byte[] data, Connection conn) {
                    if (index == 60 && session[0]++ == 0) {
                        // the staged bytes of chunk 3 rot on the replica's disk between two sessions
                        try (FileChannel ch = FileChannel.open(Staging.imagePath(r.replicaPool()), StandardOpenOption.WRITE)) {
                            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), 3L * Seed.CHUNK + 100);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }
                }
            };
            int port;
            try (BaseCopyReceiver receiver = BaseCopyReceiver.listen(Seed.replica(r.replicaPool(), 0));
                 Shipper shipper = Seed.shipper(primary, r.slots(), receiver.port(), source).start()) {
                port = receiver.port();
                BaseCopyReceiver.Installed inst = receiver.awaitInstalled(60_000);
                assertEquals(List.of(0L, 0L), inst.startOffsets(), "the damaged staging was found at install and the copy started over");
                assertEquals(2 * Seed.POOL_SIZE / Seed.CHUNK, inst.chunksReceived());
                System.out.println("base copy damaged staging: caught at install (" + inst.chunksReceived() + " chunks staged in"
                        + " two sessions)");
            }
            streamAndCompare(primary, r.slots(), r.holds(), source, r.replicaPool(), port, r.rnd(), "base copy damaged staging");
        }
    }

    @Test
    void aCopyThatHoldsMoreLogThanItsBoundStartsOverAndLetsTheLogGo() throws Exception {
        try (Seed.Rig r = Seed.Rig.of("bc-bound", 67, 300)) {
            Heap primary = r.primary();
            BaseCopySource source = new BaseCopySource(primary, r.holds(), new BaseCopySource.Config(Seed.CHUNK, 64 * 1024, 60_000));
            Random during = new Random(68);
            long[] held = {-1, -1}; // the first image's C; the log's head once the second image is under way
            int[] sessions = {0};
            source.hooks = new BaseCopySource.Hooks() {
                @Override
                public void beforeChunk(String destination, long index, byte[] data, Connection conn) {
                    if (index == 0 && ++sessions[0] == 2) {
                        primary.checkpoint();
                        held[1] = primary.logHeadLsn();
                    }
                    if (sessions[0] == 1) { // the first image: commit faster than the copy goes, past the bound
                        held[0] = r.holds().heldFor(destination);
                        for (int i = 0; i < 20; i++) {
                            Seed.step(primary, during);
                        }
                    }
                }
            };
            int[] port = new int[1];
            BaseCopyReceiver.Installed inst = seed(primary, r.slots(), source, r.replicaPool(), port);
            // dropped at least once: while it was sent, and again if the next session tried to resume it
            assertTrue(r.holds().dropped() >= 1, "the first image's hold passed its bound");
            assertEquals(List.of(0L, 0L), inst.startOffsets(), "the copy started over with a new image");
            assertEquals(2, source.imagesTaken());
            assertTrue(held[1] > held[0], "the log was reclaimed past the dropped image's C " + held[0] + ": head " + held[1]);
            System.out.println("base copy bound: the first image (C=" + held[0] + ") passed 64 KiB of held log and was dropped ("
                    + r.holds().dropped() + " drops);"
                    + " the log's head moved on to " + held[1] + "; the second image (C=" + inst.checkpointLsn() + ") installed");
            streamAndCompare(primary, r.slots(), r.holds(), source, r.replicaPool(), port[0], r.rnd(), "base copy bound");
        }
    }

    @Test
    void aReplicaThatFellBehindThePrimarysLogIsReseededInPlace() throws Exception {
        try (Seed.Rig r = Seed.Rig.of("bc-reseed", 71, 300)) {
            Heap primary = r.primary();
            BaseCopySource source = r.source();
            int[] port = new int[1];
            seed(primary, r.slots(), source, r.replicaPool(), port);
            ReplicaServer.Config rc = Seed.replica(r.replicaPool(), port[0]);
            long behind;
            try (Shipper shipper = Seed.shipper(primary, r.slots(), port[0], source).start();
                 ReplicaServer replica = ReplicaServer.start(rc)) {
                for (int i = 0; i < 100; i++) {
                    Seed.step(primary, r.rnd());
                }
                Seed.awaitCatchUp(primary, replica);
                behind = replica.durableLsn();
            }
            // the replica is down; its slot is given up (as a LOST slot is) and the log moves on past it
            r.slots().drop("r1");
            for (int i = 0; i < 100; i++) {
                Seed.step(primary, r.rnd());
            }
            primary.checkpoint();
            assertTrue(primary.logHeadLsn() > behind, "head " + primary.logHeadLsn() + ", replica at " + behind);
            try (ReplicaServer replica = ReplicaServer.start(rc);
                 Shipper shipper = Seed.shipper(primary, r.slots(), port[0], source).start()) {
                for (int i = 0; i < 1000 && shipper.lastRefusal() == null; i++) {
                    Thread.sleep(10);
                }
                assertEquals(Kind.LSN_GAP, shipper.lastRefusal().kind(), String.valueOf(shipper.lastRefusal()));
                System.out.println("base copy re-seed: the replica at LSN " + behind + " was refused: "
                        + shipper.lastRefusal().getMessage());
            }
            // started as a re-seeding replica, it is refused the same way, and seeds itself again over its old pool
            try (Shipper shipper = Seed.shipper(primary, r.slots(), port[0], source).start();
                 ReseedingReplica rr = ReseedingReplica.start(rc, 60_000)) {
                for (int i = 0; i < 3000 && rr.reseeds() == 0; i++) { // at most ~30 s
                    Thread.sleep(10);
                }
                assertEquals(1, rr.reseeds(), "re-seeded after the refusal");
                for (int i = 0; i < 100; i++) {
                    Seed.step(primary, r.rnd());
                }
                Seed.awaitCatchUp(primary, rr.server());
                List<Long> p = Seed.content(primary);
                assertEquals(p, Seed.content(rr.server().heap()), "the re-seeded replica");
                assertTrue(rr.server().durableLsn() > behind);
                assertFalse(Files.exists(Staging.reseedPath(r.replicaPool())), "the marker went with the install");
                System.out.println("base copy re-seed: the replica re-seeded itself over its old pool, " + Seed.items(p)
                        + " items equal; " + source.imagesTaken() + " images taken in all");
            }
        }
    }

    @Test
    void aCrashAtEachInstallStepLeavesNoPoolOrACompleteOne() throws Exception {
        Path pool = TempPools.fresh("bc-inst", "primary");
        Random rnd = new Random(59);
        Slots slots = new Slots();
        BaseCopyHolds holds = new BaseCopyHolds();
        int checked = 0;
        try (Heap primary = Seed.primary(pool, slots, holds)) {
            for (int i = 0; i < 300; i++) {
                Seed.step(primary, rnd);
            }
            for (String step : List.of("mirror", "rename", "cleanup")) {
                Path replicaPool = TempPools.fresh("bc-inst", "replica-" + step);
                try {
                    BaseCopySource source = Seed.source(primary, holds);
                    source.hooks = new CommitDuringCopy(primary, step.hashCode(), 1);
                    try (BaseCopyReceiver receiver = BaseCopyReceiver.listen(Seed.replica(replicaPool, 0))) {
                        receiver.hooks = new BaseCopyReceiver.Hooks() {
                            @Override
                            public void installStep(String s) {
                                if (s.equals(step)) {
                                    receiver.close(); // the replica process ends here
                                    throw new IllegalStateException("crash before install step " + s);
                                }
                            }
                        };
                        int port = receiver.port();
                        try (Shipper shipper = Seed.shipper(primary, slots, port, source).start()) {
                            assertThrows(RuntimeException.class, () -> receiver.awaitInstalled(3_000));
                        }
                        boolean installed = Files.exists(replicaPool);
                        assertEquals(step.equals("cleanup"), installed, "after a crash before " + step + ": pool installed=" + installed);
                        if (!installed) {
                            assertTrue(Files.exists(Staging.imagePath(replicaPool)), "the staging stays for the next try");
                        }
                        checked++;
                        // the replica restarts: seeds again if there is no pool, else serves the complete one
                        try (Shipper shipper = Seed.shipper(primary, slots, port, source).start();
                             ReplicaServer replica = BaseCopyReceiver.startReplica(Seed.replica(replicaPool, port), 60_000)) {
                            for (int i = 0; i < 100; i++) {
                                Seed.step(primary, rnd);
                            }
                            Seed.awaitCatchUp(primary, replica);
                            assertEquals(Seed.content(primary), Seed.content(replica.heap()), "after a crash before " + step);
                            assertFalse(Files.exists(Staging.progressPath(replicaPool)), "no staging left");
                        }
                        System.out.println("base copy install crash before " + step + ": pool installed=" + installed
                                + ", restarted replica equal to the primary");
                    }
                } finally {
                    TempPools.delete(replicaPool);
                }
            }
        } finally {
            TempPools.delete(pool);
        }
        System.out.println("base copy install crashes: " + checked + " install steps checked");
    }
}
