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

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Encodes frames ({@link FrameDescriptor}) onto a blocking stream: header, CRC32C over header
 * bytes 8..32 and the body, the body, then a flush. Each frame gets the next sequence number of
 * this writer (0, 1, 2 ...), which the peer's {@link FrameReader} checks.
 *
 * <p>Threading: {@link #send} is synchronized, so a session may send from more than one thread
 * (acks and heartbeats); frames never interleave. The term is the sender's current term.
 */
public final class FrameWriter {
    private final OutputStream out;
    private final int maxFrameSize;
    private final byte[] header = new byte[HEADER_LENGTH];
    private final ByteBuffer headerBuf = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();
    private long sequence;
    private volatile long term;

    /** @param maxFrameSize the largest body this writer sends (the peer refuses larger ones) */
    public FrameWriter(OutputStream out, long term, int maxFrameSize) {
        this.out = out;
        this.term = term;
        this.maxFrameSize = maxFrameSize;
    }

    public void term(long term) {
        this.term = term;
    }

    public long term() {
        return term;
    }

    /** Sends one frame whose body is {@code body[position, limit)} (not consumed). */
    public synchronized void send(short type, ByteBuffer body) {
        int length = body.remaining();
        if (length > maxFrameSize) {
            throw new IllegalArgumentException(FrameDescriptor.typeName(type) + " frame of " + length
                    + " body bytes is above the maximum frame size " + maxFrameSize);
        }
        headerBuf.putInt(LENGTH_OFFSET, length);
        headerBuf.putLong(TERM_OFFSET, term);
        headerBuf.putLong(SEQUENCE_OFFSET, sequence);
        headerBuf.putShort(TYPE_OFFSET, type);
        headerBuf.putShort(VERSION_OFFSET, VERSION);
        headerBuf.putInt(RESERVED_OFFSET, 0);
        crc.reset();
        crc.update(header, CRC_COVERED_OFFSET, HEADER_LENGTH - CRC_COVERED_OFFSET);
        crc.update(body.duplicate());
        headerBuf.putInt(CRC_OFFSET, (int) crc.getValue());
        try {
            out.write(header);
            if (body.hasArray()) {
                out.write(body.array(), body.arrayOffset() + body.position(), length);
            } else {
                byte[] copy = new byte[length];
                body.duplicate().get(copy);
                out.write(copy);
            }
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("sending a " + FrameDescriptor.typeName(type) + " frame: " + e.getMessage(), e);
        }
        sequence++;
    }

    /** Sends one frame with the body {@code body[0, length)}. */
    public void send(short type, byte[] body, int length) {
        send(type, ByteBuffer.wrap(body, 0, length));
    }
}
