package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.media.CrashSimMedia;
import io.ferrite.media.Media;
import io.ferrite.pmlog.LogFullException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The heap's hooks for replication and the power drain (issue 10): a retention floor that holds
 * log space past the checkpoint, an admission gate that refuses new commits while in-flight ones
 * finish, and a replica mode whose pool is applied to but never written by transactions.
 */
class HeapHooksTest {
    static final PType ROOT = PType.builder("HkRoot").pointer("head", "HkNode").int64("count").build();
    static final PType NODE = PType.builder("HkNode").int64("key").pointer("next", "HkNode").build();
    static final PType EXTRA = PType.builder("HkExtra").int64("x").build();
    static final long SIZE = 4L << 20;

    static HeapOptions options() {
        return HeapOptions.defaults().slabSize(16 * 1024).logCapacity(128 * 1024).checkpointInterval(Duration.ZERO);
    }

    /** Pushes {@code n} nodes on the root's list, one transaction each, keys counting on from the root's count. */
    static void push(Heap h, int n) {
        for (int i = 0; i < n; i++) {
            try (Tx tx = h.begin()) {
                Ref r = tx.root(ROOT);
                long k = tx.getLong(r, ROOT.field("count")) + 1;
                Ref node = tx.allocate(NODE);
                tx.setLong(node, NODE.field("key"), k);
                tx.setRef(node, NODE.field("next"), tx.getRef(r, ROOT.field("head")));
                tx.setRef(r, ROOT.field("head"), node);
                tx.setLong(r, ROOT.field("count"), k);
                tx.commit();
            }
        }
    }

    /** The keys of the root's list, head first, through the heap's direct reads (bounded by the count). */
    static List<Long> keys(Heap h) {
        Ref r = h.root(ROOT);
        long count = h.getLong(r, ROOT.field("count"));
        List<Long> out = new ArrayList<>();
        for (Ref n = h.getRef(r, ROOT.field("head")); n != null && out.size() <= count; n = h.getRef(n, NODE.field("next"))) {
            out.add(h.getLong(n, NODE.field("key")));
        }
        return out;
    }

    @Test
    void theLogIsReclaimedOnlyUpToTheRetentionFloor() {
        AtomicLong floor = new AtomicLong(RetentionFloor.NONE);
        try (Arena arena = Arena.ofConfined()) {
            Media media = Media.wrap(arena.allocate(SIZE, 4096));
            try (Heap h = Heap.create(media, options().retentionFloor(floor::get).logFullPolicy(HeapOptions.LogFullPolicy.FAIL))) {
                push(h, 1);
                h.checkpoint();
                long held = h.log().tailLsn(); // a record boundary: where the next record starts
                floor.set(held);
                push(h, 20);
                long cp = h.checkpoint();
                assertTrue(cp > held, "checkpoint LSN " + cp + " should pass the floor " + held);
                assertEquals(held, h.log().headLsn(), "the log must keep everything from the floor on");
                // the floor holds the space: commits fill the log and fail, though a checkpoint ran
                int committed = 0;
                LogFullException full = null;
                for (int i = 0; i < 2000 && full == null; i++) {
                    try {
                        push(h, 1);
                        committed++;
                    } catch (LogFullException e) {
                        full = e;
                    }
                }
                assertNotNull(full, "2000 commits fit in a 128 KiB log whose head the floor holds");
                assertEquals(held, h.log().headLsn());
                // let go: the next checkpoint reclaims up to its checkpoint LSN, and commits fit again
                floor.set(RetentionFloor.NONE);
                cp = h.checkpoint();
                assertEquals(cp, h.log().headLsn(), "without a floor the log is reclaimed up to the checkpoint LSN");
                push(h, 5);
                assertEquals(21 + committed + 5, keys(h).size());
                System.out.println("retention floor: log head held at LSN " + held + " through " + (20 + committed)
                        + " commits until the log was full; reclaimed to " + cp + " once released");
            }
        }
    }

    @Test
    void aClosedGateRefusesNewCommitsAndLetsTheOneInFlightFinish() throws Exception {
        try (CrashSimMedia media = CrashSimMedia.inMemory(SIZE)) {
            Heap h = Heap.create(media, options());
            try {
                push(h, 3);
                CountDownLatch inFlight = new CountDownLatch(1);
                CountDownLatch release = new CountDownLatch(1);
                AtomicReference<Thread> holdIn = new AtomicReference<>();
                // the committer is held inside its commit: at the first fence it takes (its own append)
                media.onCrashPoint(cp -> {
                    if (Thread.currentThread() == holdIn.get()) {
                        holdIn.set(null);
                        inFlight.countDown();
                        try {
                            release.await(60, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                });
                AtomicReference<Throwable> committerFailed = new AtomicReference<>();
                Thread committer = new Thread(() -> {
                    try {
                        try (Tx tx = h.begin()) {
                            Ref r = tx.root(ROOT);
                            tx.setLong(r, ROOT.field("count"), 100);
                            holdIn.set(Thread.currentThread());
                            tx.commit();
                        }
                    } catch (Throwable e) {
                        committerFailed.set(e);
                    }
                }, "gate-committer");
                Tx open = h.begin(); // begun before the gate closes, commits after
                Ref r = open.root(ROOT);
                open.setLong(r, ROOT.field("count"), 7);
                committer.start();
                try {
                    assertTrue(inFlight.await(60, TimeUnit.SECONDS), "the committer never reached its append");
                    h.admission().close("power event: draining");
                    assertFalse(h.admission().isOpen());
                    AdmissionClosedException e = assertThrows(AdmissionClosedException.class, h::begin);
                    assertTrue(e.getMessage().contains("power event: draining"), e.getMessage());
                    e = assertThrows(AdmissionClosedException.class, open::commit);
                    assertFalse(open.isActive(), "a refused commit aborts its transaction");
                    assertThrows(AdmissionClosedException.class, () -> h.register(PType.builder("HkLate").int64("x").build()));
                    // the held commit passed the gate: it is in flight until released
                    assertFalse(h.admission().awaitInFlight(Duration.ofMillis(20)));
                } finally {
                    release.countDown();
                    committer.join(60_000);
                    media.onCrashPoint(null);
                }
                assertNull(committerFailed.get(), () -> "the in-flight commit failed: " + committerFailed.get());
                assertTrue(h.admission().awaitInFlight(Duration.ofSeconds(60)));
                assertEquals(100, h.getLong(h.root(ROOT), ROOT.field("count")), "the in-flight commit is applied");
                h.admission().reopen();
                assertTrue(h.admission().isOpen());
                try (Tx tx = h.begin()) {
                    tx.setLong(tx.root(ROOT), ROOT.field("count"), 3);
                    tx.commit();
                }
                push(h, 1);
                assertEquals(4, keys(h).size());
                System.out.println("admission gate: 3 refusals (begin, commit of an open transaction, a new type) while 1 commit"
                        + " in flight finished; commits admitted again after reopen");
            } finally {
                h.close();
            }
        }
    }

    @Test
    void aReplicaRefusesTransactionsAndItsReadersSeeTheRecordsAppliedToIt() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment primarySeg = arena.allocate(SIZE, 4096);
            HeapOptions opts = options().logCapacity(1 << 20);
            Heap primary = Heap.create(Media.wrap(primarySeg), opts);
            push(primary, 10);
            primary.close();
            // the base copy: the primary's pool as it was closed, in other memory (so another base)
            MemorySegment replicaSeg = arena.allocate(SIZE, 4096);
            MemorySegment.copy(primarySeg, 0, replicaSeg, 0, SIZE);
            long from = primary.superblock().checkpointLsn();

            // the primary goes on; its records after the copy are what the replica is sent
            List<long[]> at = new ArrayList<>();
            List<MemorySegment> records = new ArrayList<>();
            List<Long> expected;
            try (Heap p = Heap.open(Media.wrap(primarySeg), opts)) {
                push(p, 1200); // more than a slab holds: the replica's allocator must learn of new slabs
                p.register(EXTRA); // and its registry of a new type
                try (Tx tx = p.begin()) { // a free too: the replica must see the node gone
                    Ref r = tx.root(ROOT);
                    Ref head = tx.getRef(r, ROOT.field("head"));
                    tx.setRef(r, ROOT.field("head"), tx.getRef(head, NODE.field("next")));
                    tx.free(head);
                    tx.commit();
                }
                expected = keys(p);
                p.log().read(from, (lsn, type, rec, off, len) -> {
                    if (Replay.isRedo(type)) {
                        MemorySegment copy = arena.allocate(len, 8);
                        MemorySegment.copy(rec, off, copy, 0, len);
                        records.add(copy);
                        at.add(new long[] {lsn, len});
                    }
                    return true;
                });
            }
            assertTrue(records.size() >= 1202, "records after the copy: " + records.size());

            try (Heap replica = Heap.open(Media.wrap(replicaSeg), opts.copy().replica(true))) {
                assertEquals(10, keys(replica).size());
                ReadOnlyHeapException e = assertThrows(ReadOnlyHeapException.class, replica::begin);
                assertTrue(e.getMessage().contains("replica"), e.getMessage());
                assertThrows(ReadOnlyHeapException.class, () -> replica.register(PType.builder("HkNew").int64("x").build()));
                assertNull(replica.type(EXTRA.name()));
                for (int i = 0; i < records.size(); i++) {
                    replica.applyReplicated(at.get(i)[0], records.get(i), 0, (int) at.get(i)[1]);
                }
                assertEquals(expected, keys(replica), "the replica's readers see every applied record");
                assertNotNull(replica.type(EXTRA.name()), "a type the primary registered after the copy");
                assertEquals(expected.size() + 1, replica.stats().liveObjects(), "nodes and the root");
                replica.checkpoint();
            }
            // promoted by opening it without replica mode: the applied records survived, and it takes commits
            try (Heap promoted = Heap.open(Media.wrap(replicaSeg), opts)) {
                assertEquals(expected, keys(promoted));
                push(promoted, 1);
                assertEquals(expected.size() + 1, keys(promoted).size());
            }
            try (Heap notReplica = Heap.open(Media.wrap(replicaSeg), opts)) {
                assertThrows(IllegalStateException.class, () -> notReplica.applyReplicated(at.get(0)[0], records.get(0), 0,
                        (int) at.get(0)[1]));
            }
            System.out.println("replica: " + records.size() + " records of the primary applied, " + expected.size()
                    + " nodes read back through the replica heap, 2 transactions refused");
        }
    }
}
