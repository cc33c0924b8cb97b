package io.ferrite.pmlog;

import io.ferrite.media.Media;
import java.util.List;

/**
 * The header of a log region as recovery reads it, validated (layout in {@link LogHeaderDescriptor}).
 * {@link #read} never changes a byte, so it works on read-only media; it throws
 * {@link LogFormatException} or {@link LogCorruptedException} exactly as opening the log would.
 *
 * @param capacity      ring bytes
 * @param maxRecordSize largest payload the log accepts
 * @param epoch         the header's epoch: the epoch of the last run that opened the log
 * @param headLsn       the oldest retained LSN (from the valid head slot with the highest LSN), normalized
 * @param headEpoch     that slot's epoch floor: the least epoch the record at the head may carry
 * @param activeSlot    index of that slot
 * @param slots         both head slots as found, valid or not (for diagnostics)
 */
public record LogHeader(long capacity, int maxRecordSize, long epoch, long headLsn, long headEpoch, int activeSlot,
                        List<HeadSlot> slots) {

    /** One head slot as found: its LSN and epoch floor, and whether its checksum and values are valid. */
    public record HeadSlot(long lsn, long epoch, boolean valid) {
    }

    public LogHeader {
        slots = List.copyOf(slots);
    }

    /** Validates and reads the header of the log in {@code media[regionOffset, regionOffset+regionLength)}. */
    public static LogHeader read(Media media, long regionOffset, long regionLength) {
        return PmLog.readHeader(media, regionOffset, regionLength);
    }
}
