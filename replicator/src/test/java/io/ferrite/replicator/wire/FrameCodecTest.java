package io.ferrite.replicator.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ferrite.pmlog.LogRecordDescriptor;
import io.ferrite.replicator.wire.Messages.Ack;
import io.ferrite.replicator.wire.Messages.Auth;
import io.ferrite.replicator.wire.Messages.BaseCopyBegin;
import io.ferrite.replicator.wire.Messages.BaseCopyChunk;
import io.ferrite.replicator.wire.Messages.BaseCopyEnd;
import io.ferrite.replicator.wire.Messages.BaseCopyResume;
import io.ferrite.replicator.wire.Messages.Entries;
import io.ferrite.replicator.wire.Messages.ErrorFrame;
import io.ferrite.replicator.wire.Messages.Heartbeat;
import io.ferrite.replicator.wire.Messages.Hello;
import io.ferrite.replicator.wire.Messages.Seal;
import io.ferrite.replicator.wire.WireException.Kind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class FrameCodecTest {
    private static final int MAX = 1 << 16;

    /** Two records framed as pmlog frames them: a 40-byte redo-typed record and a padding header. */
    private static byte[] entriesBody() {
        ByteBuffer b = ByteBuffer.allocate(FrameDescriptor.ENTRIES_RECORDS_OFFSET + 64 + 24).order(ByteOrder.LITTLE_ENDIAN);
        int r = FrameDescriptor.ENTRIES_RECORDS_OFFSET;
        b.putInt(r + LogRecordDescriptor.LENGTH_OFFSET, 40).putLong(r + LogRecordDescriptor.LSN_OFFSET, 128)
                .putShort(r + LogRecordDescriptor.TYPE_OFFSET, (short) 1);
        int p = r + 64;
        b.putInt(p + LogRecordDescriptor.LENGTH_OFFSET, 64 - 24).putLong(p + LogRecordDescriptor.LSN_OFFSET, 192)
                .putShort(p + LogRecordDescriptor.TYPE_OFFSET, (short) 0xFFFF);
        return b.array();
    }

    private static byte[] encodeAll(long term) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameWriter w = new FrameWriter(out, term, MAX);
        byte[] nonce = new byte[FrameDescriptor.NONCE_LENGTH];
        new Random(1).nextBytes(nonce);
        UUID pool = new UUID(0x1234_5678_9ABC_DEF0L, 0x0FED_CBA9_8765_4321L);
        w.send(FrameDescriptor.HELLO, new Hello(pool, 4096, 1 << 20, FrameDescriptor.ROLE_REPLICA, "replica-a", nonce).encode());
        w.send(FrameDescriptor.AUTH, new Auth(nonce).encode());
        byte[] body = entriesBody();
        w.send(FrameDescriptor.ENTRIES, Entries.encode(128, 256, 2, body, body.length));
        w.send(FrameDescriptor.ACK, new Ack(256, 192).encode());
        w.send(FrameDescriptor.HEARTBEAT, new Heartbeat(1_700_000_000_000L, 256).encode());
        w.send(FrameDescriptor.SEAL, new Seal(256).encode());
        w.send(FrameDescriptor.BASE_COPY, new BaseCopyChunk(4096, 8192, 0x1234_5678, new byte[] {1, 2, 3}).encode());
        w.send(FrameDescriptor.ERROR, new ErrorFrame(Kind.STALE_TERM, "term 3 is below 4").encode());
        w.send(FrameDescriptor.BASE_COPY_BEGIN, new BaseCopyBegin(pool, 3, 4096, 1 << 20, 65536, 65536).encode());
        w.send(FrameDescriptor.BASE_COPY_RESUME, new BaseCopyResume(3, 4096, 1 << 20, 65536, 65536).encode());
        w.send(FrameDescriptor.BASE_COPY_END, new BaseCopyEnd(8192).encode());
        return out.toByteArray();
    }

    private static void checkAll(FrameReader r, long term) {
        Frame f = r.read();
        assertEquals(term, f.term());
        Hello h = Hello.decode(f);
        assertEquals(new UUID(0x1234_5678_9ABC_DEF0L, 0x0FED_CBA9_8765_4321L), h.poolId());
        assertEquals(4096, h.resumeLsn());
        assertEquals(1 << 20, h.capacity());
        assertEquals("replica-a", h.nodeId());
        assertEquals(FrameDescriptor.ROLE_REPLICA, h.role());
        assertArrayEquals(h.nonce(), Auth.decode(r.read()).proof());
        Entries e = Entries.decode(r.read());
        assertEquals(128, e.firstLsn());
        assertEquals(256, e.endLsn());
        assertEquals(2, e.count());
        assertEquals(64 + 24, e.records().remaining());
        assertEquals(new Ack(256, 192), Ack.decode(r.read()));
        assertEquals(new Heartbeat(1_700_000_000_000L, 256), Heartbeat.decode(r.read()));
        assertEquals(new Seal(256), Seal.decode(r.read()));
        BaseCopyChunk c = BaseCopyChunk.decode(r.read());
        assertEquals(4096, c.imageOffset());
        assertEquals(8192, c.imageLength());
        assertArrayEquals(new byte[] {1, 2, 3}, c.data());
        assertEquals(0x1234_5678, c.crc());
        assertEquals(new ErrorFrame(Kind.STALE_TERM, "term 3 is below 4"), ErrorFrame.decode(r.read()));
        assertEquals(new BaseCopyBegin(new UUID(0x1234_5678_9ABC_DEF0L, 0x0FED_CBA9_8765_4321L), 3, 4096, 1 << 20, 65536, 65536),
                BaseCopyBegin.decode(r.read()));
        assertEquals(new BaseCopyResume(3, 4096, 1 << 20, 65536, 65536), BaseCopyResume.decode(r.read()));
        assertEquals(new BaseCopyEnd(8192), BaseCopyEnd.decode(r.read()));
        assertNull(r.read(), "clean end of stream at a frame boundary");
    }

    @Test
    void everyTypeRoundTripsThroughAStream() {
        byte[] bytes = encodeAll(7);
        checkAll(new FrameReader(new ByteArrayInputStream(bytes), MAX, "test"), 7);
        System.out.println("frame round trip: 8 frame types, " + bytes.length + " bytes");
    }

    @Test
    void everyTypeRoundTripsOverLoopbackTcp() throws Exception {
        byte[] bytes = encodeAll(9);
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ss.setSoTimeout(10_000);
            Thread sender = Thread.ofPlatform().start(() -> {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), ss.getLocalPort())) {
                    s.getOutputStream().write(bytes);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            try (Socket in = ss.accept()) {
                in.setSoTimeout(10_000);
                checkAll(new FrameReader(in.getInputStream(), MAX, in.getRemoteSocketAddress().toString()), 9);
            }
            sender.join(10_000);
        }
    }

    @Test
    void aSilentPeerTimesOut() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket c = new Socket(InetAddress.getLoopbackAddress(), ss.getLocalPort());
             Socket in = acceptWithin(ss)) {
            in.setSoTimeout(200);
            WireException e = assertThrows(WireException.class,
                    () -> new FrameReader(in.getInputStream(), MAX, "silent").read());
            assertEquals(Kind.TIMEOUT, e.kind());
            System.out.println("silent peer: " + e.getMessage());
        }
    }

    private static Socket acceptWithin(ServerSocket ss) throws Exception {
        ss.setSoTimeout(10_000);
        return ss.accept();
    }

    @Test
    void oversizedIsRefusedBeforeAllocating() {
        byte[] bytes = encodeAll(1);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(FrameDescriptor.LENGTH_OFFSET, Integer.MAX_VALUE);
        WireException e = assertThrows(WireException.class, () -> new FrameReader(new ByteArrayInputStream(bytes), MAX, "t").read());
        assertEquals(Kind.OVERSIZED, e.kind());
        assertTrue(e.getMessage().contains("2147483647"), e.getMessage());
    }

    @Test
    void outOfOrderIsRefused() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FrameWriter(out, 1, MAX).send(FrameDescriptor.ACK, new Ack(1, 1).encode());
        byte[] one = out.toByteArray();
        byte[] twice = new byte[one.length * 2];
        System.arraycopy(one, 0, twice, 0, one.length);
        System.arraycopy(one, 0, twice, one.length, one.length); // sequence 0 again: a replay
        FrameReader r = new FrameReader(new ByteArrayInputStream(twice), MAX, "t");
        r.read();
        assertEquals(Kind.OUT_OF_ORDER, assertThrows(WireException.class, r::read).kind());
    }

    @Test
    void anUnexpectedTypeIsRefusedAndAnErrorCarriesTheReason() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameWriter w = new FrameWriter(out, 1, MAX);
        w.send(FrameDescriptor.ACK, new Ack(1, 1).encode());
        w.send(FrameDescriptor.ERROR, new ErrorFrame(Kind.WRONG_POOL, "pool x is not pool y").encode());
        FrameReader r = new FrameReader(new ByteArrayInputStream(out.toByteArray()), MAX, "t");
        assertEquals(Kind.UNEXPECTED, assertThrows(WireException.class, () -> Hello.decode(r.read())).kind());
        WireException e = assertThrows(WireException.class, () -> Hello.decode(r.read()));
        assertEquals(Kind.PEER_ERROR, e.kind());
        assertTrue(e.getMessage().contains("pool x is not pool y"), e.getMessage());
    }

    /**
     * Mutated, truncated and random input: each read ends in a frame, a clean end, or a
     * WireException, never another exception, an OOM or a hang (the input is finite).
     */
    @Test
    void fuzzedInputNeverEscapesAsAnythingButAWireException() {
        byte[] good = encodeAll(3);
        Random rnd = new Random(42);
        Map<Kind, Integer> kinds = new EnumMap<>(Kind.class);
        int cases = 0;
        int frames = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] input;
            int mode = i % 4;
            if (mode == 0) { // flip bytes
                input = good.clone();
                for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
                    input[rnd.nextInt(input.length)] ^= (byte) (1 + rnd.nextInt(255));
                }
            } else if (mode == 1) { // truncate
                input = java.util.Arrays.copyOf(good, rnd.nextInt(good.length));
            } else if (mode == 2) { // random garbage
                input = new byte[rnd.nextInt(512)];
                rnd.nextBytes(input);
            } else { // a huge length word in a random frame header position
                input = good.clone();
                ByteBuffer.wrap(input).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 0x8000_0000 | rnd.nextInt());
            }
            cases++;
            FrameReader r = new FrameReader(new ByteArrayInputStream(input), MAX, "fuzz");
            try {
                for (int n = 0; n < 20; n++) {
                    Frame f = r.read();
                    if (f == null) {
                        break;
                    }
                    frames++;
                    decodeAny(f);
                }
            } catch (WireException e) {
                kinds.merge(e.kind(), 1, Integer::sum);
            } catch (RuntimeException | Error e) {
                fail("case " + i + " (mode " + mode + "): " + e, e);
            }
        }
        System.out.println("frame fuzz: " + cases + " inputs, " + frames + " frames decoded, refusals " + kinds);
        assertTrue(kinds.containsKey(Kind.BAD_CRC) && kinds.containsKey(Kind.TRUNCATED) && kinds.containsKey(Kind.OVERSIZED),
                kinds.toString());
    }

    private static void decodeAny(Frame f) {
        switch (f.type()) {
            case FrameDescriptor.HELLO -> Hello.decode(f);
            case FrameDescriptor.AUTH -> Auth.decode(f);
            case FrameDescriptor.ENTRIES -> Entries.decode(f);
            case FrameDescriptor.ACK -> Ack.decode(f);
            case FrameDescriptor.HEARTBEAT -> Heartbeat.decode(f);
            case FrameDescriptor.SEAL -> Seal.decode(f);
            case FrameDescriptor.BASE_COPY -> BaseCopyChunk.decode(f);
            case FrameDescriptor.ERROR -> ErrorFrame.decode(f);
            case FrameDescriptor.BASE_COPY_BEGIN -> BaseCopyBegin.decode(f);
            case FrameDescriptor.BASE_COPY_RESUME -> BaseCopyResume.decode(f);
            case FrameDescriptor.BASE_COPY_END -> BaseCopyEnd.decode(f);
            default -> fail("reader returned an unknown type " + f.type());
        }
    }

    @Test
    void aTruncatedStreamIsRefused() {
        byte[] good = encodeAll(3);
        InputStream in = new ByteArrayInputStream(java.util.Arrays.copyOf(good, FrameDescriptor.HEADER_LENGTH + 3));
        assertEquals(Kind.TRUNCATED, assertThrows(WireException.class, () -> new FrameReader(in, MAX, "t").read()).kind());
    }
}
