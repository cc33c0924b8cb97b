package io.ferrite.replicator.wire;

import static io.ferrite.replicator.wire.FrameDescriptor.CRC_COVERED_OFFSET;
import static io.ferrite.replicator.wire.FrameDescriptor.CRC_OFFSET;
import static io.ferrite.replicator.wire.FrameDescriptor.HEADER_LENGTH;
import static io.ferrite.replicator.wire.FrameDescriptor.LENGTH_OFFSET;
import static io.ferrite.replicator.wire.FrameDescriptor.RESERVED_OFFSET;
import static io.ferrite.replicator.wire.FrameDescriptor.SEQUENCE_OFFSET;
import static io.ferrite.replicator.wire.FrameDescriptor.TERM_OFFSET;
import static io.ferrite.replicator.wire.FrameDescriptor.TYPE_OFFSET;
import static io.ferrite.replicator.wire.FrameDescriptor.VERSION;
import static io.ferrite.replicator.wire.FrameDescriptor.VERSION_OFFSET;

import io.ferrite.replicator.wire.WireException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Decodes frames ({@link FrameDescriptor}) from a blocking stream. Before any body byte is read
 * the header is checked: the length against the configured maximum (so a peer cannot make this
 * side allocate what it names), the version, the reserved word, the type; then the body is read
 * into a buffer that grows only up to the maximum, the CRC32C checked, and the sequence number
 * compared with the one expected. A frame that fails any check raises a {@link WireException}
 * ({@code OVERSIZED}, {@code TRUNCATED}, {@code BAD_CRC}, {@code OUT_OF_ORDER}, {@code UNEXPECTED},
 * {@code MALFORMED}); a read that times out (the socket's SO_TIMEOUT) raises {@code TIMEOUT}.
 * After an exception the stream is out of step: the caller closes the connection.
 *
 * <p>Threading: one reading thread per reader. The returned {@link Frame} shares this reader's
 * buffer until the next {@link #read}.
 */
public final class FrameReader {
    private static final int INITIAL_BUFFER = 4096;

    private final InputStream in;
    private final int maxFrameSize;
    private final String peer;
    private final byte[] header = new byte[HEADER_LENGTH];
    private final ByteBuffer headerBuf = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();
    private byte[] body = new byte[INITIAL_BUFFER];
    private long expectedSequence;

    /**
     * @param maxFrameSize the largest body accepted, in bytes
     * @param peer names the peer in messages
     */
    public FrameReader(InputStream in, int maxFrameSize, String peer) {
        if (maxFrameSize < 64) {
            throw new IllegalArgumentException("maxFrameSize " + maxFrameSize + " is below 64 bytes");
        }
        this.in = in;
        this.maxFrameSize = maxFrameSize;
        this.peer = peer;
        this.body = new byte[Math.min(INITIAL_BUFFER, maxFrameSize)];
    }

    /** The next frame, or null when the peer closed the stream cleanly at a frame boundary. */
    public Frame read() {
        int got = readFully(header, 0, HEADER_LENGTH, true);
        if (got == 0) {
            return null;
        }
        long length = headerBuf.getInt(LENGTH_OFFSET) & 0xFFFF_FFFFL;
        short type = headerBuf.getShort(TYPE_OFFSET);
        long sequence = headerBuf.getLong(SEQUENCE_OFFSET);
        if (length > maxFrameSize) {
            throw new WireException(Kind.OVERSIZED, "frame " + sequence + " from " + peer + " (" + FrameDescriptor.typeName(type)
                    + ") announces " + length + " body bytes, above the maximum frame size " + maxFrameSize);
        }
        short version = headerBuf.getShort(VERSION_OFFSET);
        if (version != VERSION || headerBuf.getInt(RESERVED_OFFSET) != 0) {
            throw new WireException(Kind.MALFORMED, "frame " + sequence + " from " + peer + ": version " + version
                    + ", reserved word " + headerBuf.getInt(RESERVED_OFFSET) + " (this node speaks version " + VERSION
                    + ", reserved 0)");
        }
        if (!FrameDescriptor.isKnownType(type)) {
            throw new WireException(Kind.UNEXPECTED, "frame " + sequence + " from " + peer + " has an unknown "
                    + FrameDescriptor.typeName(type));
        }
        int len = (int) length;
        if (body.length < len) {
            body = new byte[Math.min(maxFrameSize, Math.max(len, body.length * 2))];
        }
        readFully(body, 0, len, false);
        crc.reset();
        crc.update(header, CRC_COVERED_OFFSET, HEADER_LENGTH - CRC_COVERED_OFFSET);
        crc.update(body, 0, len);
        int stored = headerBuf.getInt(CRC_OFFSET);
        if ((int) crc.getValue() != stored) {
            throw new WireException(Kind.BAD_CRC, "frame " + sequence + " from " + peer + " (" + FrameDescriptor.typeName(type)
                    + ", " + len + " body bytes): CRC32C is 0x" + Integer.toHexString((int) crc.getValue())
                    + ", the frame says 0x" + Integer.toHexString(stored));
        }
        if (sequence != expectedSequence) {
            throw new WireException(Kind.OUT_OF_ORDER, "frame from " + peer + " (" + FrameDescriptor.typeName(type)
                    + ") carries sequence " + sequence + ", expected " + expectedSequence);
        }
        expectedSequence++;
        return new Frame(type, headerBuf.getLong(TERM_OFFSET), sequence, ByteBuffer.wrap(body, 0, len));
    }

    /** Reads exactly {@code n} bytes; returns 0 only when {@code eofOk} and the stream ended before the first byte. */
    private int readFully(byte[] b, int off, int n, boolean eofOk) {
        int done = 0;
        try {
            while (done < n) {
                int r = in.read(b, off + done, n - done);
                if (r < 0) {
                    if (done == 0 && eofOk) {
                        return 0;
                    }
                    throw new WireException(Kind.TRUNCATED, "connection from " + peer + " ended " + done + " bytes into a "
                            + (eofOk ? "frame header" : "frame body") + " of " + n + " bytes");
                }
                done += r;
            }
        } catch (SocketTimeoutException e) {
            throw new WireException(Kind.TIMEOUT, "no " + (done == 0 && eofOk ? "frame" : "rest of the frame") + " from " + peer
                    + " within the socket timeout (" + done + " of " + n + " bytes read)", e);
        } catch (IOException e) {
            throw new WireException(Kind.IO, "reading from " + peer + ": " + e.getMessage(), e);
        }
        return done;
    }
}
