package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.media.CrashSimMedia;
import io.ferrite.media.Media;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Crash simulation over growth: the workload of {@link CrashSimTest} on a pool that starts with 4
 * slabs and grows by 4 at a time (many times) while committing. At every fence, images of what a
 * power failure could leave are recovered and checked as there, and the recovered pool size must
 * be the size before the growth in progress or after it (the superblock's size is written last).
 * The checks of {@link CrashSimTest}:
 * every committed transaction is there in full and no uncommitted one at all; no slot is both
 * free and reachable; every allocated slot is reachable from the root (no leak); every pointer
 * lands on an allocated object of its declared type.
 *
 * <p>Images are recovered in place: inside the fence listener the live bytes are saved, each
 * image is written over the live segment (so it sits at the base its pointers assume), a second
 * heap recovers it through a media view of that segment, and the live bytes are put back.
 */
class GrowthCrashSimTest {
    static final PType NODE = PType.builder("GCNode").int64("key").int64("check").pointer("next", "GCNode")
            .pointer("data", PType.ANY_BLOB).build();
    static final PField KEY = NODE.field("key");
    static final PField CHECK = NODE.field("check");
    static final PField NEXT = NODE.field("next");
    static final PField DATA = NODE.field("data");
    static final PType ROOT = PType.builder("GCRoot").pointer("head", "GCNode").int64("txs").int64("sum").int64("count").build();
    static final PField HEAD = ROOT.field("head");
    static final PField TXS = ROOT.field("txs");
    static final PField SUM = ROOT.field("sum");
    static final PField COUNT = ROOT.field("count");

    static final int SLAB = 16 * 1024;
    /** The slab area starts at 2 MiB (aligned); 4 slabs at first. */
    static final long INITIAL = (2L << 20) + 4 * SLAB;
    static final long MAX = 8L << 20;
    static final int IMAGES_PER_FENCE = Integer.getInteger("ferrite.crashsim.imagesPerFence", 16);
    static final int TRANSACTIONS = Integer.getInteger("ferrite.crashsim.transactions", 300);

    /** The list's keys after each committed transaction (index = txs). */
    private final List<List<Long>> states = new ArrayList<>();
    private volatile int committed;
    private long images;
    private long fences;
    private final java.util.TreeSet<Long> recoveredSizes = new java.util.TreeSet<>();

    @Test
    void everyImageRecoversToACommittedState() {
        long seed = Long.getLong("ferrite.test.seed", System.nanoTime());
        System.out.println("GrowthCrashSimTest seed=" + seed + " (rerun with -Dferrite.test.seed=" + seed + ")");
        Random rnd = new Random(seed);
        HeapOptions opts = HeapOptions.defaults().slabSize(SLAB).logCapacity(128 * 1024)
                .checkpointInterval(java.time.Duration.ZERO).maxSize(MAX).growthIncrement(4 * SLAB);
        java.util.List<Long> sizes = new ArrayList<>();
        try (CrashSimMedia media = CrashSimMedia.inMemory(INITIAL, MAX); Arena arena = Arena.ofConfined()) {
            MemorySegment saved = arena.allocate(MAX, 64);
            Heap h = Heap.create(media, opts);
            assertEquals(INITIAL, h.poolSize());
            assertEquals(4, h.superblock().slabCount());
            h.register(NODE);
            h.register(ROOT);
            h.root(ROOT);
            states.add(List.of());
            media.onCrashPoint(cp -> {
                fences++;
                long size = cp.size();
                MemorySegment live = media.segment();
                assertEquals(size, live.byteSize());
                // the size in force, or the one a growth is writing (the media grew to it first)
                long old = h.poolSize();
                MemorySegment.copy(live, 0, saved, 0, size);
                try {
                    for (int i = 0; i < IMAGES_PER_FENCE; i++) {
                        cp.writeImage(rnd, live);
                        check(live, opts, committed, cp.fence(), old, size);
                        images++;
                    }
                } finally {
                    MemorySegment.copy(saved, 0, live, 0, size);
                }
            });
            List<Long> list = new ArrayList<>();
            for (int t = 1; t <= TRANSACTIONS; t++) {
                try (Tx tx = h.begin()) {
                    Ref root = tx.root(ROOT);
                    long sum = tx.getLong(root, SUM);
                    if (t % 5 == 0 && list.size() > 1) {
                        // unlink and free the second node and its blob
                        Ref first = tx.getRef(root, HEAD);
                        Ref second = tx.getRef(first, NEXT);
                        tx.setRef(first, NEXT, tx.getRef(second, NEXT));
                        Ref d = tx.getRef(second, DATA);
                        if (d != null) {
                            tx.free(d);
                        }
                        sum -= tx.getLong(second, KEY);
                        tx.free(second);
                        list.remove(1);
                    } else {
                        Ref n = tx.allocate(NODE);
                        tx.setLong(n, KEY, t);
                        tx.setLong(n, CHECK, ~t);
                        if (t % 13 == 0) {
                            tx.setRef(n, DATA, tx.allocateBytes(large(t))); // a run of slabs
                        } else if (t % 3 == 0) {
                            tx.setRef(n, DATA, tx.allocateString("payload-" + t + "-".repeat(t % 40)));
                        }
                        tx.setRef(n, NEXT, tx.getRef(root, HEAD));
                        tx.setRef(root, HEAD, n);
                        sum += t;
                        list.add(0, (long) t);
                    }
                    tx.setLong(root, TXS, t);
                    tx.setLong(root, SUM, sum);
                    tx.setLong(root, COUNT, list.size());
                    states.add(List.copyOf(list));
                    tx.commit();
                    committed = t;
                }
                if (sizes.isEmpty() || sizes.get(sizes.size() - 1) != h.poolSize()) {
                    sizes.add(h.poolSize());
                }
                if (t % 40 == 0) {
                    h.checkpoint();
                }
            }
            media.onCrashPoint(null);
            h.close();
        }
        System.out.printf("GrowthCrashSimTest: %,d crash images recovered and checked at %,d fences (%d per fence), %d transactions,"
                + " %d growths (sizes %s), recovered sizes %s%n", images, fences, IMAGES_PER_FENCE, TRANSACTIONS, sizes.size() - 1,
                sizes, recoveredSizes);
        assertTrue(images >= fences * IMAGES_PER_FENCE);
        assertTrue(fences >= TRANSACTIONS, "at least one fence per transaction");
        assertTrue(sizes.size() >= 5, "the pool grew several times: " + sizes);
        assertTrue(recoveredSizes.size() >= 5, "images of several sizes recovered: " + recoveredSizes);
    }

    static byte[] large(long t) {
        return CrashSimTest.large(t);
    }

    private void check(MemorySegment image, HeapOptions opts, int committedBefore, long fence, long oldSize, long newSize) {
        Heap r;
        try {
            r = Heap.open(Media.wrap(image), opts);
        } catch (RuntimeException e) {
            throw new AssertionError("fence " + fence + ": image does not recover (committed=" + committedBefore + ")", e);
        }
        try {
            long size = r.poolSize();
            assertTrue(size == oldSize || size == newSize, "fence " + fence + ": recovered pool size " + size
                    + ", neither the old " + oldSize + " nor the new " + newSize);
            recoveredSizes.add(size);
            Ref root = r.root(ROOT);
            long txs = r.getLong(root, TXS);
            assertTrue(txs == committedBefore || txs == committedBefore + 1,
                    "fence " + fence + ": recovered tx " + txs + " but " + committedBefore + " had committed");
            List<Long> want = states.get((int) txs);
            List<Long> got = new ArrayList<>();
            Set<Long> reachable = new HashSet<>();
            reachable.add(root.offset());
            long sum = 0;
            for (Ref n = r.getRef(root, HEAD); n != null; n = r.getRef(n, NEXT)) {
                assertEquals("GCNode", n.type().name());
                assertTrue(r.isAllocated(n), "fence " + fence + ": reachable node " + n + " is free");
                assertTrue(reachable.add(n.offset()), "cycle at " + n);
                long k = r.getLong(n, KEY);
                assertEquals(~k, r.getLong(n, CHECK), "torn node");
                got.add(k);
                sum += k;
                Ref d = r.getRef(n, DATA);
                if (d != null) {
                    assertTrue(d.type().isBlob());
                    assertTrue(r.isAllocated(d), "reachable blob is free");
                    reachable.add(d.offset());
                    try (Tx tx = r.begin()) {
                        if (k % 13 == 0) {
                            assertArrayEquals(large(k), tx.getBytes(d), "large blob of node " + k);
                        } else {
                            assertTrue(tx.getString(d).startsWith("payload-" + k + "-"));
                        }
                    }
                }
            }
            assertEquals(want, got, "fence " + fence + ": list after tx " + txs);
            assertEquals(sum, r.getLong(root, SUM));
            assertEquals(got.size(), r.getLong(root, COUNT));
            assertEquals(reachable.size(), r.stats().liveObjects(), "fence " + fence + ": allocated but unreachable objects (leak)");
        } finally {
            r.crashForTesting();
        }
    }
}
