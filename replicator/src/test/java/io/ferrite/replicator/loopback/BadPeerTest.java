package io.ferrite.replicator.loopback;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.pheap.Heap;
import io.ferrite.replicator.primary.Shipper;
import io.ferrite.replicator.primary.Slots;
import io.ferrite.replicator.replica.ReplicaServer;
import io.ferrite.replicator.wire.SharedSecret;
import io.ferrite.replicator.wire.Transport;
import io.ferrite.replicator.wire.WireException;
import io.ferrite.replicator.wire.WireException.Kind;
import io.ferrite.testsupport.TempPools;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Peers a replica must refuse: garbage, a silent connection, a wrong secret, a primary of an
 * older term. Each is refused (nothing reaches the mirror or the pool) and the replica goes on
 * serving: a good primary streams to it afterwards.
 */
class BadPeerTest {
    private static WireException awaitRefusal(ReplicaServer r, WireException before) throws InterruptedException {
        for (int i = 0; i < 500 && r.lastRefusal() == before; i++) { // at most ~10 s
            Thread.sleep(20);
        }
        return r.lastRefusal();
    }

    @Test
    void badPeersAreRefusedAndNothingIsApplied() throws Exception {
        Path pool = TempPools.fresh("repl-bad", "primary");
        Path copy = TempPools.fresh("repl-bad", "replica");
        Random rnd = new Random(5);
        try {
            long from;
            try (Heap h = Heap.create(pool, 8L << 20, LoopbackReplicationTest.options())) {
                LoopbackReplicationTest.step(h, rnd);
                h.close();
                from = h.superblock().checkpointLsn();
            }
            Files.copy(pool, copy);
            ReplicaServer.Config rc = new ReplicaServer.Config(copy, InetAddress.getLoopbackAddress(), 0, "r1",
                    LoopbackReplicationTest.SECRET, Transport.plain(), 1 << 16, 500, from);
            int refused = 0;
            try (ReplicaServer replica = ReplicaServer.start(rc)) {
                // garbage
                WireException before = replica.lastRefusal();
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), replica.port())) {
                    byte[] junk = new byte[4096];
                    rnd.nextBytes(junk);
                    OutputStream out = s.getOutputStream();
                    out.write(junk);
                    out.flush();
                    WireException e = awaitRefusal(replica, before);
                    assertNotNull(e);
                    System.out.println("garbage: " + e.kind() + ": " + e.getMessage());
                    before = e;
                    refused++;
                }
                // silent: connects and sends nothing
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), replica.port())) {
                    WireException e = awaitRefusal(replica, before);
                    assertEquals(Kind.TIMEOUT, e.kind(), e.getMessage());
                    before = e;
                    refused++;
                }
                try (Heap primary = Heap.open(pool, LoopbackReplicationTest.options())) {
                    LoopbackReplicationTest.step(primary, rnd);
                    // wrong secret
                    SharedSecret wrong = SharedSecret.of("not-the-right-secret".getBytes(StandardCharsets.UTF_8));
                    try (Shipper s = new Shipper(primary, new Slots(), new Shipper.Config("r1", "127.0.0.1", replica.port(), "p1",
                            wrong, Transport.plain(), 1 << 16, 500, 100, 100)).start()) {
                        WireException e = awaitRefusal(replica, before);
                        assertEquals(Kind.AUTHENTICATION, e.kind(), e.getMessage());
                        before = e;
                        refused++;
                    }
                    assertEquals(from, replica.durableLsn(), "nothing reached the mirror");
                    assertEquals(from, replica.appliedLsn(), "nothing was applied");
                    // a good primary is still served
                    Slots slots = new Slots();
                    try (Shipper s = new Shipper(primary, slots, new Shipper.Config("r1", "127.0.0.1", replica.port(), "p1",
                            LoopbackReplicationTest.SECRET, Transport.plain(), 1 << 16, 500, 100, 100)).start()) {
                        LoopbackReplicationTest.awaitCatchUp(primary, replica);
                        assertEquals(LoopbackReplicationTest.dump(primary), LoopbackReplicationTest.dump(replica.heap()));
                        assertTrue(replica.appliedLsn() > from);
                    }
                }
            }
            System.out.println("bad peers: " + refused + " refused (garbage, silent, wrong secret), nothing applied; then a good"
                    + " primary caught the replica up");
        } finally {
            TempPools.delete(pool);
            TempPools.delete(copy);
        }
    }
}
