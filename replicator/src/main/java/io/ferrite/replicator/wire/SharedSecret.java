package io.ferrite.replicator.wire;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Shared-secret mutual challenge-response with HMAC-SHA256. Each side sends a fresh random nonce
 * in its HELLO; each then proves it knows the secret by sending
 * {@code HMAC(secret, "ferrite-replication-v1" | role | peer nonce | own nonce | pool UUID)}, where
 * role is the prover's (so a proof cannot be reflected back to its sender), and checks the
 * peer's proof with a constant-time compare. The secret itself never crosses the wire.
 *
 * <p>Thread-safe: every call makes its own {@link Mac}. The secret is copied in and never exposed.
 */
public final class SharedSecret {
    private static final String ALGORITHM = "HmacSHA256";
    private static final byte[] LABEL = "ferrite-replication-v1".getBytes(StandardCharsets.US_ASCII);
    /** Fewer bytes than this is refused as a secret. */
    public static final int MIN_LENGTH = 16;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] secret;

    private SharedSecret(byte[] secret) {
        this.secret = secret;
    }

    /** A secret of at least {@link #MIN_LENGTH} bytes (copied). */
    public static SharedSecret of(byte[] secret) {
        if (secret == null || secret.length < MIN_LENGTH) {
            throw new IllegalArgumentException("a replication secret needs at least " + MIN_LENGTH + " bytes, got "
                    + (secret == null ? "none" : secret.length));
        }
        return new SharedSecret(secret.clone());
    }

    /** A fresh challenge nonce. */
    public static byte[] nonce() {
        byte[] n = new byte[FrameDescriptor.NONCE_LENGTH];
        RANDOM.nextBytes(n);
        return n;
    }

    /** The proof a side with role {@code proverRole} sends. */
    public byte[] proof(short proverRole, byte[] peerNonce, byte[] ownNonce, UUID pool) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(secret, ALGORITHM));
            mac.update(LABEL);
            mac.update(ByteBuffer.allocate(2).putShort(proverRole).array());
            mac.update(peerNonce);
            mac.update(ownNonce);
            mac.update(ByteBuffer.allocate(16).putLong(pool.getMostSignificantBits()).putLong(pool.getLeastSignificantBits())
                    .array());
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available in this JDK: " + e.getMessage(), e);
        }
    }

    /** Constant-time check of a peer's proof (the peer with role {@code peerRole}; nonces as the peer saw them). */
    public boolean verify(byte[] proof, short peerRole, byte[] ownNonce, byte[] peerNonce, UUID pool) {
        byte[] expected = proof(peerRole, ownNonce, peerNonce, pool);
        boolean ok = MessageDigest.isEqual(expected, proof);
        Arrays.fill(expected, (byte) 0);
        return ok;
    }

    @Override
    public String toString() {
        return "SharedSecret[" + secret.length + " bytes]";
    }
}
