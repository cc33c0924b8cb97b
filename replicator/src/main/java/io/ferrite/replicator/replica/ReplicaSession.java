package io.ferrite.replicator.replica;

import io.ferrite.FerriteException;
import io.ferrite.pheap.Heap;
import io.ferrite.pheap.Replay;
import io.ferrite.pmlog.LogRecordDescriptor;
import io.ferrite.pmlog.LogRecordType;
import io.ferrite.pmlog.MirrorFrameException;
import io.ferrite.pmlog.PmLog;
import io.ferrite.replicator.wire.Connection;
import io.ferrite.replicator.wire.Frame;
import io.ferrite.replicator.wire.FrameDescriptor;
import io.ferrite.replicator.wire.Handshake;
import io.ferrite.replicator.wire.Messages;
import io.ferrite.replicator.wire.Messages.Ack;
import io.ferrite.replicator.wire.Messages.Entries;
import io.ferrite.replicator.wire.Messages.Heartbeat;
import io.ferrite.replicator.wire.WireException;
import io.ferrite.replicator.wire.WireException.Kind;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One primary's stream into a replica: the handshake, then frames in order. For each ENTRIES
 * frame: the frame's term must be the session's and its first LSN the mirror's next; every record
 * is persisted into the mirror log ({@link PmLog#appendMirrored}: LSN continuity, epoch, CRC32C
 * checked there; nothing is written for a refused record); then ACK(durable) is sent; then the
 * redo records are applied ({@link Heap#applyReplicated}) and ACK(applied) is sent. The mirror is
 * reclaimed only after a checkpoint of the pool has made the applied records durable there.
 *
 * <p>Threading: runs on the session thread; {@link #stop} from any thread.
 */
final class ReplicaSession {
    private static final System.Logger LOG = System.getLogger("io.ferrite.replicator");

    private final ReplicaServer server;
    private final Connection conn;
    private final String side;
    private long term;
    private long expected;
    private long lastPrimaryClock;
    private long lastPrimaryDurable;

    ReplicaSession(ReplicaServer server, Connection conn) {
        this.server = server;
        this.conn = conn;
        this.side = "replica " + server.config().nodeId();
    }

    void stop() {
        conn.close();
    }

    void run() {
        PmLog mirror = server.mirror();
        Heap heap = server.heap();
        ReplicaServer.Config c = server.config();
        Handshake.Result hs = Handshake.run(conn, new Handshake.Identity(heap.poolId(), heap.term(), mirror.capacity(),
                FrameDescriptor.ROLE_REPLICA, c.nodeId(), mirror.durableLsn()), c.secret(), mirror.durableLsn(), server.appliedLsn());
        term = hs.peerTerm();
        if (term > heap.term()) {
            heap.persistTerm(term); // before anything of the new term is acknowledged
        }
        expected = mirror.durableLsn();
        LOG.log(System.Logger.Level.INFO, side + ": streaming from primary " + hs.peer().nodeId() + " at " + conn.peer()
                + ", term " + term + ", from LSN " + expected);
        try {
            while (!conn.isClosed()) {
                Frame f = conn.reader().read();
                if (f == null) {
                    LOG.log(System.Logger.Level.INFO, side + ": primary " + conn.peer() + " closed the connection at LSN " + expected);
                    conn.close();
                    return;
                }
                if (f.term() != term) {
                    throw new WireException(Kind.STALE_TERM, "a " + f.typeName() + " frame of term " + f.term()
                            + " in a session of term " + term);
                }
                switch (f.type()) {
                    case FrameDescriptor.ENTRIES -> entries(Entries.decode(f), mirror, heap);
                    case FrameDescriptor.HEARTBEAT -> {
                        Heartbeat hb = Heartbeat.decode(f);
                        lastPrimaryClock = hb.clockMillis();
                        lastPrimaryDurable = hb.durableLsn();
                    }
                    case FrameDescriptor.SEAL -> LOG.log(System.Logger.Level.INFO, side + ": primary sealed its log at LSN "
                            + Messages.Seal.decode(f).finalLsn() + " (term " + term + ")");
                    default -> Messages.expect(f, FrameDescriptor.ENTRIES); // ERROR becomes the peer's reason
                }
            }
        } catch (WireException e) {
            if (conn.isClosed() && e.kind() == Kind.IO) {
                return; // stopped
            }
            throw conn.refuse(e, side);
        }
    }

    private void entries(Entries e, PmLog mirror, Heap heap) {
        if (e.firstLsn() != expected) {
            throw new WireException(Kind.LSN_GAP, "ENTRIES from LSN " + e.firstLsn() + ", this replica holds everything below "
                    + expected + " and expects that LSN next");
        }
        ByteBuffer recs = e.records().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        MemorySegment seg = MemorySegment.ofBuffer(recs);
        int limit = recs.remaining();
        int base = recs.position();
        // 1. persist every record into the mirror, in order
        for (int pos = 0; pos < limit; ) {
            int framed = framedLength(recs, base + pos);
            try {
                expected = mirror.appendMirrored(seg, pos, framed);
            } catch (MirrorFrameException ex) {
                throw new WireException(Kind.LSN_GAP, "record refused by the mirror log: " + ex.getMessage(), ex);
            }
            pos += framed;
        }
        long durable = expected;
        conn.writer().send(FrameDescriptor.ACK, new Ack(durable, server.appliedLsn()).encode());
        // 2. apply the redo records through the one replay path
        for (int pos = 0; pos < limit; ) {
            int framed = framedLength(recs, base + pos);
            short type = recs.getShort(base + pos + LogRecordDescriptor.TYPE_OFFSET);
            if (Replay.isRedo(type)) {
                long lsn = recs.getLong(base + pos + LogRecordDescriptor.LSN_OFFSET);
                try {
                    heap.applyReplicated(lsn, seg, pos + LogRecordDescriptor.HEADER_LENGTH, framed - LogRecordDescriptor.HEADER_LENGTH);
                } catch (FerriteException ex) {
                    throw new WireException(Kind.MALFORMED, "redo record at LSN " + lsn + " cannot be applied: " + ex.getMessage(), ex);
                }
            }
            pos += framed;
        }
        server.applied(durable);
        conn.writer().send(FrameDescriptor.ACK, new Ack(durable, durable).encode());
        // 3. keep the mirror's ring free: checkpoint the pool, then drop what it now holds
        if (durable - mirror.headLsn() > mirror.capacity() / 2) {
            heap.checkpoint();
            mirror.reclaim(durable);
        }
    }

    private static int framedLength(ByteBuffer recs, int at) {
        int len = recs.getInt(at + LogRecordDescriptor.LENGTH_OFFSET);
        short type = recs.getShort(at + LogRecordDescriptor.TYPE_OFFSET);
        return type == LogRecordType.PADDING_CODE ? LogRecordDescriptor.HEADER_LENGTH : LogRecordDescriptor.HEADER_LENGTH + len;
    }

    long lastPrimaryClock() {
        return lastPrimaryClock;
    }

    long lastPrimaryDurable() {
        return lastPrimaryDurable;
    }
}
