package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecoveryTest {
    static final PType NODE = PType.builder("RNode").int64("a").int64("b").pointer("next", "RNode").build();
    static final PField A = NODE.field("a");
    static final PField B = NODE.field("b");
    static final PField NEXT = NODE.field("next");
    static final PType ROOT = PType.builder("RRoot").pointer("head", "RNode").int64("n").build();
    static final PField HEAD = ROOT.field("head");
    static final PField N = ROOT.field("n");

    private static void push(Heap h, long i, Durability d) {
        try (Tx tx = h.begin(d)) {
            Ref root = tx.root(ROOT);
            Ref n = tx.allocate(NODE);
            tx.setLong(n, A, i);
            tx.setLong(n, B, -i);
            tx.setRef(n, NEXT, tx.getRef(root, HEAD));
            tx.setRef(root, HEAD, n);
            tx.setLong(root, N, i);
            tx.commit();
        }
    }

    private static List<Long> list(Heap h) {
        List<Long> out = new ArrayList<>();
        try (Tx tx = h.begin()) {
            for (Ref r = tx.getRef(h.root(ROOT), HEAD); r != null; r = tx.getRef(r, NEXT)) {
                assertEquals(-tx.getLong(r, A), tx.getLong(r, B), "both fields of one transaction");
                assertTrue(h.isAllocated(r));
                out.add(tx.getLong(r, A));
            }
        }
        return out;
    }

    @Test
    void crashWithoutCheckpointReplaysTheLog() {
        try (Pools p = new Pools("replay")) {
            try (Heap h = p.create()) {
                for (int i = 1; i <= 100; i++) {
                    push(h, i, Durability.SYNC);
                }
                // an open transaction at the crash: must leave nothing
                Tx tx = h.begin();
                Ref ghost = tx.allocate(NODE);
                tx.setLong(h.root(ROOT), N, 999);
                assertNotNull(ghost);
                h.crashForTesting();
            }
            try (Heap h = p.open()) {
                RecoveryReport r = h.recoveryReport();
                assertFalse(r.cleanClose());
                assertTrue(r.recordsReplayed() >= 100, r.toString());
                assertTrue(r.bytesReplayed() > 0);
                assertEquals(100, h.getLong(h.root(ROOT), N));
                List<Long> l = list(h);
                assertEquals(100, l.size());
                assertEquals(100L, l.get(0));
                assertEquals(101, h.stats().liveObjects(), "root + 100 nodes, no leaked reservation");
            }
            try (Heap h = p.open()) {
                assertTrue(h.recoveryReport().cleanClose());
                assertEquals(0, h.recoveryReport().recordsReplayed());
            }
        }
    }

    @Test
    void checkpointBoundsTheReplay() {
        try (Pools p = new Pools("cp")) {
            try (Heap h = p.create()) {
                for (int i = 1; i <= 50; i++) {
                    push(h, i, Durability.SYNC);
                }
                long cp = h.checkpoint();
                assertEquals(cp, h.superblock().checkpointLsn());
                for (int i = 51; i <= 60; i++) {
                    push(h, i, Durability.SYNC);
                }
                h.crashForTesting();
            }
            try (Heap h = p.open()) {
                assertEquals(10, h.recoveryReport().recordsReplayed(), h.recoveryReport().toString());
                assertEquals(60, list(h).size());
            }
        }
    }

    @Test
    void asyncCrashLosesWholeTransactionsOnly() {
        try (Pools p = new Pools("asynccrash")) {
            try (Heap h = p.create()) {
                push(h, 1, Durability.SYNC);
                for (int i = 2; i <= 200; i++) {
                    push(h, i, Durability.ASYNC);
                }
                h.crashForTesting();
            }
            try (Heap h = p.open()) {
                long n = h.getLong(h.root(ROOT), N);
                List<Long> l = list(h);
                assertTrue(n >= 1 && n <= 200);
                assertEquals(n, l.size(), "a prefix of the transactions, each whole");
                assertEquals(n + 1, h.stats().liveObjects());
            }
        }
    }

    @Test
    void logWrapsThroughCheckpointsTriggeredByAFullLog() {
        try (Pools p = new Pools("wrap")) {
            int total = 6000;
            try (Heap h = p.create()) {
                for (int i = 1; i <= total; i++) {
                    push(h, i, Durability.SYNC);
                }
                assertTrue(h.superblock().checkpointLsn() > 512 * 1024, "the log wrapped: " + h.superblock().checkpointLsn());
                h.crashForTesting();
            }
            try (Heap h = p.open()) {
                assertEquals(total, list(h).size());
                assertEquals(total + 1, h.stats().liveObjects());
            }
        }
    }

    @Test
    void termIsPersistedAndNeverGoesDown() {
        try (Pools p = new Pools("term")) {
            try (Heap h = p.create()) {
                assertEquals(0, h.term());
                h.persistTerm(3);
                assertThrows(IllegalArgumentException.class, () -> h.persistTerm(2));
                h.crashForTesting();
            }
            try (Heap h = p.open()) {
                assertEquals(3, h.term());
            }
        }
    }

    @Test
    void backgroundCheckpointerRuns() throws Exception {
        try (Pools p = new Pools("bg")) {
            try (Heap h = Heap.create(p.path, Pools.SIZE, Pools.options().checkpointInterval(java.time.Duration.ofMillis(20)))) {
                push(h, 1, Durability.SYNC);
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (h.stats().checkpoints() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertTrue(h.stats().checkpoints() > 0);
                assertTrue(h.superblock().checkpointLsn() > 0);
            }
        }
    }
}
