package io.ferrite.media;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Tests only: media that keeps a shadow of what is known to be persisted, so that a test can
 * build every image a power failure could leave (DESIGN.md section 10).
 *
 * <p>Stores are not intercepted (FFM writes go straight to the live segment). {@link #flush}
 * snapshots the current content of the named cache lines into the calling thread's pending set;
 * {@link #fence} copies the calling thread's pending snapshots into the shadow, and only those:
 * like {@code pmem_drain} (SFENCE), a fence orders the write-backs its own thread started, not
 * another thread's, so a design that flushes on one thread and fences on another is caught (the
 * line stays not known persisted). When a fence makes a line's snapshot durable, older snapshots
 * of that line pending on other threads are dropped: the media holds newer content than theirs.
 * At a crash point, an image is the shadow plus any subset of the 8-byte words where the live
 * segment, or any thread's pending snapshot, differs from it. A store made after a line's flush
 * and before the fence is thus, correctly, not known persisted.
 *
 * <p>A {@linkplain #onCrashPoint listener} is called at every fence, on the fencing thread and
 * before the fence takes effect, with a {@link CrashPoint} from which any number of images can be
 * built. All methods are synchronized: flush, fence and image building are serialized with each
 * other, so while a listener runs no flush or fence of any thread takes effect. Plain stores of
 * other threads do go on meanwhile; a word read from the live segment then holds a value it took
 * after its last persisted snapshot, which a power failure at that moment could have left, so an
 * image built while other threads run is still an image of a possible crash (at the end of the
 * scan, before this fence). What such a crash requires to be present is what was acknowledged
 * before the listener was called.
 */
public final class CrashSimMedia extends Media {
    public static final int LINE = 64;
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED;

    private final Media live;
    private final Arena arena = Arena.ofShared();
    private MemorySegment shadow;
    /** Per thread, line → its last flushed snapshot (not yet fenced by that thread). */
    private final Map<Thread, Map<Long, Snapshot>> pending = new HashMap<>();
    private long flushSeq;
    private Consumer<CrashPoint> listener;
    private long fences;
    private long flushes;

    /** Wraps media whose current content counts as persisted. */
    public CrashSimMedia(Media live) {
        if (live.size() % 8 != 0) {
            throw new IllegalArgumentException("crashsim needs a size that is a multiple of 8, got " + live.size());
        }
        this.live = live;
        this.shadow = arena.allocate(live.size(), 64);
        shadow.copyFrom(live.segment());
    }

    /** Crashsim over a zeroed in-memory segment (no file): the fast way for tests. */
    public static CrashSimMedia inMemory(long size) {
        return new CrashSimMedia(Media.inMemory(size));
    }

    /** Crashsim over a zeroed in-memory segment that can grow to {@code maxSize}. */
    public static CrashSimMedia inMemory(long size, long maxSize) {
        return new CrashSimMedia(Media.inMemory(size, maxSize));
    }

    @Override
    public long maxSize() {
        return live.maxSize();
    }

    /**
     * Grows the live media; the new bytes are zero and count as persisted at once (a file's
     * extension is made durable before the new range is mapped, see {@link Media#grow}). Images
     * built after this have the new size.
     */
    @Override
    public synchronized void grow(long newSize) {
        long old = live.size();
        live.grow(newSize);
        if (newSize != old) {
            MemorySegment longer = arena.allocate(newSize, 64);
            longer.copyFrom(shadow);
            shadow = longer;
        }
    }

    /** Called at every fence, before it takes effect; null to stop. */
    public synchronized void onCrashPoint(Consumer<CrashPoint> listener) {
        this.listener = listener;
    }

    public synchronized long fences() {
        return fences;
    }

    public synchronized long flushes() {
        return flushes;
    }

    @Override
    public MemorySegment segment() {
        return live.segment();
    }

    @Override
    public long size() {
        return live.size();
    }

    @Override
    public Path path() {
        return live.path();
    }

    @Override
    public FlushBackend backend() {
        return FlushBackend.CRASHSIM;
    }

    @Override
    public boolean isPersistentMemory() {
        return false;
    }

    @Override
    public String fileSystem() {
        return live.fileSystem();
    }

    @Override
    public synchronized void flush(long offset, long length) {
        if (length == 0) {
            return;
        }
        checkRange(this, offset, length);
        flushes++;
        MemorySegment seg = live.segment();
        Map<Long, Snapshot> mine = pending.computeIfAbsent(Thread.currentThread(), t -> new HashMap<>());
        long first = offset / LINE;
        long last = (offset + length - 1) / LINE;
        for (long line = first; line <= last; line++) {
            long start = line * LINE;
            int words = (int) (Math.min(LINE, size() - start) / 8);
            long[] snap = new long[words];
            for (int w = 0; w < words; w++) {
                snap[w] = seg.get(WORD, start + 8L * w);
            }
            mine.put(line, new Snapshot(++flushSeq, snap));
        }
    }

    /** Lines the calling thread has flushed and not fenced yet (tests of this class). */
    synchronized int pendingLinesOfCurrentThread() {
        Map<Long, Snapshot> mine = pending.get(Thread.currentThread());
        return mine == null ? 0 : mine.size();
    }

    @Override
    public synchronized void fence() {
        fences++;
        Consumer<CrashPoint> l = listener;
        if (l != null) {
            // built when the listener first uses it: a listener that skips this fence costs no scan
            CrashPoint cp = new CrashPoint(fences, this);
            try {
                l.accept(cp);
            } finally {
                cp.media = null;
            }
        }
        Map<Long, Snapshot> mine = pending.remove(Thread.currentThread());
        if (mine == null) {
            return;
        }
        for (Map.Entry<Long, Snapshot> e : mine.entrySet()) {
            long line = e.getKey();
            Snapshot snap = e.getValue();
            long start = line * LINE;
            for (int w = 0; w < snap.words.length; w++) {
                shadow.set(WORD, start + 8L * w, snap.words[w]);
            }
            // another thread's older snapshot of this line can no longer be what media holds
            for (Map<Long, Snapshot> other : pending.values()) {
                Snapshot o = other.get(line);
                if (o != null && o.seq < snap.seq) {
                    other.remove(line);
                }
            }
        }
        pending.values().removeIf(Map::isEmpty);
    }

    /** The state a power failure right now could leave: shadow plus choices per differing word. */
    public synchronized CrashPoint crashPoint() {
        CrashPoint cp = new CrashPoint(fences, this);
        cp.resolve();
        return cp;
    }

    /** Scans the live segment and the pending snapshots against the shadow (under this media's lock). */
    private synchronized void build(CrashPoint cp) {
        MemorySegment seg = live.segment();
        long size = size();
        Map<Long, long[]> choices = new HashMap<>();
        long pos = 0;
        while (pos < size) {
            // mismatch() answers relative to pos, not an absolute offset
            long m = MemorySegment.mismatch(seg, pos, size, shadow, pos, size);
            if (m < 0) {
                break;
            }
            long w = (pos + m) & ~7L;
            choices.put(w, new long[] {seg.get(WORD, w)});
            pos = w + 8;
        }
        for (Map<Long, Snapshot> perThread : pending.values()) {
            for (Map.Entry<Long, Snapshot> e : perThread.entrySet()) {
                long start = e.getKey() * LINE;
                long[] snap = e.getValue().words;
                for (int i = 0; i < snap.length; i++) {
                    long off = start + 8L * i;
                    if (snap[i] != shadow.get(WORD, off)) {
                        choices.merge(off, new long[] {snap[i]}, CrashSimMedia::union);
                    }
                }
            }
        }
        long[] offsets = choices.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
        long[][] values = new long[offsets.length][];
        for (int i = 0; i < offsets.length; i++) {
            values[i] = choices.get(offsets[i]);
        }
        cp.offsets = offsets;
        cp.values = values;
    }

    /** The distinct values of both (each holds distinct values). */
    private static long[] union(long[] had, long[] more) {
        long[] out = had;
        for (long v : more) {
            boolean known = false;
            for (long h : out) {
                known |= h == v;
            }
            if (!known) {
                out = java.util.Arrays.copyOf(out, out.length + 1);
                out[out.length - 1] = v;
            }
        }
        return out;
    }

    /** One line's content when it was flushed; {@code seq} orders flushes of all threads. */
    private record Snapshot(long seq, long[] words) {
    }

    @Override
    public synchronized void close() {
        live.close();
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    /**
     * One crash point: the persisted shadow and, per differing 8-byte word, the values it could
     * hold besides the shadow's. Build images with {@link #image(Random)} or {@link #writeImage}.
     * Valid only while the listener that received it runs (the shadow moves on after). One handed
     * to a listener scans the live segment when it is first used ({@link #unpersistedWords()}, an
     * image): a listener that reads what its threads acknowledged must do so after that scan.
     */
    public static final class CrashPoint {
        private final long fence;
        private MemorySegment shadow;
        /** Set while the crash point can still be built; null once its listener returned. */
        private CrashSimMedia media;
        private long[] offsets;
        private long[][] values;

        CrashPoint(long fence, CrashSimMedia media) {
            this.fence = fence;
            this.shadow = media.shadow;
            this.media = media;
        }

        private void resolve() {
            if (offsets != null) {
                return;
            }
            CrashSimMedia m = media;
            if (m == null) {
                throw new IllegalStateException("crash point of fence " + fence + " used after its listener returned");
            }
            m.build(this);
        }

        /** Which fence of the media this is (1-based). */
        public long fence() {
            return fence;
        }

        /** How many 8-byte words may or may not have reached media. */
        public int unpersistedWords() {
            resolve();
            return offsets.length;
        }

        public long size() {
            return shadow.byteSize();
        }

        /**
         * Writes one image into {@code dst} (same size as the media): the shadow, then each
         * differing word independently persisted with a probability drawn per image, so that
         * images range from "nothing more reached media" to "everything did".
         */
        public void writeImage(Random rnd, MemorySegment dst) {
            resolve();
            dst.copyFrom(shadow);
            double p = switch (rnd.nextInt(8)) {
                case 0 -> 0.0;
                case 1 -> 1.0;
                default -> rnd.nextDouble();
            };
            for (int i = 0; i < offsets.length; i++) {
                if (rnd.nextDouble() < p) {
                    long[] v = values[i];
                    dst.set(WORD, offsets[i], v[v.length == 1 ? 0 : rnd.nextInt(v.length)]);
                }
            }
        }

        /** A fresh in-memory media holding one image; the caller closes it. */
        public Media image(Random rnd) {
            Media m = Media.inMemory(shadow.byteSize());
            writeImage(rnd, m.segment());
            return m;
        }
    }
}
