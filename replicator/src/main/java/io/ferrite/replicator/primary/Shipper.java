package io.ferrite.replicator.primary;

import io.ferrite.pheap.Heap;
import io.ferrite.pmlog.LogReader;
import io.ferrite.replicator.basecopy.BaseCopySource;
import io.ferrite.replicator.wire.Connection;
import io.ferrite.replicator.wire.Frame;
import io.ferrite.replicator.wire.FrameDescriptor;
import io.ferrite.replicator.wire.Handshake;
import io.ferrite.replicator.wire.Messages.Ack;
import io.ferrite.replicator.wire.Messages.Entries;
import io.ferrite.replicator.wire.Messages.Heartbeat;
import io.ferrite.replicator.wire.SharedSecret;
import io.ferrite.replicator.wire.Transport;
import io.ferrite.replicator.wire.WireException;
import io.ferrite.replicator.wire.WireException.Kind;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * Ships a primary heap's log to one destination: connects, runs the {@link Handshake}, then
 * streams the records from where the replica says it holds everything (its ACK durable LSN) as
 * they become durable, read with the heap's tailing reader ({@link LogReader#pollFrames}, framed
 * verbatim), batched into ENTRIES frames of at most the maximum frame size; TCP gives the
 * back-pressure (a blocked send blocks only this thread). When the log is idle it sends a
 * HEARTBEAT every {@code heartbeatMillis}. A second thread reads the replica's ACKs into the
 * destination's {@link Slots.Slot}, which holds the log from reclaim. After a cut it reconnects
 * (a pause of {@code retryMillis} between attempts) and resumes from what the replica holds.
 *
 * <p>Nothing is added to the commit path: the shipper only reads durable records and sleeps on
 * the durable-LSN signal.
 *
 * <p>Threading: one shipping thread and one ack-reading thread per shipper; {@link #close} from
 * any thread.
 */
public final class Shipper implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.ferrite.replicator");

    /** One destination. */
    public record Config(String name, String host, int port, String nodeId, SharedSecret secret, Transport transport,
                         int maxFrameSize, int readTimeoutMillis, int heartbeatMillis, int retryMillis) {
        public Config {
            if (heartbeatMillis <= 0 || heartbeatMillis >= readTimeoutMillis) {
                throw new IllegalArgumentException("destination " + name + ": heartbeatMillis " + heartbeatMillis
                        + " must be positive and below readTimeoutMillis " + readTimeoutMillis
                        + " (else an idle primary looks dead to its replica)");
            }
        }
    }

    private final Heap heap;
    private final Slots slots;
    private final Config config;
    private final Thread thread;
    private final byte[] batch;
    private volatile boolean running = true;
    private volatile BaseCopySource baseCopy;
    private volatile Connection conn;
    private volatile WireException lastRefusal;
    private volatile long shippedLsn = -1;
    // written by the shipping thread only, read by monitors
    private volatile long records;
    private volatile long frames;
    private volatile long heartbeats;
    // the batch being filled
    private int batchPos;
    private int batchCount;
    private long batchFirst;

    public Shipper(Heap heap, Slots slots, Config config) {
        this.heap = heap;
        this.slots = slots;
        this.config = config;
        this.batch = new byte[config.maxFrameSize()];
        this.thread = Thread.ofPlatform().name("ferrite-shipper-" + config.name()).daemon().unstarted(this::loop);
    }

    /**
     * Seeds this destination by a base copy when it needs one ({@link BaseCopySource#needed}),
     * instead of refusing it; before {@link #start}.
     */
    public Shipper baseCopy(BaseCopySource source) {
        this.baseCopy = source;
        return this;
    }

    public Shipper start() {
        thread.start();
        return this;
    }

    private void loop() {
        while (running) {
            try {
                Connection c = new Connection(config.transport().connect(config.host(), config.port(), config.readTimeoutMillis()),
                        heap.term(), config.maxFrameSize(), config.readTimeoutMillis());
                conn = c;
                if (!running) {
                    c.close();
                    return;
                }
                session(c);
            } catch (WireException e) {
                lastRefusal = e; // refused and logged by the connection
                if (e.kind() == Kind.STALE_TERM || e.kind() == Kind.AUTHENTICATION || e.kind() == Kind.WRONG_POOL) {
                    LOG.log(System.Logger.Level.ERROR, "destination " + config.name() + ": not retrying: " + e.getMessage());
                    return;
                }
            } catch (IOException | RuntimeException e) {
                if (running) {
                    LOG.log(System.Logger.Level.WARNING, "destination " + config.name() + " (" + config.host() + ":" + config.port()
                            + "): " + e.getMessage() + "; retrying in " + config.retryMillis() + " ms");
                }
            } finally {
                Connection c = conn;
                if (c != null) {
                    c.close();
                }
            }
            if (running) {
                try {
                    Thread.sleep(config.retryMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private void session(Connection c) {
        LogReader reader = heap.logReader();
        String side = "primary " + config.nodeId() + " -> " + config.name();
        Handshake.Result hs = Handshake.run(c, new Handshake.Identity(heap.poolId(), heap.term(), heap.logCapacity(),
                FrameDescriptor.ROLE_PRIMARY, config.nodeId(), -1), config.secret(), reader.durableLsn(), 0);
        long from = hs.ack().durableLsn();
        BaseCopySource bc = baseCopy;
        if (bc != null && bc.needed(config.name(), hs)) {
            bc.send(c, config.name(), side); // the replica installs the image and closes; it resumes at the image's end
            return;
        }
        long head = heap.logHeadLsn();
        long durable = reader.durableLsn();
        if (from < head || from > durable) {
            throw c.refuse(new WireException(Kind.LSN_GAP, "replica " + hs.peer().nodeId() + " resumes at LSN " + from
                    + ", this primary's log holds [" + head + ", " + durable + "): the replica needs a base copy"), side);
        }
        Slots.Slot slot = slots.slot(config.name(), from);
        slot.acked(from, hs.ack().appliedLsn());
        if (bc != null) {
            bc.streaming(config.name()); // the slot holds the log now: the image's hold ends
        }
        Thread acks = Thread.ofPlatform().name("ferrite-shipper-acks-" + config.name()).daemon().start(() -> readAcks(c, slot, side));
        LOG.log(System.Logger.Level.INFO, side + ": streaming from LSN " + from + " (term " + heap.term() + ")");
        try {
            long next = from;
            while (running && !c.isClosed()) {
                batchFirst = next;
                batchPos = FrameDescriptor.ENTRIES_RECORDS_OFFSET;
                batchCount = 0;
                long after = reader.pollFrames(next, (lsn, seg, off, len) -> {
                    add(c, lsn, seg, off, len);
                    return true;
                }, 4096);
                if (batchCount > 0) {
                    sendBatch(c, after);
                }
                if (after == next) {
                    long d = reader.awaitDurable(next, config.heartbeatMillis(), TimeUnit.MILLISECONDS);
                    if (d <= next && running) {
                        c.writer().send(FrameDescriptor.HEARTBEAT, new Heartbeat(System.currentTimeMillis(), d).encode());
                        heartbeats++;
                    }
                }
                next = after;
                shippedLsn = next;
            }
        } catch (WireException e) {
            throw c.refuse(e, side);
        } finally {
            c.close();
            try {
                acks.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Adds one framed record to the batch, sending the batch first when the record does not fit. */
    private void add(Connection c, long lsn, MemorySegment seg, long off, int len) {
        if (batchPos + len > batch.length) {
            if (batchCount == 0) {
                throw new WireException(Kind.OVERSIZED, "the record at LSN " + lsn + " (" + len + " bytes framed) does not fit in"
                        + " a frame of " + batch.length + " bytes: raise maxFrameSize of destination " + config.name());
            }
            sendBatch(c, lsn);
            batchFirst = lsn;
            batchPos = FrameDescriptor.ENTRIES_RECORDS_OFFSET;
            batchCount = 0;
        }
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, batch, batchPos, len);
        batchPos += len;
        batchCount++;
    }

    private void sendBatch(Connection c, long endLsn) {
        c.writer().send(FrameDescriptor.ENTRIES, Entries.encode(batchFirst, endLsn, batchCount, batch, batchPos));
        records += batchCount;
        frames++;
    }

    private void readAcks(Connection c, Slots.Slot slot, String side) {
        try {
            while (!c.isClosed()) {
                Frame f = c.reader().read();
                if (f == null) {
                    c.close();
                    return;
                }
                Ack a = Ack.decode(f);
                slot.acked(a.durableLsn(), a.appliedLsn());
            }
        } catch (WireException e) {
            if (!c.isClosed()) {
                lastRefusal = e;
                c.refuse(e, side);
            }
        }
    }

    /** The slot of this destination (null before its first connection). */
    public Slots.Slot slot() {
        return slots.get(config.name());
    }

    /** Everything below this LSN has been sent in the current or last connection (-1: nothing yet). */
    public long shippedLsn() {
        return shippedLsn;
    }

    public long recordsShipped() {
        return records;
    }

    public long framesShipped() {
        return frames;
    }

    public long heartbeatsSent() {
        return heartbeats;
    }

    public WireException lastRefusal() {
        return lastRefusal;
    }

    @Override
    public void close() {
        running = false;
        Connection c = conn;
        if (c != null) {
            c.close();
        }
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
