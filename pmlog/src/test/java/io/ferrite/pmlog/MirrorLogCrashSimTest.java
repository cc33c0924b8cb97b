package io.ferrite.pmlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.media.CrashSimMedia;
import io.ferrite.media.Media;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Crash simulation of the mirror append (DESIGN.md §10): a mirror on crashsim media takes a
 * primary's frames (wraps, padding, three primary epochs); at every fence, images of what a power
 * failure could leave are opened as mirrors. Each must recover a prefix of the primary's frames,
 * byte for byte, holding every frame whose append had returned; and a next run that resumes
 * mirroring from the recovered tail must recover to the longer prefix. Replay with
 * {@code -Dferrite.crashsim.seed=...}.
 */
class MirrorLogCrashSimTest {
    private static final long CAPACITY = 8 * 1024;
    private static final int IMAGES_PER_FENCE = 32;
    private static final int NEXT_RUN_IMAGES = 2;
    private static final int KEEP = 8;
    private static final long TIME_BUDGET_NANOS = Duration.ofSeconds(40).toNanos();
    private static final PmLogOptions FAIL_WHEN_FULL = PmLogOptions.defaults().fullPolicy(PmLogOptions.FullPolicy.FAIL);

    /** The primary's frames in LSN order, padding included, as its reader ships them. */
    private static List<byte[]> primaryFrames(Random rnd) {
        List<byte[]> frames = new ArrayList<>();
        try (Media media = Media.inMemory(PmLog.regionLength(CAPACITY))) {
            PmLog.format(media, 0, media.size(), PmLogOptions.defaults()).close();
            long next = 0;
            for (int run = 0; run < 3; run++) {
                try (PmLog log = PmLog.open(media, 0, media.size(), PmLogOptions.defaults())) {
                    for (int i = 0; i < 120; i++) {
                        if (i == 60) {
                            assertThrows(IllegalStateException.class, () -> log.append(200, (short) 4, (s, o, n) -> {
                                throw new IllegalStateException("writer failed: this reservation becomes padding");
                            }));
                        }
                        log.append(TestFiles.payload(run, i, 8 + rnd.nextInt(400)), (short) (1 + run));
                        next = log.reader().pollFrames(next, (lsn, seg, off, len) -> {
                            frames.add(seg.asSlice(off, len).toArray(ValueLayout.JAVA_BYTE));
                            return true;
                        }, 64);
                        log.reclaim(next);
                    }
                }
            }
        }
        return frames;
    }

    static long lsnOf(byte[] frame) {
        return MemorySegment.ofArray(frame).get(ValueLayout.JAVA_LONG_UNALIGNED, LogRecordDescriptor.LSN_OFFSET);
    }

    static long endOf(byte[] frame) {
        MemorySegment f = MemorySegment.ofArray(frame);
        long len = f.get(ValueLayout.JAVA_INT_UNALIGNED, LogRecordDescriptor.LENGTH_OFFSET) & 0xFFFF_FFFFL;
        boolean padding = f.get(ValueLayout.JAVA_SHORT_UNALIGNED, LogRecordDescriptor.TYPE_OFFSET)
                == LogRecordDescriptor.PADDING_TYPE;
        return lsnOf(frame) + (padding ? LogRecordDescriptor.HEADER_LENGTH + len : LogRecordDescriptor.recordLength(len));
    }

    static long mirror(PmLog mirror, byte[] frame) {
        return mirror.appendMirrored(MemorySegment.ofArray(frame), 0, frame.length);
    }

    @Test
    void everyCrashImageOfAMirrorRecoversAPrefixOfThePrimarysFrames() {
        long seed = Long.getLong("ferrite.crashsim.seed", System.nanoTime());
        long t0 = System.nanoTime();
        List<byte[]> frames = primaryFrames(new Random(seed));
        Map<Long, Integer> index = new HashMap<>();
        for (int i = 0; i < frames.size(); i++) {
            index.put(lsnOf(frames.get(i)), i);
        }
        CrashSimMedia media = CrashSimMedia.inMemory(PmLog.regionLength(CAPACITY));
        Media image = Media.inMemory(media.size());
        long[] counts = new long[4]; // crash points, images, frames checked, next runs
        long[] acked = {0};
        AssertionError[] failure = {null};
        // Crash points of the format itself leave "not a Ferrite log" (PmLogRecoveryTest); these start after it.
        PmLog m = PmLog.formatMirror(media, 0, media.size(), 0, FAIL_WHEN_FULL);
        media.onCrashPoint(cp -> {
            if (failure[0] != null || System.nanoTime() - t0 > TIME_BUDGET_NANOS) {
                return;
            }
            counts[0]++;
            for (int i = 0; i < IMAGES_PER_FENCE && failure[0] == null; i++) {
                long imageSeed = seed ^ (cp.fence() * 0x9E3779B97F4A7C15L) ^ (i * 0xC2B2AE3D27D4EB4FL);
                cp.writeImage(new Random(imageSeed), image.segment());
                try {
                    long tail = checkImage(image, frames, index, acked[0], counts);
                    if (i < NEXT_RUN_IMAGES && index.containsKey(tail)) {
                        // The next run resumes from the recovered tail; the primary resends from there.
                        try (PmLog next = PmLog.open(image, 0, image.size(), FAIL_WHEN_FULL)) {
                            int from = index.get(tail);
                            for (int k = from; k < Math.min(frames.size(), from + 3); k++) {
                                mirror(next, frames.get(k));
                            }
                        }
                        checkImage(image, frames, index, 0, counts);
                        counts[3]++;
                    }
                } catch (AssertionError | RuntimeException e) {
                    failure[0] = new AssertionError("seed=" + seed + " fence=" + cp.fence() + " image=" + i + ": " + e, e);
                }
                counts[1]++;
            }
        });
        try (m) {
            for (int k = 0; k < frames.size() && failure[0] == null; k++) {
                acked[0] = mirror(m, frames.get(k));
                if (k >= KEEP) {
                    m.reclaim(lsnOf(frames.get(k - KEEP)));
                }
            }
        } finally {
            media.onCrashPoint(null);
        }
        if (failure[0] != null) {
            throw failure[0];
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("pmlog mirror crashsim: %d crash points, %d images checked (%d frames compared; %d next runs"
                        + " resumed from the recovered tail; %d primary frames over %d laps of a %d-byte ring; seed %d;"
                        + " %d ms)%n", counts[0], counts[1], counts[2], counts[3], frames.size(),
                endOf(frames.get(frames.size() - 1)) / CAPACITY, CAPACITY, seed, ms);
        assertTrue(counts[1] >= 1_000, "only " + counts[1] + " images");
        assertTrue(endOf(frames.get(frames.size() - 1)) > 5 * CAPACITY, "the ring must wrap several times");
    }

    /** Opens the image as a mirror and checks its frames against the primary's; returns its recovered tail. */
    private static long checkImage(Media image, List<byte[]> frames, Map<Long, Integer> index, long acked,
                                   long[] counts) {
        try (PmLog m = PmLog.open(image, 0, image.size(), FAIL_WHEN_FULL)) {
            assertTrue(m.isMirror());
            RecoveryInfo info = m.recoveryInfo();
            assertTrue(info.tailLsn() >= acked, "a frame acknowledged up to lsn=" + acked + " is lost: " + info);
            long[] expect = {info.headLsn()};
            LogTailScanner.of(image, 0, image.size()).scan(e -> {
                assertEquals(expect[0], e.lsn());
                Integer k = index.get(e.lsn());
                assertNotNull(k, "a frame at lsn=" + e.lsn() + " the primary never wrote");
                byte[] want = frames.get(k);
                byte[] got = image.segment().asSlice(e.offset(), want.length).toArray(ValueLayout.JAVA_BYTE);
                assertArrayEquals(want, got, "frame at lsn=" + e.lsn());
                assertTrue(e.epoch() <= m.epoch(), "epoch " + e.epoch() + " above the header's " + m.epoch());
                expect[0] = endOf(want);
                counts[2]++;
                return true;
            });
            assertEquals(info.tailLsn(), expect[0], info.toString());
            return info.tailLsn();
        }
    }
}
