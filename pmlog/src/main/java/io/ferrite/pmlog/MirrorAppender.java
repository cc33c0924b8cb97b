package io.ferrite.pmlog;

import static io.ferrite.pmlog.LogRecordDescriptor.HEADER_LENGTH;
import static io.ferrite.pmlog.LogRecordType.PADDING_CODE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;

/**
 * The append path of a mirror (docs/pmlog.md, "Mirror logs"): takes a record exactly as its primary
 * framed it (header and payload bytes: same LSN, epoch and CRC), checks it, and persists it at the
 * same LSN, so that the mirror passes its own recovery and holds, LSN for LSN, what the primary
 * holds.
 *
 * <p><b>Checks, before a byte is written.</b> The frame's LSN is the next one the mirror expects
 * (its tail: records and padding records alike are gap-free); its length matches its header; its
 * payload is within the largest record; a padding record spans whole cache lines; the record fits
 * before the mirror's ring end, as it did before the primary's (a mirror has its primary's
 * capacity, so LSNs and wrap points coincide; a record that would cross the end says the
 * capacities differ); its epoch is not below the epoch of the record before it (recovery would end
 * the log there); its CRC32C matches. Any failure is a {@link MirrorFrameException} naming the LSN.
 *
 * <p><b>Durability.</b> A frame whose epoch is above the header's epoch word first raises the word
 * and persists it; then the payload and the header words are written, the LSN word last (release),
 * the record's lines flushed and fenced; only then do the tail and the durable LSN move (and
 * waiting readers are told). When {@link #append} returns, the record is durable.
 *
 * <p><b>Threading.</b> One stream of frames per mirror: {@link #append} is serialized by this
 * object's lock; readers and reclaim may run alongside it.
 */
final class MirrorAppender {
    private static final ValueLayout.OfLong U64 = LogRecordDescriptor.U64;
    private static final ValueLayout.OfLong FRAME_U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt FRAME_U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort FRAME_U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LSN_WORD = LogRecordDescriptor.LSN_WORD;

    private final LogRing ring;
    private final PmLogOptions options;
    private final CRC32C crc = new CRC32C();
    /** The header's epoch word: the highest epoch the ring may hold a record of. */
    private long headerEpoch;

    MirrorAppender(LogRing ring, long headerEpoch, PmLogOptions options) {
        this.ring = ring;
        this.headerEpoch = headerEpoch;
        this.options = options;
    }

    /** Checks and persists one frame ({@code frame[offset, offset+length)}); returns the LSN expected next. */
    synchronized long append(MemorySegment frame, long offset, long length) {
        ring.checkOpen();
        long expected = ring.normalize(ring.tail.lv());
        if (length < HEADER_LENGTH) {
            throw refuse(-1, expected, "a frame of " + length + " bytes is shorter than a record header ("
                    + HEADER_LENGTH + " bytes)");
        }
        long lsn = frame.get(FRAME_U64, offset + LogRecordDescriptor.LSN_OFFSET);
        if (lsn != expected) {
            throw refuse(lsn, expected, (lsn > expected ? "a gap: " : "a repeat: ") + "the frame carries LSN " + lsn
                    + ", the mirror expects LSN " + expected + " (its tail)");
        }
        long len = frame.get(FRAME_U32, offset + LogRecordDescriptor.LENGTH_OFFSET) & 0xFFFF_FFFFL;
        int storedCrc = frame.get(FRAME_U32, offset + LogRecordDescriptor.CRC_OFFSET);
        short type = frame.get(FRAME_U16, offset + LogRecordDescriptor.TYPE_OFFSET);
        short flags = frame.get(FRAME_U16, offset + LogRecordDescriptor.FLAGS_OFFSET);
        long epoch = frame.get(FRAME_U32, offset + LogRecordDescriptor.EPOCH_OFFSET) & 0xFFFF_FFFFL;
        boolean padding = type == PADDING_CODE;
        long carried = padding ? 0 : len;
        if (length != HEADER_LENGTH + carried) {
            throw refuse(lsn, expected, "the frame has " + length + " bytes, its header says " + (HEADER_LENGTH + carried)
                    + (padding ? " (a padding record is shipped as its header alone)" : ""));
        }
        if (flags != 0) {
            throw refuse(lsn, expected, "flags " + flags + " in the record header (format version 1 writes 0)");
        }
        if (!padding && len > ring.maxRecordSize) {
            throw refuse(lsn, expected, "a payload of " + len + " bytes exceeds maxRecordSize=" + ring.maxRecordSize);
        }
        long size = padding ? HEADER_LENGTH + len : LogRecordDescriptor.recordLength(len);
        if (size % LogRecordDescriptor.ALIGNMENT != 0) {
            throw refuse(lsn, expected, "a padding record of " + size + " bytes does not span whole cache lines");
        }
        long pos = ring.ringPos(lsn);
        if (pos + size > ring.capacity) {
            throw refuse(lsn, expected, "the record of " + size + " bytes would cross this mirror's ring end at LSN "
                    + (lsn - pos + ring.capacity) + ": the primary's capacity is not this mirror's capacity="
                    + ring.capacity + " (a mirror must have its primary's capacity)");
        }
        if (epoch < ring.floorEpoch) {
            throw refuse(lsn, expected, "epoch " + epoch + " is below epoch " + ring.floorEpoch
                    + " of the record before it: recovery would end the log there");
        }
        crc.reset();
        crc.update(frame.asSlice(offset + LogRecordDescriptor.CRC_COVERED_OFFSET, HEADER_LENGTH
                - LogRecordDescriptor.CRC_COVERED_OFFSET + carried).asByteBuffer());
        int computed = (int) crc.getValue();
        if (computed != storedCrc) {
            throw refuse(lsn, expected, String.format("CRC32C mismatch: stored 0x%08x, computed 0x%08x", storedCrc,
                    computed));
        }
        awaitSpace(lsn, size);
        if (epoch > headerEpoch) {
            // Recovery accepts no record above the header's epoch: raise it first, durably.
            LogFormat.writeEpoch(ring.media, ring.regionOffset, epoch);
            headerEpoch = epoch;
        }
        MemorySegment seg = ring.seg;
        long rec = ring.ringBase + pos;
        if (carried > 0) {
            MemorySegment.copy(frame, offset + HEADER_LENGTH, seg, LogRecordDescriptor.payloadOffset(rec), carried);
        }
        seg.set(U64, LogRecordDescriptor.lengthOffset(rec), frame.get(FRAME_U64, offset + LogRecordDescriptor.LENGTH_OFFSET));
        seg.set(U64, LogRecordDescriptor.typeOffset(rec), frame.get(FRAME_U64, offset + LogRecordDescriptor.TYPE_OFFSET));
        LSN_WORD.setRelease(seg, LogRecordDescriptor.lsnOffset(rec), lsn);
        ring.media.flush(rec, HEADER_LENGTH + carried);
        ring.media.fence();
        long next = ring.normalize(lsn + size);
        ring.floorEpoch = epoch;
        ring.tail.sv(next);
        ring.durable.sv(next);
        ring.durableSignal.published();
        return next;
    }

    /** The epoch word of the header (the highest epoch mirrored so far, or 1). */
    synchronized long headerEpoch() {
        return headerEpoch;
    }

    /** Waits for reclaim to free the space of a record at {@code lsn}, as the options say (hook, fail or wait). */
    private void awaitSpace(long lsn, long size) {
        boolean hookRan = false;
        long deadline = 0;
        while (lsn + size - ring.head.lv() > ring.capacity) {
            if (!hookRan) {
                hookRan = true;
                options.onFull().run();
                continue;
            }
            long now = System.nanoTime();
            if (options.fullPolicy() == PmLogOptions.FullPolicy.FAIL || options.fullWaitTimeout().isZero()
                    || (deadline != 0 && now - deadline >= 0)) {
                throw new LogFullException(String.format("mirror log full: lsn=%d head=%d durable=%d capacity=%d size=%d"
                                + " (policy %s)", lsn, ring.head.lv(), ring.durable.lv(), ring.capacity, size,
                        options.fullPolicy()), "reclaim the mirror's log space (checkpoint the replica) sooner");
            }
            if (deadline == 0) {
                deadline = now + options.fullWaitTimeout().toNanos();
            }
            ring.checkOpen();
            LockSupport.parkNanos(20_000);
        }
    }

    private MirrorFrameException refuse(long lsn, long expected, String why) {
        return new MirrorFrameException(ring.where() + ": mirror refused the frame at LSN " + (lsn < 0 ? expected : lsn)
                + ": " + why, lsn, expected);
    }
}
