package io.ferrite.replicator.basecopy;

import io.ferrite.replicator.replica.ReplicaServer;
import io.ferrite.replicator.wire.WireException;
import io.ferrite.replicator.wire.WireException.Kind;

/**
 * A replica that re-seeds itself: a {@link ReplicaServer} started by {@link
 * BaseCopyReceiver#startReplica} (so a missing pool is seeded first), watched by a thread that,
 * when the primary refuses the replica because its log no longer holds the replica's resume LSN
 * (an ERROR of kind {@code LSN_GAP}: the slot was given up or is LOST), stops the server, marks
 * the pool for a new base copy ({@link BaseCopyReceiver#markForReseed}) and starts it again
 * through the seeding path, on the same port. Reads on {@link #server()} go to the current server;
 * during a re-seed there is none that serves (the old pool serves again only if the copy fails).
 *
 * <p>Threading: one watching thread (polls the server's last refusal every 50 ms); {@link
 * #close} from any thread. Durability: as {@link BaseCopyReceiver} (the old pool is deleted only
 * once the new image is complete).
 */
public final class ReseedingReplica implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.ferrite.replicator");

    private final ReplicaServer.Config config;
    private final long seedTimeoutMillis;
    private final Thread watcher;
    private volatile ReplicaServer server;
    private volatile boolean closed;
    private volatile long reseeds;

    private ReseedingReplica(ReplicaServer.Config config, long seedTimeoutMillis) {
        this.config = config;
        this.seedTimeoutMillis = seedTimeoutMillis;
        this.server = BaseCopyReceiver.startReplica(config, seedTimeoutMillis);
        this.watcher = Thread.ofPlatform().name("ferrite-replica-reseed-" + config.nodeId()).daemon().unstarted(this::watch);
    }

    /** Starts the replica (seeding a missing pool first, within {@code seedTimeoutMillis}) and its watcher. */
    public static ReseedingReplica start(ReplicaServer.Config config, long seedTimeoutMillis) {
        ReseedingReplica r = new ReseedingReplica(config, seedTimeoutMillis);
        r.watcher.start();
        return r;
    }

    private void watch() {
        while (!closed) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
            ReplicaServer s = server;
            WireException e = s.lastRefusal();
            if (closed || e == null || e.kind() != Kind.PEER_ERROR || e.peerKind() != Kind.LSN_GAP) {
                continue;
            }
            int port = s.port();
            LOG.log(System.Logger.Level.WARNING, "replica " + config.nodeId() + ": " + e.getMessage() + "; re-seeding "
                    + config.pool() + " by a base copy");
            s.close();
            try {
                BaseCopyReceiver.markForReseed(config.pool());
                server = BaseCopyReceiver.startReplica(BaseCopyReceiver.onPort(config, port), seedTimeoutMillis);
                reseeds++;
            } catch (RuntimeException ex) {
                LOG.log(System.Logger.Level.ERROR, "replica " + config.nodeId() + ": re-seeding " + config.pool() + " failed: " + ex
                        + "; the marker stays, the next start seeds again", ex);
                return;
            }
        }
    }

    /** The replica server now. */
    public ReplicaServer server() {
        return server;
    }

    /** Base copies this replica asked for after a refusal. */
    public long reseeds() {
        return reseeds;
    }

    @Override
    public void close() {
        closed = true;
        watcher.interrupt();
        try {
            watcher.join(seedTimeoutMillis + 10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close();
    }
}
