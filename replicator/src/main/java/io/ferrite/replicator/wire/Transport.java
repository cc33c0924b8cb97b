package io.ferrite.replicator.wire;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * How replication sockets are made: plain TCP, or TLS (JSSE, TLSv1.3) where the listening side
 * requires a client certificate, so both ends are authenticated by certificates the trust store
 * holds. The key store and trust store are PKCS12 files.
 *
 * <p>Threading: immutable, thread-safe. A TLS handshake runs within the connect timeout, so a
 * peer that speaks no TLS is dropped, never waited for.
 */
public final class Transport {
    private final SSLContext tls;

    private Transport(SSLContext tls) {
        this.tls = tls;
    }

    /** Plain TCP. */
    public static Transport plain() {
        return new Transport(null);
    }

    /** TLS with client certificates: this node's key in {@code keyStore}, the peers' certificates in {@code trustStore}. */
    public static Transport tls(Path keyStore, char[] keyStorePassword, Path trustStore, char[] trustStorePassword) {
        try {
            KeyStore ks = load(keyStore, keyStorePassword);
            KeyStore ts = load(trustStore, trustStorePassword);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, keyStorePassword);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ts);
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return new Transport(ctx);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot set up TLS from key store " + keyStore + " and trust store " + trustStore
                    + ": " + e.getMessage(), e);
        }
    }

    private static KeyStore load(Path file, char[] password) throws GeneralSecurityException {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, password);
            return ks;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the key store " + file + ": " + e.getMessage(), e);
        }
    }

    public boolean isTls() {
        return tls != null;
    }

    /** A listening socket on {@code address:port} (port 0: any free port). */
    public ServerSocket listen(InetAddress address, int port) throws IOException {
        if (tls == null) {
            return new ServerSocket(port, 50, address);
        }
        SSLServerSocket s = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket(port, 50, address);
        s.setNeedClientAuth(true);
        return s;
    }

    /**
     * Completes an accepted socket: for TLS, runs the handshake (client certificate required)
     * within {@code timeoutMillis}.
     */
    public Socket accepted(Socket s, int timeoutMillis) throws IOException {
        if (s instanceof SSLSocket ssl) {
            ssl.setSoTimeout(timeoutMillis);
            ssl.startHandshake();
        }
        return s;
    }

    /** Connects to {@code host:port} within {@code timeoutMillis}, the TLS handshake included. */
    public Socket connect(String host, int port, int timeoutMillis) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, port), timeoutMillis);
            if (tls == null) {
                return s;
            }
            SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(s, host, port, true);
            ssl.setUseClientMode(true);
            ssl.setSoTimeout(timeoutMillis);
            ssl.startHandshake();
            return ssl;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }
}
