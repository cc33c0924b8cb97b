package io.ferrite.replicator.replica;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.HeapOptions;
import io.ferrite.pheap.Replay;
import io.ferrite.pmlog.PmLog;
import io.ferrite.pmlog.PmLogOptions;
import io.ferrite.replicator.wire.Connection;
import io.ferrite.replicator.wire.SharedSecret;
import io.ferrite.replicator.wire.Transport;
import io.ferrite.replicator.wire.WireException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A replica: a pool opened in replica mode ({@link HeapOptions#replica}) plus its mirror log
 * ({@code <pool>.mirror}, {@link PmLog#createMirror}, the primary's log capacity), and a listening
 * socket a primary connects to. Each accepted primary is served by a {@link ReplicaSession}
 * (handshake, then ENTRIES persisted into the mirror before ACK durable, applied through
 * {@link Heap#applyReplicated}, ACK applied); one primary at a time, a second one is refused.
 *
 * <p><b>Recovery.</b> At start the pool is opened (its own recovery), the mirror opened (its own
 * recovery finds its durable end), and every record the mirror still holds is applied again in
 * LSN order (records are idempotent; the mirror is reclaimed only up to what a checkpoint of the
 * pool has made durable). The replica then asks its primary to resume at the mirror's durable LSN.
 *
 * <p>Threading: one accept thread, one session thread; {@link #close} from any thread.
 */
public final class ReplicaServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.ferrite.replicator");

    /** What a replica is started with. */
    public record Config(Path pool, InetAddress address, int port, String nodeId, SharedSecret secret, Transport transport,
                         int maxFrameSize, int readTimeoutMillis, long startLsn) {
        /**
         * @param startLsn where a mirror made now starts: the checkpoint LSN of the base copy the
         *     pool is (ignored when the mirror exists)
         */
        public Config {
            if (secret == null && !transport.isTls()) {
                throw new IllegalArgumentException("replica " + nodeId + ": neither a shared secret nor TLS with client"
                        + " certificates is configured; a replica never accepts an unauthenticated primary");
            }
        }
    }

    private final Config config;
    private final Heap heap;
    private final PmLog mirror;
    private final ServerSocket listener;
    private final Thread acceptor;
    private final AtomicBoolean busy = new AtomicBoolean();
    private final long recoveredRecords;
    private volatile boolean closed;
    private volatile long appliedLsn;
    private volatile ReplicaSession session;
    private volatile WireException lastRefusal;

    private ReplicaServer(Config config) throws IOException {
        this.config = config;
        Path mirrorPath = mirrorPath(config.pool());
        Heap h = Heap.open(config.pool(), HeapOptions.defaults().replica(true));
        PmLog m = null;
        try {
            m = Files.exists(mirrorPath) ? PmLog.open(mirrorPath, PmLogOptions.defaults())
                    : PmLog.createMirror(mirrorPath, h.logCapacity(), config.startLsn(), PmLogOptions.defaults());
            if (!m.isMirror() || m.capacity() != h.logCapacity()) {
                throw new IllegalStateException(mirrorPath + " is not a mirror log of capacity " + h.logCapacity()
                        + " (mirror=" + m.isMirror() + ", capacity=" + m.capacity() + "); move it away to re-seed the replica");
            }
            long[] n = new long[1];
            final Heap hh = h;
            m.read(m.headLsn(), (lsn, type, seg, off, len) -> {
                if (Replay.isRedo(type)) {
                    hh.applyReplicated(lsn, seg, off, len);
                    n[0]++;
                }
                return true;
            });
            recoveredRecords = n[0];
            appliedLsn = m.durableLsn();
            listener = config.transport().listen(config.address(), config.port());
        } catch (RuntimeException | IOException e) {
            if (m != null) {
                m.close();
            }
            h.close();
            throw e;
        }
        this.heap = h;
        this.mirror = m;
        LOG.log(System.Logger.Level.INFO, "replica " + config.nodeId() + ": pool " + config.pool() + " mirror ["
                + m.headLsn() + ", " + m.durableLsn() + "), " + recoveredRecords + " records re-applied, listening on "
                + listener.getLocalSocketAddress());
        this.acceptor = Thread.ofPlatform().name("ferrite-replica-accept-" + config.nodeId()).daemon().unstarted(this::acceptLoop);
    }

    /** Opens and recovers the replica, and starts listening. */
    public static ReplicaServer start(Config config) {
        try {
            ReplicaServer s = new ReplicaServer(config);
            s.acceptor.start();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("replica " + config.nodeId() + ": cannot listen on " + config.address() + ":"
                    + config.port() + ": " + e.getMessage(), e);
        }
    }

    /** The mirror log of a replica pool. */
    public static Path mirrorPath(Path pool) {
        return pool.resolveSibling(pool.getFileName() + ".mirror");
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = listener.accept();
            } catch (SocketException e) {
                return; // closed
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(System.Logger.Level.WARNING, "replica " + config.nodeId() + ": accept failed: " + e.getMessage());
                }
                continue;
            }
            Connection conn;
            try {
                conn = new Connection(config.transport().accepted(s, config.readTimeoutMillis()), heap.term(),
                        config.maxFrameSize(), config.readTimeoutMillis());
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "replica " + config.nodeId() + ": dropping " + s.getRemoteSocketAddress()
                        + ": " + e.getMessage());
                try {
                    s.close();
                } catch (IOException ignored) {
                    // being dropped
                }
                continue;
            }
            if (!busy.compareAndSet(false, true)) {
                conn.refuse(new WireException(WireException.Kind.UNEXPECTED, "replica " + config.nodeId()
                        + " already streams from a primary"), "replica " + config.nodeId());
                continue;
            }
            Thread.ofPlatform().name("ferrite-replica-session-" + config.nodeId()).daemon().start(() -> {
                try {
                    ReplicaSession rs = new ReplicaSession(this, conn);
                    session = rs;
                    rs.run();
                } catch (WireException e) {
                    lastRefusal = e;
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "replica " + config.nodeId() + ": session with " + conn.peer()
                            + " failed: " + e, e);
                    conn.close();
                } finally {
                    session = null;
                    busy.set(false);
                }
            });
        }
    }

    Config config() {
        return config;
    }

    PmLog mirror() {
        return mirror;
    }

    void applied(long lsn) {
        appliedLsn = lsn;
    }

    /** The replica heap (replica mode: reads only, possibly stale, never torn). */
    public Heap heap() {
        return heap;
    }

    /** The port this replica listens on. */
    public int port() {
        return listener.getLocalPort();
    }

    /** Every record below this LSN is durable in the mirror log. */
    public long durableLsn() {
        return mirror.durableLsn();
    }

    /** Every record below this LSN has been applied to the pool. */
    public long appliedLsn() {
        return appliedLsn;
    }

    /** Records the mirror held at start and that were applied again. */
    public long recoveredRecords() {
        return recoveredRecords;
    }

    /** The last refusal of a session (what the replica told a primary it closed), or null. */
    public WireException lastRefusal() {
        return lastRefusal;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        ReplicaSession s = session;
        if (s != null) {
            s.stop();
        }
        try {
            acceptor.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (int i = 0; i < 100 && busy.get(); i++) { // the session thread ends once its socket is closed
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        heap.checkpoint();
        mirror.close();
        heap.close();
    }
}
