package io.ferrite.replicator.wire;

import static io.ferrite.replicator.wire.FrameDescriptor.ROLE_PRIMARY;
import static io.ferrite.replicator.wire.FrameDescriptor.ROLE_REPLICA;

import io.ferrite.replicator.wire.Messages.Ack;
import io.ferrite.replicator.wire.Messages.Auth;
import io.ferrite.replicator.wire.Messages.Heartbeat;
import io.ferrite.replicator.wire.Messages.Hello;
import io.ferrite.replicator.wire.WireException.Kind;
import java.util.UUID;

/**
 * The opening of a replication connection, the same steps on both sides (each writes before it
 * reads, so the two never wait for each other):
 * <ol>
 * <li>HELLO both ways: pool UUID, term (frame header), log capacity, role, node id, resume LSN,
 * a fresh nonce;</li>
 * <li>AUTH both ways when a {@link SharedSecret} is configured: each side's HMAC proof over both
 * nonces, checked in constant time ({@code AUTHENTICATION} when it does not match);</li>
 * <li>checks on what the authenticated peer said: the other role, the same pool UUID and log
 * capacity ({@code WRONG_POOL}), and the primary's term not below the replica's
 * ({@code STALE_TERM}: the primary was fenced by a promotion);</li>
 * <li>acceptance: the replica sends ACK (its durable and applied LSN), the primary a HEARTBEAT
 * (its clock and durable LSN). A side that refused sent ERROR instead, so the other side reads the
 * reason where it expected the acceptance.</li>
 * </ol>
 * Any refusal goes through {@link Connection#refuse} (ERROR frame, close, one log line) and is
 * thrown; nothing the peer sent is used before the handshake has returned.
 */
public final class Handshake {
    /**
     * The pool UUID of a replica that has no pool yet and asks to be seeded by a base copy. A
     * seeding replica says log capacity 0: the capacity is then not checked, nor the pool while it
     * is NO_POOL (the seeding replica proves its secret over the primary's pool UUID); once it has
     * staged part of an image it names that image's pool, which must be the primary's.
     */
    public static final UUID NO_POOL = new UUID(0, 0);

    /** What this side says about itself in its HELLO. */
    public record Identity(UUID poolId, long term, long capacity, short role, String nodeId, long resumeLsn) {
        /** True for a replica without a pool ({@link #NO_POOL}): it can only receive a base copy. */
        public boolean seeding() {
            return role == ROLE_REPLICA && capacity == 0 && NO_POOL.equals(poolId);
        }
    }

    /**
     * What the peer said, once it was accepted.
     *
     * @param ack the replica's acceptance (on the primary side), else null
     * @param heartbeat the primary's acceptance (on the replica side), else null
     */
    public record Result(Hello peer, long peerTerm, Ack ack, Heartbeat heartbeat) {
    }

    private Handshake() {
    }

    /**
     * Runs the handshake on {@code conn} as {@code self}; {@code secret} may be null only when the
     * transport authenticates the peer (TLS with client certificates), and then on both sides.
     * {@code acceptance} is what this side sends at step 4: for a replica its durable and applied
     * LSN, for a primary its durable LSN (the clock is read here).
     */
    public static Result run(Connection conn, Identity self, SharedSecret secret, long acceptance1, long acceptance2) {
        String side = (self.role() == ROLE_PRIMARY ? "primary " : "replica ") + self.nodeId();
        try {
            byte[] nonce = SharedSecret.nonce();
            conn.writer().term(self.term());
            conn.writer().send(FrameDescriptor.HELLO,
                    new Hello(self.poolId(), self.resumeLsn(), self.capacity(), self.role(), self.nodeId(), nonce).encode());
            Frame hf = conn.reader().read();
            if (hf == null) {
                throw new WireException(Kind.TRUNCATED, "the peer " + conn.peer() + " closed the connection before its HELLO");
            }
            long peerTerm = hf.term();
            Hello peer = Hello.decode(hf);
            if (secret != null) {
                UUID pool = self.seeding() ? peer.poolId() : self.poolId();
                conn.writer().send(FrameDescriptor.AUTH, new Auth(secret.proof(self.role(), peer.nonce(), nonce, pool)).encode());
                Auth auth = Auth.decode(conn.next("AUTH"));
                if (!secret.verify(auth.proof(), peer.role(), nonce, peer.nonce(), pool)) {
                    throw new WireException(Kind.AUTHENTICATION, "peer " + peer.nodeId() + " at " + conn.peer()
                            + " failed the shared-secret challenge: its HMAC-SHA256 proof does not match this node's secret"
                            + " (or it serves another pool)");
                }
            }
            check(self, peer, peerTerm, conn);
            Ack ack = null;
            Heartbeat hb = null;
            if (self.role() == ROLE_REPLICA) {
                conn.writer().send(FrameDescriptor.ACK, new Ack(acceptance1, acceptance2).encode());
                hb = Heartbeat.decode(conn.next("HEARTBEAT"));
            } else {
                conn.writer().send(FrameDescriptor.HEARTBEAT, new Heartbeat(System.currentTimeMillis(), acceptance1).encode());
                ack = Ack.decode(conn.next("ACK"));
            }
            return new Result(peer, peerTerm, ack, hb);
        } catch (WireException e) {
            throw conn.refuse(e, side);
        } catch (RuntimeException e) {
            throw conn.refuse(new WireException(Kind.IO, "handshake with " + conn.peer() + " failed: " + e.getMessage(), e), side);
        }
    }

    private static void check(Identity self, Hello peer, long peerTerm, Connection conn) {
        String who = "peer " + peer.nodeId() + " at " + conn.peer();
        if (peer.role() == self.role()) {
            throw new WireException(Kind.UNEXPECTED, who + " is also a " + (self.role() == ROLE_PRIMARY ? "primary" : "replica"));
        }
        // a replica being seeded by a base copy says capacity 0, and pool NO_POOL until it has
        // staged a part of an image: the base copy brings the primary's pool and capacity
        UUID replicaPool = self.role() == ROLE_REPLICA ? self.poolId() : peer.poolId();
        boolean seeding = (self.role() == ROLE_REPLICA ? self.capacity() : peer.capacity()) == 0;
        if (!(seeding && NO_POOL.equals(replicaPool)) && !peer.poolId().equals(self.poolId())) {
            throw new WireException(Kind.WRONG_POOL, who + " names pool " + peer.poolId() + ", this node holds pool "
                    + self.poolId());
        }
        if (!seeding && peer.capacity() != self.capacity()) {
            throw new WireException(Kind.WRONG_POOL, who + " has a log capacity of " + peer.capacity() + " bytes, this node "
                    + self.capacity() + " (a mirror needs its primary's capacity)");
        }
        long primaryTerm = self.role() == ROLE_PRIMARY ? self.term() : peerTerm;
        long replicaTerm = self.role() == ROLE_PRIMARY ? peerTerm : self.term();
        if (primaryTerm < replicaTerm) {
            throw new WireException(Kind.STALE_TERM, "the primary's term " + primaryTerm + " is below the replica's term "
                    + replicaTerm + ": the primary was fenced by a promotion"
                    + (self.role() == ROLE_PRIMARY ? " (this node)" : " (" + who + ")"));
        }
    }
}
