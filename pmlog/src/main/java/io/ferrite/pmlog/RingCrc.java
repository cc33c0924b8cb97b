package io.ferrite.pmlog;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Per-thread CRC32C state over the ring of one log (hardware CRC over direct ByteBuffer views of
 * the mapping; no allocation per record). Not thread-safe: each thread takes its own from
 * {@link LogRing#crc()}.
 */
final class RingCrc {
    /** Ring views for CRC32C are direct ByteBuffers, which hold at most 2 GiB each. */
    static final long VIEW_CHUNK = 1L << 30;
    private static final VarHandle BYTES_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final CRC32C crc = new CRC32C();
    private final byte[] hdr = new byte[LogRecordDescriptor.CRC_COVERED_HEADER_LENGTH];
    private final ByteBuffer[] views;

    RingCrc(ByteBuffer[] ringViews) {
        views = new ByteBuffer[ringViews.length];
        for (int i = 0; i < views.length; i++) {
            views[i] = ringViews[i].duplicate();
        }
    }

    /** CRC32C over header bytes 8..24 (given as values) and the ring bytes {@code [payloadPos, +len)}. */
    int record(long lsn, long typeFlagsEpoch, long payloadPos, int len) {
        crc.reset();
        BYTES_LE.set(hdr, 0, lsn);
        BYTES_LE.set(hdr, 8, typeFlagsEpoch);
        crc.update(hdr, 0, hdr.length);
        long pos = payloadPos;
        long left = len;
        while (left > 0) {
            int chunk = (int) (pos / VIEW_CHUNK);
            int inChunk = (int) (pos % VIEW_CHUNK);
            int n = (int) Math.min(left, VIEW_CHUNK - inChunk);
            ByteBuffer v = views[chunk];
            v.limit(inChunk + n).position(inChunk);
            crc.update(v);
            pos += n;
            left -= n;
        }
        return (int) crc.getValue();
    }
}
