package io.ferrite.replicator.wire;

import static io.ferrite.replicator.wire.FrameDescriptor.*;

import io.ferrite.pmlog.LogRecordDescriptor;
import io.ferrite.pmlog.LogRecordType;
import io.ferrite.replicator.wire.WireException.Kind;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The typed bodies of the frames ({@link FrameDescriptor}): each record encodes its body and
 * decodes it from a {@link Frame}, checking every length against the frame before it reads or
 * allocates (a {@code MALFORMED} {@link WireException} otherwise), and that the frame has the
 * expected type ({@code UNEXPECTED} otherwise; an ERROR frame where another was expected becomes
 * a {@code PEER_ERROR} carrying the peer's reason).
 */
public final class Messages {
    private Messages() {
    }

    /** HELLO: who the sender is and where it stands; {@code nonce} is its authentication challenge. */
    public record Hello(UUID poolId, long resumeLsn, long capacity, short role, String nodeId, byte[] nonce) {
        public ByteBuffer encode() {
            byte[] id = nodeId.getBytes(StandardCharsets.UTF_8);
            if (id.length > MAX_NODE_ID_LENGTH || nonce.length != NONCE_LENGTH) {
                throw new IllegalArgumentException("node id of " + id.length + " bytes (at most " + MAX_NODE_ID_LENGTH
                        + ") or nonce of " + nonce.length + " bytes (must be " + NONCE_LENGTH + ")");
            }
            ByteBuffer b = le(HELLO_FIXED_LENGTH + id.length + nonce.length);
            b.putLong(poolId.getMostSignificantBits()).putLong(poolId.getLeastSignificantBits()).putLong(resumeLsn)
                    .putLong(capacity).putShort(role).putShort((short) id.length).putShort((short) nonce.length)
                    .putShort((short) 0).put(id).put(nonce);
            return b.flip();
        }

        public static Hello decode(Frame f) {
            expect(f, HELLO);
            atLeast(f, HELLO_FIXED_LENGTH);
            int idLen = f.u16(HELLO_NODE_ID_LENGTH_OFFSET);
            int nonceLen = f.u16(HELLO_NONCE_LENGTH_OFFSET);
            short role = (short) f.u16(HELLO_ROLE_OFFSET);
            if (idLen > MAX_NODE_ID_LENGTH || nonceLen != NONCE_LENGTH || f.length() != HELLO_FIXED_LENGTH + idLen + nonceLen
                    || (role != ROLE_PRIMARY && role != ROLE_REPLICA)) {
                throw malformed(f, "node id of " + idLen + " bytes (at most " + MAX_NODE_ID_LENGTH + "), nonce of " + nonceLen
                        + " bytes (must be " + NONCE_LENGTH + "), role " + role + ", body of " + f.length() + " bytes");
            }
            UUID pool = new UUID(f.u64(HELLO_POOL_MSB_OFFSET), f.u64(HELLO_POOL_LSB_OFFSET));
            String id = new String(f.bytes(HELLO_FIXED_LENGTH, idLen), StandardCharsets.UTF_8);
            return new Hello(pool, f.u64(HELLO_RESUME_LSN_OFFSET), f.u64(HELLO_CAPACITY_OFFSET), role, id,
                    f.bytes(HELLO_FIXED_LENGTH + idLen, nonceLen));
        }
    }

    /** AUTH: the sender's HMAC-SHA256 proof that it knows the shared secret. */
    public record Auth(byte[] proof) {
        public ByteBuffer encode() {
            return ByteBuffer.wrap(proof.clone());
        }

        public static Auth decode(Frame f) {
            expect(f, AUTH);
            exactly(f, AUTH_PROOF_LENGTH);
            return new Auth(f.bytes(0, AUTH_PROOF_LENGTH));
        }
    }

    /** ACK: what the replica holds durably in its mirror log and what it has applied. */
    public record Ack(long durableLsn, long appliedLsn) {
        public ByteBuffer encode() {
            return le(ACK_LENGTH).putLong(durableLsn).putLong(appliedLsn).flip();
        }

        public static Ack decode(Frame f) {
            expect(f, ACK);
            exactly(f, ACK_LENGTH);
            return new Ack(f.u64(ACK_DURABLE_LSN_OFFSET), f.u64(ACK_APPLIED_LSN_OFFSET));
        }
    }

    /** HEARTBEAT: the primary's clock and durable LSN, sent when it has nothing to ship. */
    public record Heartbeat(long clockMillis, long durableLsn) {
        public ByteBuffer encode() {
            return le(HEARTBEAT_LENGTH).putLong(clockMillis).putLong(durableLsn).flip();
        }

        public static Heartbeat decode(Frame f) {
            expect(f, HEARTBEAT);
            exactly(f, HEARTBEAT_LENGTH);
            return new Heartbeat(f.u64(HEARTBEAT_CLOCK_OFFSET), f.u64(HEARTBEAT_DURABLE_LSN_OFFSET));
        }
    }

    /** SEAL: the primary stops at {@code finalLsn} in the frame's term. */
    public record Seal(long finalLsn) {
        public ByteBuffer encode() {
            return le(SEAL_LENGTH).putLong(finalLsn).flip();
        }

        public static Seal decode(Frame f) {
            expect(f, SEAL);
            exactly(f, SEAL_LENGTH);
            return new Seal(f.u64(SEAL_FINAL_LSN_OFFSET));
        }
    }

    /**
     * BASE_COPY: one chunk of a pool image, {@code data} at {@code imageOffset}; {@code crc} is the
     * CRC32C of the data as the sender read it from its pool (checked by the receiver before it
     * stages a byte, and again over the staged bytes at install).
     */
    public record BaseCopyChunk(long imageOffset, long imageLength, int crc, byte[] data, int dataLength) {
        public BaseCopyChunk(long imageOffset, long imageLength, int crc, byte[] data) {
            this(imageOffset, imageLength, crc, data, data.length);
        }

        public ByteBuffer encode() {
            return le(BASE_COPY_DATA_OFFSET + dataLength).putLong(imageOffset).putLong(imageLength).putInt(crc).putInt(0)
                    .put(data, 0, dataLength).flip();
        }

        public static BaseCopyChunk decode(Frame f) {
            expect(f, BASE_COPY);
            atLeast(f, BASE_COPY_DATA_OFFSET);
            long off = f.u64(BASE_COPY_OFFSET_OFFSET);
            long total = f.u64(BASE_COPY_TOTAL_OFFSET);
            int n = f.length() - BASE_COPY_DATA_OFFSET;
            if (off < 0 || total < 0 || off > total || n > total - off) {
                throw malformed(f, "chunk [" + off + ", +" + n + ") outside an image of " + total + " bytes");
            }
            byte[] data = f.bytes(BASE_COPY_DATA_OFFSET, n);
            return new BaseCopyChunk(off, total, (int) f.u32(BASE_COPY_CRC_OFFSET), data, n);
        }
    }

    /**
     * BASE_COPY_BEGIN: the image the primary sends (pool, the term it was taken in, its checkpoint
     * LSN, its length) and the offset its chunks start at (the replica's staged offset when the
     * primary resumes that image, else 0).
     */
    public record BaseCopyBegin(UUID poolId, long term, long checkpointLsn, long imageLength, long startOffset, int chunkSize) {
        public ByteBuffer encode() {
            return le(BEGIN_LENGTH).putLong(poolId.getMostSignificantBits()).putLong(poolId.getLeastSignificantBits())
                    .putLong(term).putLong(checkpointLsn).putLong(imageLength).putLong(startOffset).putInt(chunkSize).putInt(0)
                    .flip();
        }

        public static BaseCopyBegin decode(Frame f) {
            expect(f, BASE_COPY_BEGIN);
            exactly(f, BEGIN_LENGTH);
            BaseCopyBegin b = new BaseCopyBegin(new UUID(f.u64(BEGIN_POOL_MSB_OFFSET), f.u64(BEGIN_POOL_LSB_OFFSET)),
                    f.u64(BEGIN_TERM_OFFSET), f.u64(BEGIN_CHECKPOINT_LSN_OFFSET), f.u64(BEGIN_IMAGE_LENGTH_OFFSET),
                    f.u64(BEGIN_START_OFFSET_OFFSET), (int) f.u32(BEGIN_CHUNK_SIZE_OFFSET));
            if (b.checkpointLsn < 0 || b.imageLength <= 0 || b.startOffset < 0 || b.startOffset > b.imageLength
                    || b.chunkSize <= 0 || b.startOffset % b.chunkSize != 0) {
                throw malformed(f, "image of " + b.imageLength + " bytes at checkpoint LSN " + b.checkpointLsn + ", chunks of "
                        + b.chunkSize + " bytes from offset " + b.startOffset);
            }
            return b;
        }
    }

    /** BASE_COPY_RESUME: the image the replica has staged ({@code checkpointLsn} -1: none), in chunks of what size, and how much of it. */
    public record BaseCopyResume(long term, long checkpointLsn, long imageLength, long offset, int chunkSize) {
        public static final BaseCopyResume NOTHING = new BaseCopyResume(0, -1, 0, 0, 0);

        public ByteBuffer encode() {
            return le(RESUME_LENGTH).putLong(term).putLong(checkpointLsn).putLong(imageLength).putLong(offset).putInt(chunkSize)
                    .putInt(0).flip();
        }

        public static BaseCopyResume decode(Frame f) {
            expect(f, BASE_COPY_RESUME);
            exactly(f, RESUME_LENGTH);
            BaseCopyResume r = new BaseCopyResume(f.u64(RESUME_TERM_OFFSET), f.u64(RESUME_CHECKPOINT_LSN_OFFSET),
                    f.u64(RESUME_IMAGE_LENGTH_OFFSET), f.u64(RESUME_OFFSET_OFFSET), (int) f.u32(RESUME_CHUNK_SIZE_OFFSET));
            if (r.checkpointLsn < -1 || r.imageLength < 0 || r.offset < 0 || r.offset > r.imageLength || r.chunkSize < 0) {
                throw malformed(f, "staged offset " + r.offset + " of an image of " + r.imageLength + " bytes at checkpoint LSN "
                        + r.checkpointLsn);
            }
            return r;
        }
    }

    /** BASE_COPY_END: the image's records [C, endLsn) were sent as ENTRIES; the replica installs it now. */
    public record BaseCopyEnd(long endLsn) {
        public ByteBuffer encode() {
            return le(END_LENGTH).putLong(endLsn).flip();
        }

        public static BaseCopyEnd decode(Frame f) {
            expect(f, BASE_COPY_END);
            exactly(f, END_LENGTH);
            return new BaseCopyEnd(f.u64(END_LSN_OFFSET));
        }
    }

    /** ERROR: why the sender closes the connection. */
    public record ErrorFrame(Kind kind, String reason) {
        public ByteBuffer encode() {
            byte[] r = reason.getBytes(StandardCharsets.UTF_8);
            int n = Math.min(r.length, MAX_REASON_LENGTH);
            return le(ERROR_REASON_OFFSET + n).putShort(kind.code()).putShort((short) n).put(r, 0, n).flip();
        }

        public static ErrorFrame decode(Frame f) {
            if (f.type() != ERROR) {
                throw unexpected(f, "ERROR");
            }
            atLeast(f, ERROR_REASON_OFFSET);
            int n = f.u16(ERROR_REASON_LENGTH_OFFSET);
            if (n > MAX_REASON_LENGTH || f.length() != ERROR_REASON_OFFSET + n) {
                throw malformed(f, "reason of " + n + " bytes in a body of " + f.length() + " bytes");
            }
            return new ErrorFrame(Kind.of((short) f.u16(ERROR_CODE_OFFSET)),
                    new String(f.bytes(ERROR_REASON_OFFSET, n), StandardCharsets.UTF_8));
        }
    }

    /**
     * ENTRIES: the log records {@code [firstLsn, endLsn)} verbatim. {@link #decode} checks the
     * walk of the records against the body (each record's framed length inside the body, the
     * count) before anything is handed on; LSN continuity, epoch and the CRC of each record are
     * checked by the mirror's append, before it writes a byte.
     */
    public record Entries(long firstLsn, long endLsn, int count, ByteBuffer records) {
        /** Encodes a body from records already framed back to back in {@code records[0, length)}. */
        public static ByteBuffer encode(long firstLsn, long endLsn, int count, byte[] body, int length) {
            ByteBuffer b = ByteBuffer.wrap(body, 0, length).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(ENTRIES_FIRST_LSN_OFFSET, firstLsn).putLong(ENTRIES_END_LSN_OFFSET, endLsn)
                    .putInt(ENTRIES_COUNT_OFFSET, count).putInt(ENTRIES_COUNT_OFFSET + 4, 0);
            return b;
        }

        public static Entries decode(Frame f) {
            expect(f, ENTRIES);
            atLeast(f, ENTRIES_RECORDS_OFFSET);
            long first = f.u64(ENTRIES_FIRST_LSN_OFFSET);
            long end = f.u64(ENTRIES_END_LSN_OFFSET);
            long count = f.u32(ENTRIES_COUNT_OFFSET);
            ByteBuffer recs = f.body().slice(f.body().position() + ENTRIES_RECORDS_OFFSET, f.length() - ENTRIES_RECORDS_OFFSET)
                    .order(ByteOrder.LITTLE_ENDIAN);
            int pos = 0;
            long n = 0;
            while (pos < recs.limit()) {
                if (recs.limit() - pos < LogRecordDescriptor.HEADER_LENGTH) {
                    throw malformed(f, "a record header at body byte " + pos + " is cut off by the end of the frame");
                }
                long len = recs.getInt(pos + LogRecordDescriptor.LENGTH_OFFSET) & 0xFFFF_FFFFL;
                short type = recs.getShort(pos + LogRecordDescriptor.TYPE_OFFSET);
                long framed = type == LogRecordType.PADDING_CODE ? LogRecordDescriptor.HEADER_LENGTH
                        : LogRecordDescriptor.HEADER_LENGTH + len;
                if (framed > recs.limit() - pos) {
                    throw malformed(f, "the record at body byte " + pos + " (lsn "
                            + recs.getLong(pos + LogRecordDescriptor.LSN_OFFSET) + ") says " + framed
                            + " bytes, beyond the end of the frame");
                }
                pos += (int) framed;
                n++;
            }
            if (n != count || (count == 0 && first != end) || first > end) {
                throw malformed(f, "ENTRIES [" + first + ", " + end + ") says " + count + " records, the body holds " + n);
            }
            return new Entries(first, end, (int) count, recs);
        }
    }

    static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Refuses a frame of another type than {@code type}; the peer's ERROR becomes its reason. */
    public static void expect(Frame f, short type) {
        if (f.type() != type) {
            throw unexpected(f, FrameDescriptor.typeName(type));
        }
    }

    static WireException unexpected(Frame f, String expected) {
        if (f.type() == ERROR && !"ERROR".equals(expected)) {
            ErrorFrame e = ErrorFrame.decode(f);
            return WireException.fromPeer(e.kind(), "the peer refused: " + e.kind() + ": " + e.reason());
        }
        return new WireException(Kind.UNEXPECTED, "a " + f.typeName() + " frame (sequence " + f.sequence() + ") where "
                + expected + " was expected");
    }

    private static void atLeast(Frame f, int n) {
        if (f.length() < n) {
            throw malformed(f, "body of " + f.length() + " bytes, at least " + n + " expected");
        }
    }

    private static void exactly(Frame f, int n) {
        if (f.length() != n) {
            throw malformed(f, "body of " + f.length() + " bytes, " + n + " expected");
        }
    }

    private static WireException malformed(Frame f, String what) {
        return new WireException(Kind.MALFORMED, "malformed " + f.typeName() + " frame (sequence " + f.sequence() + "): " + what);
    }
}
