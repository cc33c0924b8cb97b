package io.ferrite.replicator.basecopy;

import io.ferrite.FerriteException;
import io.ferrite.media.Media;
import io.ferrite.pheap.format.Superblock;
import io.ferrite.pmlog.LogRecordDescriptor;
import io.ferrite.pmlog.LogRecordType;
import io.ferrite.pmlog.MirrorFrameException;
import io.ferrite.pmlog.PmLog;
import io.ferrite.pmlog.PmLogOptions;
import io.ferrite.replicator.replica.ReplicaServer;
import io.ferrite.replicator.wire.Connection;
import io.ferrite.replicator.wire.Frame;
import io.ferrite.replicator.wire.FrameDescriptor;
import io.ferrite.replicator.wire.Handshake;
import io.ferrite.replicator.wire.Messages.Ack;
import io.ferrite.replicator.wire.Messages.BaseCopyBegin;
import io.ferrite.replicator.wire.Messages.BaseCopyChunk;
import io.ferrite.replicator.wire.Messages.BaseCopyEnd;
import io.ferrite.replicator.wire.Messages.Entries;
import io.ferrite.replicator.wire.WireException;
import io.ferrite.replicator.wire.WireException.Kind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.CRC32C;

/**
 * The replica side of a base copy: a replica without a pool listens where it will serve, accepts
 * its primary, says what it has staged (BASE_COPY_RESUME), stages the chunks of the image the
 * primary sends ({@link Staging}: each chunk's CRC32C checked before it is written, progress
 * recorded only after the bytes are forced), verifies the whole image, writes the records [C, E)
 * that follow into the image's log region (a mirror log starting at C), and installs it: the
 * mirror log {@code <pool>.mirror} at E first, then the image renamed to the pool path, the
 * directory forced. Opening the pool then is an ordinary replica open: its recovery replays
 * [C, E) through the one replay path, and swizzles the pool to the replica's base when the mapping
 * lands elsewhere. A cut or a refused chunk leaves the staging to be resumed by the next
 * connection.
 *
 * <p>{@link #startReplica} is the usual entry: seed the pool when it is missing, then start the
 * {@link ReplicaServer} on the same port.
 *
 * <p>Threading: {@link #awaitInstalled} runs the accept loop and the sessions on the calling
 * thread, one primary at a time; {@link #close} from any thread. Durability: nothing reaches the
 * pool path before the image is complete, verified and holds its records; see {@link Staging}.
 */
public final class BaseCopyReceiver implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.ferrite.replicator");
    /** Staged bytes between two syncs of the staging (a crash loses at most this much of the copy). */
    private static final long SYNC_BYTES_DEFAULT = 4L << 20;
    /** The largest image accepted (64 TiB), before a staging file of that length is made. */
    private static final long MAX_IMAGE_LENGTH = 1L << 46;

    /** What an installed base copy was. */
    public record Installed(long checkpointLsn, long endLsn, long imageLength, long chunksReceived, List<Long> startOffsets) {
    }

    /** Test hooks: a step of the install about to run ("mirror", "rename", "cleanup"). */
    interface Hooks {
        Hooks NONE = new Hooks() {
        };

        default void installStep(String step) {
        }
    }

    private final ReplicaServer.Config config;
    private final ServerSocket listener;
    private final List<Long> startOffsets = new CopyOnWriteArrayList<>();
    volatile Hooks hooks = Hooks.NONE;
    volatile long syncBytes = SYNC_BYTES_DEFAULT;
    private volatile boolean closed;
    private volatile Connection current;
    private volatile WireException lastRefusal;
    private volatile String lastFailure = "none";
    private volatile long chunks;
    private volatile long refusedChunks;

    private BaseCopyReceiver(ReplicaServer.Config config) throws IOException {
        this.config = config;
        this.listener = config.transport().listen(config.address(), config.port());
    }

    /**
     * True when {@code pool} has to be seeded by a base copy before a replica can serve it: it does
     * not exist, or {@link #markForReseed} asked for a new copy. Cleans up after a crash that came
     * after an install's rename (the pool there is complete).
     */
    public static boolean needsSeed(Path pool) {
        try {
            if (Staging.installedBeforeACrash(pool)) {
                Staging.removeSidecars(pool);
            }
            return !Files.exists(pool) || Files.exists(Staging.reseedPath(pool));
        } catch (IOException e) {
            throw new UncheckedIOException("checking the base copy staging of " + pool + ": " + e.getMessage(), e);
        }
    }

    /**
     * Asks for a new base copy of a replica pool that has one (its resume LSN is no longer in the
     * primary's log, or its slot is LOST): writes the marker {@code <pool>.basecopy.reseed}, so that
     * the next {@link #startReplica} seeds instead of serving the old pool, which stays in place
     * until the new image is complete and verified (then it is deleted, and the image renamed into
     * its place). The replica must be stopped; start it again with {@link #startReplica}, not
     * {@code ReplicaServer.start}, which does not look at the marker.
     */
    public static void markForReseed(Path pool) {
        java.util.Optional<String> holder = io.ferrite.pheap.Heap.lockHolder(pool);
        if (holder.isPresent()) {
            throw new IllegalStateException("replica pool " + pool + " is open (" + holder.get() + "): stop the replica before"
                    + " asking for a new base copy");
        }
        try {
            Files.write(Staging.reseedPath(pool), new byte[0]);
            Staging.forceDirectory(pool);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + Staging.reseedPath(pool) + ": " + e.getMessage(), e);
        }
    }

    /** Listens on the replica's address and port for the primary that will seed {@code config.pool()}. */
    public static BaseCopyReceiver listen(ReplicaServer.Config config) {
        try {
            return new BaseCopyReceiver(config);
        } catch (IOException e) {
            throw new UncheckedIOException("replica " + config.nodeId() + ": cannot listen on " + config.address() + ":"
                    + config.port() + " for a base copy: " + e.getMessage(), e);
        }
    }

    /**
     * Starts a replica of {@code config.pool()}: when it {@link #needsSeed} (no pool, or a re-seed
     * was asked for), first seeds it by a base copy from the primary that connects (waiting at most {@code seedTimeoutMillis}), then
     * starts the {@link ReplicaServer} on the port the copy came in on.
     */
    public static ReplicaServer startReplica(ReplicaServer.Config config, long seedTimeoutMillis) {
        ReplicaServer.Config c = config;
        if (needsSeed(config.pool())) {
            try (BaseCopyReceiver r = listen(config)) {
                r.awaitInstalled(seedTimeoutMillis);
                c = onPort(config, r.port());
            }
        }
        return ReplicaServer.start(c);
    }

    /** {@code config} listening on {@code port} (the one a base copy came in on, when the config says 0). */
    static ReplicaServer.Config onPort(ReplicaServer.Config config, int port) {
        return new ReplicaServer.Config(config.pool(), config.address(), port, config.nodeId(), config.secret(), config.transport(),
                config.maxFrameSize(), config.readTimeoutMillis(), config.startLsn());
    }

    public int port() {
        return listener.getLocalPort();
    }

    /**
     * Accepts primaries, one at a time, until one has installed the pool; bounded by
     * {@code timeoutMillis} (a {@link FerriteException} then, the staging kept for the next try).
     */
    public Installed awaitInstalled(long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        String side = "replica " + config.nodeId() + " (base copy)";
        while (!closed) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                break;
            }
            Socket s;
            try {
                listener.setSoTimeout((int) Math.min(left, 1000));
                s = listener.accept();
            } catch (SocketTimeoutException e) {
                continue;
            } catch (SocketException e) {
                break; // closed
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, side + ": accept failed: " + e.getMessage());
                continue;
            }
            Connection conn;
            try {
                conn = new Connection(config.transport().accepted(s, config.readTimeoutMillis()), 0, config.maxFrameSize(),
                        config.readTimeoutMillis());
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, side + ": dropping " + s.getRemoteSocketAddress() + ": " + e.getMessage());
                closeQuietly(s);
                continue;
            }
            current = conn;
            try {
                return session(conn, side);
            } catch (WireException e) {
                lastRefusal = e;
            } catch (RuntimeException e) {
                lastFailure = e.toString();
                LOG.log(System.Logger.Level.ERROR, side + ": session with " + conn.peer() + " failed: " + e, e);
            } finally {
                conn.close();
                current = null;
            }
        }
        throw new FerriteException("replica " + config.nodeId() + ": no base copy of " + config.pool() + " was installed within "
                + timeoutMillis + " ms (staged so far: " + stagedOffset() + " bytes; last refusal: "
                + (lastRefusal == null ? "none" : lastRefusal.getMessage()) + "; last failure: " + lastFailure + ")",
                "start the primary's shipper with a base copy source for this destination; the staged part is resumed");
    }

    private long stagedOffset() {
        try (Staging st = Staging.open(config.pool(), syncBytes)) {
            return st.offset();
        }
    }

    private Installed session(Connection conn, String side) {
        try (Staging st = Staging.open(config.pool(), syncBytes)) {
            Staging.Identity staged = st.identity();
            Handshake.Result hs;
            try {
                hs = Handshake.run(conn, new Handshake.Identity(staged == null ? Handshake.NO_POOL : staged.poolId(),
                        staged == null ? 0 : staged.term(), 0, FrameDescriptor.ROLE_REPLICA, config.nodeId(), -1), config.secret(), -1, -1);
            } catch (WireException e) {
                if (e.kind() == Kind.WRONG_POOL && staged != null) {
                    LOG.log(System.Logger.Level.ERROR, side + ": the staged image " + st.imagePath() + " is of pool " + staged.poolId()
                            + ", the primary at " + conn.peer() + " serves another pool; delete " + st.imagePath() + "* to seed"
                            + " from this primary");
                }
                throw e;
            }
            try {
                conn.writer().send(FrameDescriptor.BASE_COPY_RESUME, st.resume().encode());
                BaseCopyBegin b = BaseCopyBegin.decode(conn.next("BASE_COPY_BEGIN"));
                if (!b.poolId().equals(hs.peer().poolId()) || b.term() > hs.peerTerm()
                        || b.chunkSize() + FrameDescriptor.BASE_COPY_DATA_OFFSET > config.maxFrameSize()
                        || b.chunkSize() % 4096 != 0 || b.imageLength() % 4096 != 0 || b.imageLength() > MAX_IMAGE_LENGTH) {
                    throw new WireException(Kind.MALFORMED, "BASE_COPY_BEGIN names pool " + b.poolId() + " (the primary's is "
                            + hs.peer().poolId() + "), term " + b.term() + " (the primary's " + hs.peerTerm() + "), an image of "
                            + b.imageLength() + " bytes (page multiples up to " + MAX_IMAGE_LENGTH + "), chunks of " + b.chunkSize()
                            + " bytes (page multiples, frames up to " + config.maxFrameSize() + ")");
                }
                Staging.Identity id = Staging.Identity.of(b);
                if (b.startOffset() == 0 || !id.equals(staged)) {
                    if (b.startOffset() != 0) {
                        st.forget(); // the next session starts over rather than meet the same refusal
                        throw new WireException(Kind.MALFORMED, "BASE_COPY_BEGIN resumes an image at offset " + b.startOffset()
                                + " that this replica has not staged (" + staged + ")");
                    }
                    st.reset(id);
                } else if (b.startOffset() != st.offset()) {
                    st.forget();
                    throw new WireException(Kind.MALFORMED, "BASE_COPY_BEGIN resumes at offset " + b.startOffset()
                            + ", this replica staged " + st.offset() + " bytes");
                }
                startOffsets.add(b.startOffset());
                LOG.log(System.Logger.Level.INFO, side + ": receiving the image of pool " + b.poolId() + " at checkpoint LSN "
                        + b.checkpointLsn() + " (" + b.imageLength() + " bytes) from offset " + b.startOffset());
                try {
                    receiveChunks(conn, st, id);
                } finally {
                    st.sync();
                }
                Superblock sb = st.verify();
                long capacity = sb.logLength() - PmLog.regionLength(0);
                long end = stageRecords(conn, st, sb, id.checkpointLsn());
                Path mirror = ReplicaServer.mirrorPath(config.pool());
                st.install(mirror, () -> PmLog.createMirror(mirror, capacity, end, PmLogOptions.defaults()).close(), hooks);
                LOG.log(System.Logger.Level.INFO, side + ": installed " + config.pool() + ": image at checkpoint LSN "
                        + id.checkpointLsn() + ", its records to LSN " + end + "; the mirror log starts there");
                conn.writer().send(FrameDescriptor.ACK, new Ack(end, end).encode());
                return new Installed(id.checkpointLsn(), end, id.imageLength(), chunks, List.copyOf(startOffsets));
            } catch (WireException e) {
                throw conn.refuse(e, side);
            }
        }
    }

    private void receiveChunks(Connection conn, Staging st, Staging.Identity id) {
        CRC32C crc = new CRC32C();
        while (st.offset() < id.imageLength()) {
            BaseCopyChunk ch = BaseCopyChunk.decode(conn.next("BASE_COPY"));
            long off = st.offset();
            int n = (int) Math.min(id.chunkSize(), id.imageLength() - off);
            if (ch.imageOffset() != off || ch.imageLength() != id.imageLength() || ch.dataLength() != n) {
                throw new WireException(Kind.OUT_OF_ORDER, "BASE_COPY chunk [" + ch.imageOffset() + ", +" + ch.dataLength()
                        + ") of an image of " + ch.imageLength() + " bytes; expected [" + off + ", +" + n + ") of "
                        + id.imageLength());
            }
            crc.reset();
            crc.update(ch.data(), 0, n);
            if ((int) crc.getValue() != ch.crc()) {
                refusedChunks++;
                throw new WireException(Kind.BAD_CRC, "BASE_COPY chunk at image offset " + off + " (" + n + " bytes) has CRC32C 0x"
                        + Integer.toHexString((int) crc.getValue()) + ", the primary read 0x" + Integer.toHexString(ch.crc())
                        + " from its pool: refused, nothing of it staged; the copy resumes at this offset");
            }
            st.write(ch.data(), n, ch.crc());
            chunks++;
        }
    }

    /**
     * Formats the image's log region as a mirror log starting at C and appends the records the
     * primary sends after the chunks (ENTRIES, verbatim: LSN continuity, epoch and CRC checked by
     * the mirror) until BASE_COPY_END; returns E.
     */
    private long stageRecords(Connection conn, Staging st, Superblock sb, long from) {
        PmLogOptions lo = PmLogOptions.defaults();
        try (Media m = Media.open(st.imagePath(), lo.mediaOptions());
             PmLog log = PmLog.formatMirror(m, sb.logOffset(), sb.logLength(), from, lo)) {
            while (true) {
                Frame f = conn.next("ENTRIES or BASE_COPY_END");
                if (f.type() == FrameDescriptor.BASE_COPY_END) {
                    long end = BaseCopyEnd.decode(f).endLsn();
                    if (end != log.durableLsn()) {
                        throw new WireException(Kind.LSN_GAP, "BASE_COPY_END at LSN " + end + ", the image's log holds the records"
                                + " up to " + log.durableLsn());
                    }
                    return end;
                }
                Entries e = Entries.decode(f);
                if (e.firstLsn() != log.durableLsn()) {
                    throw new WireException(Kind.LSN_GAP, "ENTRIES from LSN " + e.firstLsn() + " after the image, expected "
                            + log.durableLsn());
                }
                ByteBuffer recs = e.records().duplicate().order(ByteOrder.LITTLE_ENDIAN);
                MemorySegment seg = MemorySegment.ofBuffer(recs);
                for (int pos = 0, base = recs.position(); pos < recs.remaining(); ) {
                    int len = recs.getInt(base + pos + LogRecordDescriptor.LENGTH_OFFSET);
                    int framed = recs.getShort(base + pos + LogRecordDescriptor.TYPE_OFFSET) == LogRecordType.PADDING_CODE
                            ? LogRecordDescriptor.HEADER_LENGTH : LogRecordDescriptor.HEADER_LENGTH + len;
                    try {
                        log.appendMirrored(seg, pos, framed);
                    } catch (MirrorFrameException ex) {
                        throw new WireException(Kind.LSN_GAP, "record refused by the image's log: " + ex.getMessage(), ex);
                    }
                    pos += framed;
                }
            }
        }
    }


    /** Chunks staged so far (all sessions). */
    public long chunksReceived() {
        return chunks;
    }

    /** Chunks refused because their CRC32C did not match. */
    public long chunksRefused() {
        return refusedChunks;
    }

    /** The offsets the sessions' chunks started at, in order. */
    public List<Long> startOffsets() {
        return List.copyOf(startOffsets);
    }

    public WireException lastRefusal() {
        return lastRefusal;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // being dropped
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        Connection c = current;
        if (c != null) {
            c.close();
        }
    }
}
