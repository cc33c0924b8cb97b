/**
 * The replication wire protocol: the frame layout ({@link io.ferrite.replicator.wire.FrameDescriptor},
 * the one description of it), the frame encoder and decoder over blocking streams
 * ({@link io.ferrite.replicator.wire.FrameWriter}, {@link io.ferrite.replicator.wire.FrameReader}),
 * the typed frame bodies ({@link io.ferrite.replicator.wire.Messages}) and the refusal type
 * ({@link io.ferrite.replicator.wire.WireException}).
 *
 * <p><b>Threading.</b> A reader belongs to one thread; a writer may be shared (its send is
 * synchronized). A decoded frame is valid until the next read on its reader.
 *
 * <p><b>Durability.</b> None: this package moves bytes. What a frame asserts about durability
 * (an ACK's durable LSN) is the sender's promise, made by the replica side only after its mirror
 * log holds the records.
 *
 * <p><b>Bad input.</b> Every size is checked before allocation against the configured maximum
 * frame size; a bad frame raises a {@link io.ferrite.replicator.wire.WireException} naming the
 * peer, the frame and the reason; its caller sends an ERROR frame, closes, and logs one line.
 * Reads are bounded by the socket's timeout, so a silent peer is never waited for forever.
 */
package io.ferrite.replicator.wire;
