package io.ferrite.replicator.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.replicator.wire.Handshake.Identity;
import io.ferrite.replicator.wire.WireException.Kind;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HandshakeTest {
    private static final int MAX = 1 << 20;
    private static final int TIMEOUT = 10_000;
    private static final UUID POOL = UUID.randomUUID();
    private static final SharedSecret SECRET = SharedSecret.of("sixteen-byte-secret!".getBytes(StandardCharsets.UTF_8));

    private static Identity primary(UUID pool, long term) {
        return new Identity(pool, term, 1 << 20, FrameDescriptor.ROLE_PRIMARY, "p1", -1);
    }

    private static Identity replica(UUID pool, long term) {
        return new Identity(pool, term, 1 << 20, FrameDescriptor.ROLE_REPLICA, "r1", 4096);
    }

    /** The outcome of each side: a Result or the exception it threw. */
    record Outcome(Object primary, Object replica) {
    }

    private static Outcome pair(Transport pt, Identity p, SharedSecret ps, Transport rt, Identity r, SharedSecret rs)
            throws Exception {
        try (ServerSocket ss = rt.listen(InetAddress.getLoopbackAddress(), 0)) {
            ss.setSoTimeout(TIMEOUT);
            CompletableFuture<Object> replicaSide = CompletableFuture.supplyAsync(() -> {
                try (Socket s = rt.accepted(ss.accept(), TIMEOUT); Connection c = new Connection(s, r.term(), MAX, TIMEOUT)) {
                    return Handshake.run(c, r, rs, 4096, 4096);
                } catch (Exception e) {
                    return e;
                }
            });
            Object primarySide;
            try (Socket s = pt.connect("127.0.0.1", ss.getLocalPort(), TIMEOUT); Connection c = new Connection(s, p.term(), MAX, TIMEOUT)) {
                primarySide = Handshake.run(c, p, ps, 8192, 0);
            } catch (Exception e) {
                primarySide = e;
            }
            return new Outcome(primarySide, replicaSide.get(30, TimeUnit.SECONDS));
        }
    }

    private static void refused(Object outcome, Kind kind, String words) {
        WireException e = assertInstanceOf(WireException.class, outcome, String.valueOf(outcome));
        assertEquals(kind, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains(words), e.getMessage());
        System.out.println("refused: " + e.getMessage());
    }

    @Test
    void matchingSecretsAuthenticateBothWays() throws Exception {
        Outcome o = pair(Transport.plain(), primary(POOL, 3), SECRET, Transport.plain(), replica(POOL, 2), SECRET);
        Handshake.Result p = assertInstanceOf(Handshake.Result.class, o.primary());
        Handshake.Result r = assertInstanceOf(Handshake.Result.class, o.replica());
        assertEquals("r1", p.peer().nodeId());
        assertEquals(4096, p.ack().durableLsn());
        assertEquals("p1", r.peer().nodeId());
        assertEquals(3, r.peerTerm());
        assertEquals(8192, r.heartbeat().durableLsn());
    }

    /** A replica without a pool (capacity 0): accepted with the secret, over the primary's pool; its staged pool must be the primary's. */
    @Test
    void aSeedingReplicaAuthenticatesOverThePrimarysPool() throws Exception {
        Identity seeding = new Identity(Handshake.NO_POOL, 0, 0, FrameDescriptor.ROLE_REPLICA, "r1", -1);
        assertTrue(seeding.seeding());
        Outcome o = pair(Transport.plain(), primary(POOL, 3), SECRET, Transport.plain(), seeding, SECRET);
        Handshake.Result p = assertInstanceOf(Handshake.Result.class, o.primary());
        assertEquals(0, p.peer().capacity(), "the primary sees a seeding replica");
        assertEquals(POOL, assertInstanceOf(Handshake.Result.class, o.replica()).peer().poolId());
        SharedSecret wrong = SharedSecret.of("another-sixteen-bytes".getBytes(StandardCharsets.UTF_8));
        o = pair(Transport.plain(), primary(POOL, 3), SECRET, Transport.plain(), seeding, wrong);
        refused(o.replica(), Kind.AUTHENTICATION, "shared-secret");
        Identity staged = new Identity(UUID.randomUUID(), 0, 0, FrameDescriptor.ROLE_REPLICA, "r1", -1);
        o = pair(Transport.plain(), primary(POOL, 3), SECRET, Transport.plain(), staged, SECRET);
        assertInstanceOf(WireException.class, o.replica(), "a staged image of another pool is refused: " + o.replica());
        assertInstanceOf(WireException.class, o.primary(), String.valueOf(o.primary()));
    }

    @Test
    void aWrongSecretIsRefusedOnBothSides() throws Exception {
        SharedSecret other = SharedSecret.of("another-secret-of-16".getBytes(StandardCharsets.UTF_8));
        Outcome o = pair(Transport.plain(), primary(POOL, 1), other, Transport.plain(), replica(POOL, 1), SECRET);
        refused(o.primary(), Kind.AUTHENTICATION, "shared-secret challenge");
        refused(o.replica(), Kind.AUTHENTICATION, "shared-secret challenge");
    }

    @Test
    void anotherPoolIsRefusedOnBothSides() throws Exception {
        Outcome o = pair(Transport.plain(), primary(UUID.randomUUID(), 1), SECRET, Transport.plain(), replica(POOL, 1), SECRET);
        // the proofs cover the pool UUID, so another pool fails the challenge as well
        refused(o.primary(), Kind.AUTHENTICATION, "or it serves another pool");
        refused(o.replica(), Kind.AUTHENTICATION, "or it serves another pool");
        Outcome noSecret = pair(Transport.plain(), primary(UUID.randomUUID(), 1), null, Transport.plain(), replica(POOL, 1), null);
        refused(noSecret.primary(), Kind.WRONG_POOL, "names pool");
        refused(noSecret.replica(), Kind.WRONG_POOL, "names pool");
    }

    @Test
    void aPrimaryWithAnOlderTermIsFencedOnBothSides() throws Exception {
        Outcome o = pair(Transport.plain(), primary(POOL, 4), SECRET, Transport.plain(), replica(POOL, 5), SECRET);
        refused(o.primary(), Kind.STALE_TERM, "the primary's term 4 is below the replica's term 5");
        refused(o.replica(), Kind.STALE_TERM, "the primary's term 4 is below the replica's term 5");
    }

    @Test
    void tlsWithClientCertificates(@TempDir Path dir) throws Exception {
        char[] pw = "changeit".toCharArray();
        Path trusted = Keytool.keyPair(dir.resolve("node.p12"), "changeit");
        Path stranger = Keytool.keyPair(dir.resolve("stranger.p12"), "changeit");
        Transport node = Transport.tls(trusted, pw, trusted, pw);
        Outcome o = pair(node, primary(POOL, 1), SECRET, node, replica(POOL, 1), SECRET);
        assertInstanceOf(Handshake.Result.class, o.primary(), String.valueOf(o.primary()));
        assertInstanceOf(Handshake.Result.class, o.replica(), String.valueOf(o.replica()));
        // a client whose certificate the listener does not trust (and which does not trust it)
        Transport bad = Transport.tls(stranger, pw, stranger, pw);
        Outcome refused = pair(bad, primary(POOL, 1), SECRET, node, replica(POOL, 1), SECRET);
        assertNotNull(assertInstanceOf(Exception.class, refused.primary()));
        assertNotNull(assertInstanceOf(Exception.class, refused.replica()));
        System.out.println("tls: trusted pair authenticated; untrusted certificate refused: " + refused.primary());
    }
}
