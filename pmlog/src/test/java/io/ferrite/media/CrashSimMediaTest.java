package io.ferrite.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The crashsim contract (DESIGN.md §10): what is known persisted, and what images may hold. */
class CrashSimMediaTest {
    private static final ValueLayout.OfLong W = ValueLayout.JAVA_LONG;

    /** Builds many images of the current crash point and returns the set of values each word took. */
    private static List<Set<Long>> valuesPerWord(CrashSimMedia m, int images) {
        CrashSimMedia.CrashPoint cp = m.crashPoint();
        int words = (int) (m.size() / 8);
        List<Set<Long>> seen = new ArrayList<>();
        for (int i = 0; i < words; i++) {
            seen.add(new HashSet<>());
        }
        Random rnd = new Random(11);
        try (Media img = Media.inMemory(m.size())) {
            for (int k = 0; k < images; k++) {
                cp.writeImage(rnd, img.segment());
                for (int i = 0; i < words; i++) {
                    seen.get(i).add(img.segment().get(W, 8L * i));
                }
            }
        }
        return seen;
    }

    @Test
    void aStoreAfterFlushAndBeforeFenceIsNotInTheShadow() {
        try (CrashSimMedia m = CrashSimMedia.inMemory(4096)) {
            MemorySegment s = m.segment();
            s.set(W, 0, 1L);
            m.flush(0, 64);
            s.set(W, 0, 2L); // after the flush, before the fence
            m.fence();
            List<Set<Long>> seen = valuesPerWord(m, 200);
            assertEquals(Set.of(1L, 2L), seen.get(0), "the shadow holds 1; 2 may or may not have reached media");
            assertEquals(1, m.crashPoint().unpersistedWords());
        }
    }

    @Test
    void aStoreFlushedAndFencedIsPersisted() {
        try (CrashSimMedia m = CrashSimMedia.inMemory(4096)) {
            m.segment().set(W, 128, 7L);
            m.segment().set(W, 136, 8L);
            m.persist(128, 16);
            assertEquals(0, m.crashPoint().unpersistedWords());
            List<Set<Long>> seen = valuesPerWord(m, 50);
            assertEquals(Set.of(7L), seen.get(16));
            assertEquals(Set.of(8L), seen.get(17));
        }
    }

    @Test
    void imagesVaryOnlyInDifferingWords() {
        try (CrashSimMedia m = CrashSimMedia.inMemory(8192)) {
            MemorySegment s = m.segment();
            for (int i = 0; i < 64; i++) {
                s.set(W, 8L * i, 100 + i); // persisted below
            }
            m.persist(0, 512);
            s.set(W, 1024, 5L);           // never flushed
            s.set(W, 2048, 6L);           // flushed, not fenced
            m.flush(2048, 8);
            s.set(W, 3000 & ~7, 9L);      // flushed then overwritten: two candidate values
            m.flush(3000 & ~7, 8);
            s.set(W, 3000 & ~7, 10L);
            CrashSimMedia.CrashPoint cp = m.crashPoint();
            assertEquals(3, cp.unpersistedWords());
            List<Set<Long>> seen = valuesPerWord(m, 400);
            for (int i = 0; i < seen.size(); i++) {
                long off = 8L * i;
                Set<Long> v = seen.get(i);
                if (off == 1024) {
                    assertEquals(Set.of(0L, 5L), v);
                } else if (off == 2048) {
                    assertEquals(Set.of(0L, 6L), v);
                } else if (off == (3000 & ~7)) {
                    assertEquals(Set.of(0L, 9L, 10L), v);
                } else if (off < 512) {
                    assertEquals(Set.of(100L + i), v, "persisted word at " + off);
                } else {
                    assertEquals(Set.of(0L), v, "untouched word at " + off);
                }
            }
        }
    }

    @Test
    void theListenerSeesEveryFenceBeforeItTakesEffect() {
        try (CrashSimMedia m = CrashSimMedia.inMemory(4096)) {
            List<Integer> unpersisted = new ArrayList<>();
            m.onCrashPoint(cp -> unpersisted.add(cp.unpersistedWords()));
            m.segment().set(W, 0, 1L);
            m.persist(0, 8);
            m.persist(0, 8);
            assertEquals(List.of(1, 0), unpersisted);
            assertEquals(2, m.fences());
            assertTrue(m.flushes() >= 2);
        }
    }

    /** Runs {@code r} on a new thread and waits for it (rethrowing what it threw). */
    private static void onAnotherThread(String name, Runnable r) throws InterruptedException {
        Throwable[] failed = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                r.run();
            } catch (Throwable e) {
                failed[0] = e;
            }
        }, name);
        t.start();
        t.join(10_000);
        assertTrue(!t.isAlive(), name + " did not finish");
        if (failed[0] != null) {
            throw new AssertionError(name + " failed", failed[0]);
        }
    }

    /** On a new thread: stores {@code value} at {@code offset} and flushes it, without a fence. */
    private static void storeAndFlushOn(String name, CrashSimMedia m, long offset, long value) throws InterruptedException {
        onAnotherThread(name, () -> {
            m.segment().set(W, offset, value);
            m.flush(offset, 8);
            assertEquals(1, m.pendingLinesOfCurrentThread());
        });
    }

    @Test
    void aFenceOnAnotherThreadDoesNotPersistThisThreadsFlush() throws InterruptedException {
        try (CrashSimMedia m = CrashSimMedia.inMemory(4096)) {
            storeAndFlushOn("flusher A", m, 256, 42L);
            onAnotherThread("fencer B", () -> {
                assertEquals(0, m.pendingLinesOfCurrentThread(), "B flushed nothing");
                m.fence();
            });
            assertEquals(1, m.crashPoint().unpersistedWords(), "A's line is not known persisted after B's fence");
            assertEquals(Set.of(0L, 42L), valuesPerWord(m, 200).get(32), "42 may or may not have reached media");
            // the same line flushed and fenced by one thread is persisted
            m.flush(256, 8);
            m.fence();
            assertEquals(0, m.crashPoint().unpersistedWords());
            assertEquals(Set.of(42L), valuesPerWord(m, 50).get(32));
        }
    }

    @Test
    void aNewerSnapshotFencedByOneThreadSupersedesAnOlderOneOfAnother() throws InterruptedException {
        try (CrashSimMedia m = CrashSimMedia.inMemory(4096)) {
            MemorySegment s = m.segment();
            storeAndFlushOn("flusher A", m, 512, 1L); // A's snapshot holds 1, never fenced by A
            s.set(W, 512, 2L);
            s.set(W, 520, 3L);
            m.persist(512, 16); // this thread's newer snapshot of the same line
            assertEquals(0, m.crashPoint().unpersistedWords(), "A's older snapshot is superseded");
            assertEquals(Set.of(2L), valuesPerWord(m, 50).get(64));
            assertEquals(Set.of(3L), valuesPerWord(m, 50).get(65));
        }
    }

    @Test
    void pendingSnapshotsOfSeveralThreadsAreAllCandidates() throws InterruptedException {
        try (CrashSimMedia m = CrashSimMedia.inMemory(4096)) {
            MemorySegment s = m.segment();
            storeAndFlushOn("flusher A", m, 1024, 1L);
            storeAndFlushOn("flusher B", m, 1024, 2L);
            s.set(W, 1024, 3L); // live, never flushed
            assertEquals(1, m.crashPoint().unpersistedWords());
            assertEquals(Set.of(0L, 1L, 2L, 3L), valuesPerWord(m, 800).get(128));
        }
    }
}
