package io.ferrite.pmlog;

import static io.ferrite.pmlog.LogHeaderDescriptor.EPOCH_OFFSET;
import static io.ferrite.pmlog.LogRecordDescriptor.HEADER_LENGTH;

import io.ferrite.media.Media;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Reads, validates and writes the header of a log region (layout in {@link LogHeaderDescriptor}):
 * formatting a region, the version gate and every header check an open makes, the epoch word and
 * the head slots. Static and stateless: the caller serializes writes to one region (an open, a
 * reclaim under its lock).
 */
final class LogFormat {
    static final long MAX_EPOCH = 0xFFFF_FFFFL;
    private static final ValueLayout.OfLong U64 = LogRecordDescriptor.U64;
    private static final ValueLayout.OfInt U32 = LogRecordDescriptor.U32;
    private static final VarHandle BYTES_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private LogFormat() {
    }

    /**
     * Formats a fresh log in {@code media[regionOffset, regionOffset+regionLength)} and returns its
     * header: a zeroed ring whose first lsn word can never match, persisted before the header makes
     * the region a log; then the header with its magic written and persisted last. A crash during
     * format leaves "not a Ferrite log", never a log with stale records. The head is {@code startLsn}
     * (0 for a new log; a mirror starts where its primary's records it receives start).
     */
    static LogHeader format(Media media, long regionOffset, long regionLength, PmLogOptions o, long startLsn,
                            int flags) {
        checkRegionBounds(media, regionOffset, regionLength);
        if (media.readOnly()) {
            throw new IllegalArgumentException(where(media, regionOffset) + " is mapped read-only: cannot format a log");
        }
        long capacity = regionLength - LogHeaderDescriptor.HEADER_LENGTH;
        checkCapacity(capacity);
        if (startLsn < 0 || startLsn % LogRecordDescriptor.ALIGNMENT != 0) {
            throw new IllegalArgumentException("startLsn=" + startLsn + " must be a non-negative multiple of "
                    + LogRecordDescriptor.ALIGNMENT + " (a record boundary)");
        }
        long limit = maxRecordSizeFor(capacity);
        int maxRecord;
        if (o.maxRecordSizeExplicit()) {
            if (o.maxRecordSize() > limit) {
                throw new IllegalArgumentException("maxRecordSize=" + o.maxRecordSize() + " is too large for capacity="
                        + capacity + ": a record may take at most half the ring, so maxRecordSize <= " + limit);
            }
            maxRecord = o.maxRecordSize();
        } else {
            maxRecord = (int) Math.min(o.maxRecordSize(), limit);
        }
        if ((flags & LogHeaderDescriptor.FLAG_MIRROR) != 0) {
            // A mirror stores whatever its primary (of the same capacity) accepted: the largest record there is.
            maxRecord = (int) limit;
        }
        MemorySegment seg = media.segment();
        long ringBase = LogHeaderDescriptor.ringOffset(regionOffset);
        seg.asSlice(regionOffset, regionLength).fill((byte) 0);
        seg.set(U64, LogRecordDescriptor.lsnOffset(ringBase + startLsn % capacity), -1L);
        media.persist(regionOffset, regionLength);
        byte[] stat = staticPart(capacity, maxRecord, flags);
        MemorySegment.copy(stat, 8, seg, ValueLayout.JAVA_BYTE, regionOffset + 8, stat.length - 8);
        seg.set(U32, regionOffset + LogHeaderDescriptor.STATIC_CRC_OFFSET, crc32c(stat, 0, stat.length));
        seg.set(U64, regionOffset + EPOCH_OFFSET, 1L);
        for (int i = 0; i < LogHeaderDescriptor.HEAD_SLOT_COUNT; i++) {
            writeSlot(seg, regionOffset + LogHeaderDescriptor.headSlotOffset(i), startLsn, 1L);
        }
        media.persist(regionOffset, LogHeaderDescriptor.HEADER_LENGTH);
        seg.set(U64, regionOffset + LogHeaderDescriptor.MAGIC_OFFSET, LogHeaderDescriptor.MAGIC);
        media.persist(regionOffset, 8);
        return new LogHeader(capacity, maxRecord, 1L, startLsn, 1L, 0, List.of(), flags);
    }

    /** Persists a new epoch word (one aligned 8-byte store, then persist). */
    static void writeEpoch(Media media, long regionOffset, long epoch) {
        media.segment().set(U64, regionOffset + EPOCH_OFFSET, epoch);
        media.persist(regionOffset + EPOCH_OFFSET, 8);
    }

    /** Writes head slot {@code slot} (lsn, epoch floor, CRC) and persists it. */
    static void persistSlot(Media media, long regionOffset, int slot, long lsn, long floorEpoch) {
        long slotOff = regionOffset + LogHeaderDescriptor.headSlotOffset(slot);
        writeSlot(media.segment(), slotOff, lsn, floorEpoch);
        media.persist(slotOff, LogHeaderDescriptor.SLOT_LENGTH);
    }

    static long maxRecordSizeFor(long capacity) {
        return Math.min(Integer.MAX_VALUE - 64, capacity / 2 - HEADER_LENGTH);
    }

    static void checkCapacity(long capacity) {
        if (capacity < LogHeaderDescriptor.MIN_CAPACITY || capacity % LogHeaderDescriptor.CAPACITY_ALIGNMENT != 0) {
            throw new IllegalArgumentException("capacity=" + capacity + " must be a multiple of "
                    + LogHeaderDescriptor.CAPACITY_ALIGNMENT + " and at least " + LogHeaderDescriptor.MIN_CAPACITY);
        }
    }

    private static void checkRegionBounds(Media media, long regionOffset, long regionLength) {
        if (regionOffset < 0 || regionLength < 0 || regionOffset + regionLength > media.size()) {
            throw new IllegalArgumentException("log region offset=" + regionOffset + " length=" + regionLength
                    + " lies outside media of " + media.size() + " bytes (" + name(media) + ")");
        }
        if (regionOffset % 64 != 0) {
            throw new IllegalArgumentException("log region offset=" + regionOffset + " must be a multiple of 64 ("
                    + name(media) + ")");
        }
    }

    private static byte[] staticPart(long capacity, int maxRecordSize, int flags) {
        byte[] b = new byte[LogHeaderDescriptor.STATIC_LENGTH];
        MemorySegment s = MemorySegment.ofArray(b);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), LogHeaderDescriptor.MAGIC_OFFSET,
                LogHeaderDescriptor.MAGIC);
        s.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), LogHeaderDescriptor.VERSION_OFFSET,
                LogHeaderDescriptor.FORMAT_VERSION);
        s.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), LogHeaderDescriptor.HEADER_LENGTH_OFFSET,
                LogHeaderDescriptor.HEADER_LENGTH);
        s.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), LogHeaderDescriptor.CAPACITY_OFFSET,
                capacity);
        s.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), LogHeaderDescriptor.MAX_RECORD_SIZE_OFFSET,
                maxRecordSize);
        s.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), LogHeaderDescriptor.FLAGS_OFFSET, flags);
        return b;
    }

    private static void writeSlot(MemorySegment seg, long slotOff, long lsn, long headEpoch) {
        byte[] b = new byte[LogHeaderDescriptor.SLOT_COVERED_LENGTH];
        BYTES_LE.set(b, 0, lsn);
        b[8] = (byte) headEpoch;
        b[9] = (byte) (headEpoch >>> 8);
        b[10] = (byte) (headEpoch >>> 16);
        b[11] = (byte) (headEpoch >>> 24);
        int crc = crc32c(b, 0, b.length);
        seg.set(U64, slotOff + LogHeaderDescriptor.SLOT_LSN_OFFSET, lsn);
        seg.set(U64, slotOff + LogHeaderDescriptor.SLOT_EPOCH_OFFSET, (headEpoch & 0xFFFF_FFFFL) | ((long) crc << 32));
    }

    /** Validates and reads the header ({@link LogHeader#read}); changes nothing. */
    static LogHeader readHeader(Media media, long regionOffset, long regionLength) {
        checkRegionBounds(media, regionOffset, regionLength);
        String where = where(media, regionOffset);
        String hint = verifyHint(media);
        long minRegion = LogHeaderDescriptor.HEADER_LENGTH + LogHeaderDescriptor.MIN_CAPACITY;
        MemorySegment seg = media.segment();
        if (regionLength < minRegion) {
            String what = regionLength >= 8 && seg.get(U64, regionOffset) == LogHeaderDescriptor.MAGIC
                    ? "a truncated log" : "not a Ferrite log";
            throw new LogFormatException(String.format("%s: %d bytes is too small for a log (%s): a log needs at least"
                    + " %d bytes (a %d-byte header and a ring of at least %d)", where, regionLength, what, minRegion,
                    LogHeaderDescriptor.HEADER_LENGTH, LogHeaderDescriptor.MIN_CAPACITY), hint);
        }
        long magic = seg.get(U64, regionOffset + LogHeaderDescriptor.MAGIC_OFFSET);
        if (magic != LogHeaderDescriptor.MAGIC) {
            throw new LogFormatException(String.format("%s is not a Ferrite log: magic at offset %d is '%s', expected '%s'",
                    where, regionOffset + LogHeaderDescriptor.MAGIC_OFFSET, LogHeaderDescriptor.describeMagic(magic),
                    LogHeaderDescriptor.MAGIC_TEXT), "check the path; " + hint);
        }
        int version = seg.get(U32, regionOffset + LogHeaderDescriptor.VERSION_OFFSET);
        if (version != LogHeaderDescriptor.FORMAT_VERSION) {
            throw new LogFormatException(String.format("%s: unknown log format version %d at offset %d (this build reads"
                            + " version %d)", where, version & 0xFFFF_FFFFL, regionOffset + LogHeaderDescriptor.VERSION_OFFSET,
                    LogHeaderDescriptor.FORMAT_VERSION), "open it with the Ferrite release that wrote it; " + hint);
        }
        byte[] stat = new byte[LogHeaderDescriptor.STATIC_LENGTH];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, regionOffset, stat, 0, stat.length);
        int storedCrc = seg.get(U32, regionOffset + LogHeaderDescriptor.STATIC_CRC_OFFSET);
        int crc = crc32c(stat, 0, stat.length);
        if (crc != storedCrc) {
            throw new LogCorruptedException(String.format("%s: log header checksum mismatch at offset %d: stored 0x%08x,"
                    + " computed 0x%08x over bytes %d..%d", where, regionOffset + LogHeaderDescriptor.STATIC_CRC_OFFSET,
                    storedCrc, crc, regionOffset, regionOffset + LogHeaderDescriptor.STATIC_LENGTH), hint);
        }
        int headerLength = seg.get(U32, regionOffset + LogHeaderDescriptor.HEADER_LENGTH_OFFSET);
        if (headerLength != LogHeaderDescriptor.HEADER_LENGTH) {
            throw new LogFormatException(String.format("%s: header length at offset %d is %d, expected %d", where,
                    regionOffset + LogHeaderDescriptor.HEADER_LENGTH_OFFSET, headerLength,
                    LogHeaderDescriptor.HEADER_LENGTH), hint);
        }
        int flags = seg.get(U32, regionOffset + LogHeaderDescriptor.FLAGS_OFFSET);
        if ((flags & ~LogHeaderDescriptor.KNOWN_FLAGS) != 0) {
            throw new LogFormatException(String.format("%s: unknown header flags 0x%08x at offset %d (this build knows"
                    + " 0x%08x)", where, flags, regionOffset + LogHeaderDescriptor.FLAGS_OFFSET,
                    LogHeaderDescriptor.KNOWN_FLAGS), "open it with the Ferrite release that wrote it; " + hint);
        }
        long capacity = seg.get(U64, regionOffset + LogHeaderDescriptor.CAPACITY_OFFSET);
        if (capacity < LogHeaderDescriptor.MIN_CAPACITY || capacity % LogHeaderDescriptor.CAPACITY_ALIGNMENT != 0) {
            throw new LogCorruptedException(String.format("%s: capacity %d at offset %d is not a multiple of %d of at"
                    + " least %d", where, capacity, regionOffset + LogHeaderDescriptor.CAPACITY_OFFSET,
                    LogHeaderDescriptor.CAPACITY_ALIGNMENT, LogHeaderDescriptor.MIN_CAPACITY), hint);
        }
        if (LogHeaderDescriptor.regionLength(capacity) != regionLength) {
            throw new LogFormatException(String.format("%s: size does not match the header: the header at offset %d says"
                    + " capacity=%d, i.e. a region of %d bytes, but the %s is %d bytes", where,
                    regionOffset + LogHeaderDescriptor.CAPACITY_OFFSET, capacity, LogHeaderDescriptor.regionLength(capacity),
                    media.path() != null && regionOffset == 0 && regionLength == media.size() ? "file" : "region",
                    regionLength), "the file was truncated or extended; " + hint);
        }
        int maxRecord = seg.get(U32, regionOffset + LogHeaderDescriptor.MAX_RECORD_SIZE_OFFSET);
        if (maxRecord < 0 || maxRecord > maxRecordSizeFor(capacity)) {
            throw new LogCorruptedException(String.format("%s: maxRecordSize %d at offset %d is out of range for"
                    + " capacity %d (at most %d)", where, maxRecord & 0xFFFF_FFFFL,
                    regionOffset + LogHeaderDescriptor.MAX_RECORD_SIZE_OFFSET, capacity, maxRecordSizeFor(capacity)), hint);
        }
        long epoch = seg.get(U64, regionOffset + EPOCH_OFFSET);
        if (epoch < 1 || epoch > MAX_EPOCH) {
            throw new LogCorruptedException(String.format("%s: epoch %d at offset %d is out of range 1..%d", where,
                    epoch, regionOffset + EPOCH_OFFSET, MAX_EPOCH), hint);
        }
        long bestLsn = -1;
        long bestEpoch = 0;
        int best = -1;
        List<LogHeader.HeadSlot> slots = new ArrayList<>(LogHeaderDescriptor.HEAD_SLOT_COUNT);
        for (int i = 0; i < LogHeaderDescriptor.HEAD_SLOT_COUNT; i++) {
            long off = regionOffset + LogHeaderDescriptor.headSlotOffset(i);
            long lsn = seg.get(U64, off + LogHeaderDescriptor.SLOT_LSN_OFFSET);
            long ew = seg.get(U64, off + LogHeaderDescriptor.SLOT_EPOCH_OFFSET);
            byte[] b = new byte[LogHeaderDescriptor.SLOT_COVERED_LENGTH];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, b, 0, b.length);
            boolean valid = crc32c(b, 0, b.length) == (int) (ew >>> 32) && lsn >= 0 && lsn % 8 == 0
                    && (ew & 0xFFFF_FFFFL) <= epoch;
            slots.add(new LogHeader.HeadSlot(lsn, ew & 0xFFFF_FFFFL, valid));
            if (valid && lsn > bestLsn) {
                bestLsn = lsn;
                bestEpoch = ew & 0xFFFF_FFFFL;
                best = i;
            }
        }
        if (best < 0) {
            throw new LogCorruptedException(String.format("%s: no valid head slot at offsets %d and %d (both checksums"
                    + " fail): the reclaim point is unknown", where, regionOffset + LogHeaderDescriptor.HEAD_SLOT0_OFFSET,
                    regionOffset + LogHeaderDescriptor.HEAD_SLOT1_OFFSET), hint);
        }
        return new LogHeader(capacity, maxRecord, epoch, normalize(bestLsn, capacity), bestEpoch, best, slots, flags);
    }

    /** The LSN moved past the implicit skip at the ring end, where no record starts. */
    static long normalize(long lsn, long capacity) {
        long p = lsn % capacity;
        return LogRecordDescriptor.isImplicitSkip(p, capacity) ? lsn + (capacity - p) : lsn;
    }

    static String name(Media media) {
        return media.path() == null ? "<memory>" : media.path().toString();
    }

    static String where(Media media, long regionOffset) {
        return regionOffset == 0 ? name(media) : name(media) + " (log region at offset " + regionOffset + ")";
    }

    static String verifyHint(Media media) {
        return "run `ferrite log --verify " + (media.path() == null ? "PATH" : media.path().toString()) + "`";
    }

    static int crc32c(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }
}
