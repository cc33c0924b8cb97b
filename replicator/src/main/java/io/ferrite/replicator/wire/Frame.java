package io.ferrite.replicator.wire;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One decoded frame: header fields and a little-endian, read-only view of its body. A frame
 * returned by {@link FrameReader#read} shares the reader's buffer and is valid until the next
 * read on that reader.
 */
public record Frame(short type, long term, long sequence, ByteBuffer body) {
    public Frame {
        body = body.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Body length in bytes. */
    public int length() {
        return body.remaining();
    }

    public String typeName() {
        return FrameDescriptor.typeName(type);
    }

    /** A u64 at {@code offset} in the body. */
    public long u64(int offset) {
        return body.getLong(body.position() + offset);
    }

    /** A u32 at {@code offset} in the body, as an unsigned value. */
    public long u32(int offset) {
        return body.getInt(body.position() + offset) & 0xFFFF_FFFFL;
    }

    /** A u16 at {@code offset} in the body, as an unsigned value. */
    public int u16(int offset) {
        return body.getShort(body.position() + offset) & 0xFFFF;
    }

    /** {@code length} body bytes from {@code offset}, copied. */
    public byte[] bytes(int offset, int length) {
        byte[] b = new byte[length];
        body.get(body.position() + offset, b);
        return b;
    }
}
