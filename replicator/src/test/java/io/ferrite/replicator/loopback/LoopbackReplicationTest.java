package io.ferrite.replicator.loopback;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.HeapOptions;
import io.ferrite.pheap.PType;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import io.ferrite.replicator.primary.Shipper;
import io.ferrite.replicator.primary.Slots;
import io.ferrite.replicator.replica.ReplicaServer;
import io.ferrite.replicator.wire.SharedSecret;
import io.ferrite.replicator.wire.Transport;
import io.ferrite.testsupport.TempPools;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A primary heap committing a bounded random workload, shipped over loopback TCP to one replica
 * in the same JVM: after catch-up the replica pool's content (read through its replica heap)
 * equals the primary's; then the replica is stopped, the primary goes on, and the restarted
 * replica recovers from its mirror log and resumes from its own durable LSN.
 */
public class LoopbackReplicationTest {
    static final PType ROOT = PType.builder("LbRoot").pointer("head", "LbNode").int64("count").build();
    static final PType NODE = PType.builder("LbNode").int64("key").int64("value").pointer("next", "LbNode").build();
    static final SharedSecret SECRET = SharedSecret.of("loopback-test-secret".getBytes(StandardCharsets.UTF_8));
    static final int MAX_FRAME = 1 << 20;

    static HeapOptions options() {
        return HeapOptions.defaults().slabSize(16 * 1024).logCapacity(256 * 1024);
    }

    /** One random transaction: push a node (70%), update a random one of the first nodes, or pop the head. */
    static void step(Heap h, Random rnd) {
        try (Tx tx = h.begin()) {
            Ref r = tx.root(ROOT);
            Ref head = tx.getRef(r, ROOT.field("head"));
            int op = rnd.nextInt(10);
            if (op < 7 || head == null) {
                long k = tx.getLong(r, ROOT.field("count")) + 1;
                Ref node = tx.allocate(NODE);
                tx.setLong(node, NODE.field("key"), k);
                tx.setLong(node, NODE.field("value"), rnd.nextLong());
                tx.setRef(node, NODE.field("next"), head);
                tx.setRef(r, ROOT.field("head"), node);
                tx.setLong(r, ROOT.field("count"), k);
            } else if (op < 9) {
                Ref n = head;
                for (int i = rnd.nextInt(8); i > 0 && tx.getRef(n, NODE.field("next")) != null; i--) {
                    n = tx.getRef(n, NODE.field("next"));
                }
                tx.setLong(n, NODE.field("value"), rnd.nextLong());
            } else {
                tx.setRef(r, ROOT.field("head"), tx.getRef(head, NODE.field("next")));
                tx.free(head);
            }
            tx.commit();
        }
    }

    /** The list as (key, value) pairs, head first, through direct reads (bounded). */
    static List<Long> dump(Heap h) {
        Ref r = h.root(ROOT);
        List<Long> out = new ArrayList<>();
        out.add(h.getLong(r, ROOT.field("count")));
        for (Ref n = h.getRef(r, ROOT.field("head")); n != null && out.size() < 1_000_000; n = h.getRef(n, NODE.field("next"))) {
            out.add(h.getLong(n, NODE.field("key")));
            out.add(h.getLong(n, NODE.field("value")));
        }
        return out;
    }

    public static void awaitCatchUp(Heap primary, ReplicaServer replica) throws InterruptedException {
        long target = primary.logReader().durableLsn();
        for (int i = 0; i < 3000 && replica.appliedLsn() < target; i++) { // at most ~60 s
            Thread.sleep(20);
        }
        assertTrue(replica.appliedLsn() >= target, "replica applied " + replica.appliedLsn() + ", primary durable " + target
                + "; replica refusal: " + replica.lastRefusal());
    }

    @Test
    void aReplicaCatchesUpAndResumesAfterARestart() throws Exception {
        Path pool = TempPools.fresh("repl-lb", "primary");
        Path copy = TempPools.fresh("repl-lb", "replica");
        Random rnd = new Random(11);
        try {
            long from;
            try (Heap h = Heap.create(pool, 8L << 20, options())) {
                for (int i = 0; i < 20; i++) {
                    step(h, rnd);
                }
                h.close();
                from = h.superblock().checkpointLsn();
            }
            Files.copy(pool, copy); // the base copy: the closed pool, taken at its checkpoint LSN
            Slots slots = new Slots();
            slots.slot("r1", from);
            int committed = 20;
            try (Heap primary = Heap.open(pool, options().retentionFloor(slots))) {
                ReplicaServer.Config rc = new ReplicaServer.Config(copy, InetAddress.getLoopbackAddress(), 0, "r1", SECRET,
                        Transport.plain(), MAX_FRAME, 5_000, from);
                int port;
                long shipped;
                try (ReplicaServer replica = ReplicaServer.start(rc);
                     Shipper shipper = new Shipper(primary, slots, new Shipper.Config("r1", "127.0.0.1", replica.port(), "p1",
                             SECRET, Transport.plain(), MAX_FRAME, 5_000, 200, 100)).start()) {
                    port = replica.port();
                    for (int i = 0; i < 3000; i++) {
                        step(primary, rnd);
                    }
                    committed += 3000;
                    awaitCatchUp(primary, replica);
                    assertEquals(dump(primary), dump(replica.heap()), "replica content after catch-up");
                    shipped = shipper.recordsShipped();
                    System.out.println("loopback: " + committed + " transactions committed, " + shipped + " records in "
                            + shipper.framesShipped() + " ENTRIES frames, " + shipper.heartbeatsSent() + " heartbeats, "
                            + (dump(primary).size() - 1) / 2 + " nodes equal; slot " + shipper.slot());
                }
                // the replica is down; the primary goes on (the slot holds its log)
                for (int i = 0; i < 500; i++) {
                    step(primary, rnd);
                }
                committed += 500;
                ReplicaServer.Config again = new ReplicaServer.Config(copy, InetAddress.getLoopbackAddress(), port, "r1", SECRET,
                        Transport.plain(), MAX_FRAME, 5_000, from);
                try (ReplicaServer replica = ReplicaServer.start(again);
                     Shipper shipper = new Shipper(primary, slots, new Shipper.Config("r1", "127.0.0.1", replica.port(), "p1",
                             SECRET, Transport.plain(), MAX_FRAME, 5_000, 200, 100)).start()) {
                    long resumedAt = replica.durableLsn();
                    assertTrue(resumedAt >= from, "resumes at " + resumedAt);
                    awaitCatchUp(primary, replica);
                    assertEquals(dump(primary), dump(replica.heap()), "replica content after the restart");
                    System.out.println("loopback restart: " + replica.recoveredRecords() + " mirror records re-applied at start,"
                            + " resumed at LSN " + resumedAt + ", " + shipper.recordsShipped() + " records shipped after it; "
                            + committed + " transactions in all, contents equal");
                }
            }
        } finally {
            TempPools.delete(pool);
            TempPools.delete(copy);
        }
    }
}
