package io.ferrite.replicator.wire;

import io.ferrite.FerriteException;

/**
 * A frame or a peer that the protocol refuses: the {@link Kind} says why. The side that catches it
 * sends an ERROR frame with {@link #kind()}'s code and the message (when the connection still
 * works), closes the connection and logs one line; nothing the peer sent in that frame is used.
 */
public class WireException extends FerriteException {
    private static final long serialVersionUID = 1L;

    /** Why a frame or a peer was refused; the code travels in the ERROR frame. */
    public enum Kind {
        OVERSIZED(1), TRUNCATED(2), BAD_CRC(3), OUT_OF_ORDER(4), UNEXPECTED(5), MALFORMED(6),
        AUTHENTICATION(7), WRONG_POOL(8), STALE_TERM(9), TIMEOUT(10), LSN_GAP(11), PEER_ERROR(12), IO(13);

        private final short code;

        Kind(int code) {
            this.code = (short) code;
        }

        public short code() {
            return code;
        }

        /** The kind of a code received in an ERROR frame; {@link #PEER_ERROR} for an unknown code. */
        public static Kind of(short code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            return PEER_ERROR;
        }
    }

    private final Kind kind;
    private Kind peerKind;

    public WireException(Kind kind, String message) {
        this(kind, message, null);
    }

    public WireException(Kind kind, String message, Throwable cause) {
        super(message, hintFor(kind), cause);
        this.kind = kind;
    }

    /** The peer's refusal, read from its ERROR frame: kind {@link Kind#PEER_ERROR}, {@link #peerKind} the peer's code. */
    public static WireException fromPeer(Kind peerKind, String message) {
        WireException e = new WireException(Kind.PEER_ERROR, message);
        e.peerKind = peerKind;
        return e;
    }

    public Kind kind() {
        return kind;
    }

    /** For a {@link Kind#PEER_ERROR}: why the peer refused (the code of its ERROR frame); null otherwise. */
    public Kind peerKind() {
        return peerKind;
    }

    private static String hintFor(Kind kind) {
        return switch (kind) {
            case AUTHENTICATION -> "check that both sides are configured with the same replication secret";
            case WRONG_POOL -> "point the replica at a copy of this primary's pool (a base copy), not another pool";
            case STALE_TERM -> "this node was fenced by a promotion; rejoin it as a replica of the current primary";
            case OVERSIZED -> "raise the maximum frame size on the receiving side if the sender is trusted";
            default -> "";
        };
    }
}
