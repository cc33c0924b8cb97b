package io.ferrite.replicator.wire;

import io.ferrite.replicator.wire.Messages.ErrorFrame;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;

/**
 * One replication connection: a connected (plain or TLS) socket with its {@link FrameReader} and
 * {@link FrameWriter}, and the one way to refuse a peer ({@link #refuse}: an ERROR frame with the
 * reason, a close, one log line).
 *
 * <p>Threading: one reading thread; sends may come from any thread. {@link #close} is idempotent
 * and may be called from any thread (it unblocks a blocked read).
 */
public final class Connection implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.ferrite.replicator");

    private final Socket socket;
    private final String peer;
    private final FrameReader reader;
    private final FrameWriter writer;
    private volatile boolean closed;

    /**
     * @param readTimeoutMillis SO_TIMEOUT of every read (a silent peer is dropped after it)
     * @param maxFrameSize the largest frame body accepted and sent
     */
    public Connection(Socket socket, long term, int maxFrameSize, int readTimeoutMillis) {
        this.socket = socket;
        this.peer = String.valueOf(socket.getRemoteSocketAddress());
        try {
            socket.setSoTimeout(readTimeoutMillis);
            socket.setTcpNoDelay(true);
            this.reader = new FrameReader(new BufferedInputStream(socket.getInputStream(), 1 << 16), maxFrameSize, peer);
            this.writer = new FrameWriter(new BufferedOutputStream(socket.getOutputStream(), 1 << 16), term, maxFrameSize);
        } catch (IOException e) {
            closeQuietly();
            throw new UncheckedIOException("setting up the connection with " + peer + ": " + e.getMessage(), e);
        }
    }

    public FrameReader reader() {
        return reader;
    }

    public FrameWriter writer() {
        return writer;
    }

    /** The next frame, which must come: a clean end of the stream where {@code expected} was due is {@code TRUNCATED}. */
    public Frame next(String expected) {
        Frame f = reader.read();
        if (f == null) {
            throw new WireException(WireException.Kind.TRUNCATED, "the peer " + peer + " closed the connection where " + expected
                    + " was expected");
        }
        return f;
    }

    public String peer() {
        return peer;
    }

    public Socket socket() {
        return socket;
    }

    /** Changes the read timeout (the handshake and the stream may differ). */
    public void readTimeout(int millis) {
        try {
            socket.setSoTimeout(millis);
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Refuses the peer: sends an ERROR frame with {@code e}'s kind and message unless the refusal
     * came from the peer itself or the connection is broken, closes, and logs one line. Returns
     * {@code e}, so that the caller can throw it.
     */
    public WireException refuse(WireException e, String side) {
        if (!closed && e.kind() != WireException.Kind.PEER_ERROR && e.kind() != WireException.Kind.IO
                && e.kind() != WireException.Kind.TRUNCATED) {
            try {
                writer.send(FrameDescriptor.ERROR, new ErrorFrame(e.kind(), e.getMessage()).encode());
            } catch (RuntimeException ignored) {
                // the peer may be gone already; the refusal is logged below either way
            }
        }
        LOG.log(System.Logger.Level.WARNING, side + ": closing the connection with " + peer + ": " + e.kind() + ": " + e.getMessage());
        close();
        return e;
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly();
    }

    private void closeQuietly() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing more to do for a socket being dropped
        }
    }
}
