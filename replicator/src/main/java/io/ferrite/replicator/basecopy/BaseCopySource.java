package io.ferrite.replicator.basecopy;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.format.Superblock;
import io.ferrite.pheap.format.SuperblockDescriptor;
import io.ferrite.pmlog.LogReader;
import io.ferrite.replicator.wire.Connection;
import io.ferrite.replicator.wire.FrameDescriptor;
import io.ferrite.replicator.wire.Handshake;
import io.ferrite.replicator.wire.Messages.Ack;
import io.ferrite.replicator.wire.Messages.BaseCopyBegin;
import io.ferrite.replicator.wire.Messages.BaseCopyChunk;
import io.ferrite.replicator.wire.Messages.BaseCopyEnd;
import io.ferrite.replicator.wire.Messages.BaseCopyResume;
import io.ferrite.replicator.wire.Messages.Entries;
import io.ferrite.replicator.wire.WireException;
import io.ferrite.replicator.wire.WireException.Kind;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

/**
 * The primary side of a base copy: sends a consistent image of its pool to a replica that has
 * none, while the primary keeps committing (docs/replication.md, "Base copy", has the argument).
 *
 * <ol>
 * <li>The image: the log is held from its head ({@link BaseCopyHolds}), a checkpoint is forced,
 * and its checkpoint LSN C and superblock are noted; the hold moves to C. Every record below C is
 * then applied in the pool. The image is the pool's first {@code poolSize} bytes read while the
 * primary goes on (fuzzy: later records may be applied, the checkpointer may write lines back),
 * except the superblocks: the image carries the superblock as of C in slot A and zero in slot B.</li>
 * <li>After the last chunk, the records [C, E) are sent as ENTRIES, E being the durable LSN then;
 * every record whose effect the fuzzy bytes may hold is below E (the heap applies a record only
 * once it is durable). The replica puts them in the image's log and its open replays them from C
 * through the one replay path: each byte ends as the last record below E left it.</li>
 * <li>Resumable: the replica says what it has staged (BASE_COPY_RESUME); the same image (same
 * term, C and length) resumes at the replica's offset while the log still holds C, else a new
 * image starts at 0.</li>
 * </ol>
 *
 * <p>Threading: {@link #send} runs on the destination's shipping thread; one copy per destination
 * at a time, any number of destinations at once. Durability: none of its own; it only reads the
 * pool and its log.
 */
public final class BaseCopySource {
    private static final System.Logger LOG = System.getLogger("io.ferrite.replicator");

    /**
     * @param chunkSize image bytes per BASE_COPY frame: a multiple of 4096, at least 8192, and the
     *     frame (plus its 24-byte header) within the connections' maximum frame size
     * @param maxHeldBytes the most log a copy may hold from its checkpoint LSN (else it starts over)
     * @param installTimeoutMillis how long the replica may take to verify and install the image
     */
    public record Config(int chunkSize, long maxHeldBytes, int installTimeoutMillis) {
        public Config {
            if (chunkSize < 8192 || chunkSize % 4096 != 0) {
                throw new IllegalArgumentException("base copy chunkSize " + chunkSize + " must be a multiple of 4096, at least 8192");
            }
            if (maxHeldBytes <= 0 || installTimeoutMillis <= 0) {
                throw new IllegalArgumentException("base copy maxHeldBytes " + maxHeldBytes + " and installTimeoutMillis "
                        + installTimeoutMillis + " must be positive");
            }
        }

        /** 256 KiB chunks, half the log capacity held at most, 10 minutes to install. */
        public static Config defaults(Heap heap) {
            return new Config(256 * 1024, heap.logCapacity() / 2, 600_000);
        }
    }

    /** Test hooks, called before each chunk is sent (after its CRC was computed). */
    interface Hooks {
        Hooks NONE = new Hooks() {
        };

        default void beforeChunk(String destination, long index, byte[] data, Connection conn) {
        }
    }

    /** One image: its identity, and its superblock as of C (null for an image adopted from a replica). */
    private record Image(long term, long checkpointLsn, long length, byte[] superblocks) {
    }

    private final Heap heap;
    private final BaseCopyHolds holds;
    private final Config config;
    private final Map<String, Image> images = new ConcurrentHashMap<>();
    volatile Hooks hooks = Hooks.NONE;
    private volatile long copies;
    private volatile long imagesTaken;
    private volatile long chunks;
    private volatile long bytes;
    private volatile long records;
    private volatile long lastStartOffset = -1;

    public BaseCopySource(Heap heap, BaseCopyHolds holds, Config config) {
        this.heap = heap;
        this.holds = holds;
        this.config = config;
        LogReader reader = heap.logReader();
        holds.bind(reader::durableLsn, config.maxHeldBytes()); // readable after the heap closed, unlike the heap's accessors
    }

    /**
     * Does the replica of this handshake need a base copy? Yes when it has no pool (it said log
     * capacity 0: a seeding replica). A replica with a pool whose resume LSN the log no longer
     * holds is refused by the shipper ("needs a base copy") and re-seeds as a replica without a
     * pool; a slot in state LOST is the same case.
     */
    public boolean needed(String destination, Handshake.Result hs) {
        return hs.peer().capacity() == 0;
    }

    /** The destination streams again: its slot holds the log, so the image's hold ends. */
    public void streaming(String destination) {
        images.remove(destination);
        holds.release(destination);
    }

    /**
     * Runs one base copy session on {@code conn} after the handshake: reads the replica's
     * BASE_COPY_RESUME, sends BASE_COPY_BEGIN, the chunks from the start offset, the records [C, E)
     * as ENTRIES and BASE_COPY_END, then waits for the replica's ACK(E) (the image installed).
     */
    public void send(Connection conn, String destination, String side) {
        try {
            BaseCopyResume staged = BaseCopyResume.decode(conn.next("BASE_COPY_RESUME"));
            Image img = image(destination, staged);
            long start = staged.offset() > 0 && matches(img, staged) ? staged.offset() : 0;
            lastStartOffset = start;
            conn.writer().send(FrameDescriptor.BASE_COPY_BEGIN, new BaseCopyBegin(heap.poolId(), img.term(), img.checkpointLsn(),
                    img.length(), start, config.chunkSize()).encode());
            LOG.log(System.Logger.Level.INFO, side + ": base copy of " + img.length() + " bytes at checkpoint LSN "
                    + img.checkpointLsn() + (start > 0 ? ", resumed at offset " + start : ", from the start"));
            sendChunks(conn, destination, img, start);
            long end = sendRecords(conn, destination, img);
            conn.writer().send(FrameDescriptor.BASE_COPY_END, new BaseCopyEnd(end).encode());
            conn.readTimeout(config.installTimeoutMillis());
            Ack ack = Ack.decode(conn.next("ACK"));
            if (ack.durableLsn() != end) {
                throw new WireException(Kind.MALFORMED, "the replica acknowledged the base copy at LSN " + ack.durableLsn()
                        + ", its end is LSN " + end);
            }
            copies++;
            LOG.log(System.Logger.Level.INFO, side + ": base copy installed: image at checkpoint LSN " + img.checkpointLsn()
                    + ", records to LSN " + end + "; the replica streams from there");
        } catch (WireException e) {
            throw conn.refuse(e, side);
        }
    }

    /** The staged image is {@code img}, in chunks of this source's size. */
    private boolean matches(Image img, BaseCopyResume r) {
        return r.term() == img.term() && r.checkpointLsn() == img.checkpointLsn() && r.imageLength() == img.length()
                && r.chunkSize() == config.chunkSize();
    }

    /** The image for this session: the one in progress, the replica's staged one if the log still holds it, or a new one. */
    private Image image(String destination, BaseCopyResume staged) {
        Image cur = images.get(destination);
        if (cur != null && cur.term() == heap.term() && holds.covers(destination, cur.checkpointLsn())
                && (staged.offset() > 0 ? matches(cur, staged) : cur.superblocks() != null)) {
            return cur;
        }
        if (staged.checkpointLsn() >= 0 && staged.offset() > 0 && staged.term() == heap.term()
                && staged.imageLength() <= heap.poolSize() && staged.chunkSize() == config.chunkSize()) {
            // the replica's image from an earlier session (or an earlier run of this primary): valid
            // as long as the log still holds its C; hold first, then check the head
            holds.hold(destination, staged.checkpointLsn());
            if (heap.logHeadLsn() <= staged.checkpointLsn() && staged.checkpointLsn() <= heap.logReader().durableLsn()
                    && holds.covers(destination, staged.checkpointLsn())) {
                Image adopted = new Image(staged.term(), staged.checkpointLsn(), staged.imageLength(), null);
                images.put(destination, adopted);
                return adopted;
            }
        }
        // hold from the head before the checkpoint, so that no checkpoint reclaims past C before the
        // hold names C; exempt from the bound meanwhile (the head may lag far behind)
        holds.holdWhileTaking(destination, heap.logHeadLsn());
        Superblock s;
        try {
            heap.checkpoint();
            s = heap.superblock();
            holds.hold(destination, s.checkpointLsn());
        } finally {
            holds.taken(destination);
        }
        if (heap.logHeadLsn() > s.checkpointLsn()) {
            throw new IllegalStateException("base copy to " + destination + ": the log was reclaimed to " + heap.logHeadLsn()
                    + ", past the image's checkpoint LSN " + s.checkpointLsn() + ", while it was held");
        }
        MemorySegment sb = MemorySegment.ofArray(new long[SuperblockDescriptor.SLOT_LENGTH * 2 / 8]);
        s.write(sb, SuperblockDescriptor.A_OFFSET);
        Image fresh = new Image(s.term(), s.checkpointLsn(), s.poolSize(), sb.toArray(ValueLayout.JAVA_BYTE));
        images.put(destination, fresh);
        imagesTaken++;
        return fresh;
    }

    private void sendChunks(Connection conn, String destination, Image img, long start) {
        MemorySegment pool = heap.media().segment();
        byte[] buf = new byte[config.chunkSize()];
        CRC32C crc = new CRC32C();
        for (long off = start; off < img.length(); off += config.chunkSize()) {
            checkHeld(destination, img);
            int n = (int) Math.min(config.chunkSize(), img.length() - off);
            // 8-byte aligned bulk copy: each aligned word is read whole
            MemorySegment.copy(pool, ValueLayout.JAVA_BYTE, off, buf, 0, n);
            if (img.superblocks() != null && off < img.superblocks().length) {
                System.arraycopy(img.superblocks(), (int) off, buf, 0, (int) Math.min(n, img.superblocks().length - off));
            }
            crc.reset();
            crc.update(buf, 0, n);
            int sum = (int) crc.getValue();
            hooks.beforeChunk(destination, off / config.chunkSize(), buf, conn);
            conn.writer().send(FrameDescriptor.BASE_COPY, new BaseCopyChunk(off, img.length(), sum, buf, n).encode());
            chunks++;
            bytes += n;
        }
    }

    /** The log must still be held from the image's C (a hold past its bound was dropped: the copy starts over). */
    private void checkHeld(String destination, Image img) {
        if (!holds.covers(destination, img.checkpointLsn())) {
            images.remove(destination, img);
            throw new WireException(Kind.LSN_GAP, "the primary's log no longer holds the image's checkpoint LSN "
                    + img.checkpointLsn() + " (more than " + config.maxHeldBytes() + " bytes were written during the copy):"
                    + " the base copy starts over with a new image");
        }
    }

    /**
     * Sends every record from the image's C to the durable LSN read now as ENTRIES frames; returns
     * E, the LSN after the last. The hold is checked after each batch read: a record read after the
     * hold was dropped could have been overwritten (the replica's CRC check would refuse it anyway).
     */
    private long sendRecords(Connection conn, String destination, Image img) {
        LogReader reader = heap.logReader();
        long end = reader.durableLsn();
        EntriesBatch batch = new EntriesBatch(conn, config.chunkSize() + FrameDescriptor.BASE_COPY_DATA_OFFSET);
        long next = img.checkpointLsn();
        while (next < end) {
            checkHeld(destination, img);
            batch.start(next);
            long after = reader.pollFrames(next, batch::add, 4096);
            checkHeld(destination, img);
            batch.flush(after);
            if (after == next) {
                break; // cannot happen: everything below end is durable
            }
            next = after;
        }
        records += batch.records;
        return next;
    }

    /** Record frames gathered into ENTRIES frames of at most {@code size} body bytes. */
    private static final class EntriesBatch {
        private final Connection conn;
        private final byte[] body;
        private int pos;
        private int count;
        private long first;
        long records;

        EntriesBatch(Connection conn, int size) {
            this.conn = conn;
            this.body = new byte[size];
        }

        void start(long lsn) {
            first = lsn;
            pos = FrameDescriptor.ENTRIES_RECORDS_OFFSET;
            count = 0;
        }

        boolean add(long lsn, MemorySegment seg, long off, int len) {
            if (pos + len > body.length) {
                if (count == 0) {
                    throw new WireException(Kind.OVERSIZED, "the record at LSN " + lsn + " (" + len + " bytes framed) does not"
                            + " fit in a base copy frame of " + body.length + " bytes: raise the base copy chunk size");
                }
                flush(lsn);
                start(lsn);
            }
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, body, pos, len);
            pos += len;
            count++;
            return true;
        }

        void flush(long endLsn) {
            if (count > 0) {
                conn.writer().send(FrameDescriptor.ENTRIES, Entries.encode(first, endLsn, count, body, pos));
                records += count;
            }
        }
    }


    /** Base copies that ended with the replica's acknowledgement. */
    public long copies() {
        return copies;
    }

    /** Images taken (each a forced checkpoint and a new hold). */
    public long imagesTaken() {
        return imagesTaken;
    }

    public long chunksSent() {
        return chunks;
    }

    public long bytesSent() {
        return bytes;
    }

    /** Records sent after the images' chunks. */
    public long recordsSent() {
        return records;
    }

    /** The offset the last session's chunks started at (-1 before the first). */
    public long lastStartOffset() {
        return lastStartOffset;
    }
}
