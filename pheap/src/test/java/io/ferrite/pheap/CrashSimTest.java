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
 * Crash simulation (DESIGN.md §10): a mixed transactional workload on crashsim media; at every
 * fence, at least 32 images of what a power failure could leave are recovered and checked:
 * every committed transaction is there in full and no uncommitted one at all; no slot is both
 * free and reachable; every allocated slot is reachable from the root (no leak); every pointer
 * lands on an allocated object of its declared type.
 *
 * <p>Images are recovered in place: inside the fence listener the live bytes are saved, each
 * image is written over the live segment (so it sits at the base its pointers assume), a second
 * heap recovers it through a media view of that segment, and the live bytes are put back.
 */
class CrashSimTest {
    static final PType NODE = PType.builder("CNode").int64("key").int64("check").pointer("next", "CNode")
            .pointer("data", PType.ANY_BLOB).build();
    static final PField KEY = NODE.field("key");
    static final PField CHECK = NODE.field("check");
    static final PField NEXT = NODE.field("next");
    static final PField DATA = NODE.field("data");
    static final PType ROOT = PType.builder("CRoot").pointer("head", "CNode").int64("txs").int64("sum").int64("count").build();
    static final PField HEAD = ROOT.field("head");
    static final PField TXS = ROOT.field("txs");
    static final PField SUM = ROOT.field("sum");
    static final PField COUNT = ROOT.field("count");

    static final long POOL = 4L << 20;
    static final int IMAGES_PER_FENCE = Integer.getInteger("ferrite.crashsim.imagesPerFence", 32);
    static final int TRANSACTIONS = Integer.getInteger("ferrite.crashsim.transactions", 300);

    /** The list's keys after each committed transaction (index = txs). */
    private final List<List<Long>> states = new ArrayList<>();
    private volatile int committed;
    private long images;
    private long fences;

    @Test
    void everyImageRecoversToACommittedState() {
        long seed = Long.getLong("ferrite.test.seed", System.nanoTime());
        System.out.println("CrashSimTest seed=" + seed + " (rerun with -Dferrite.test.seed=" + seed + ")");
        Random rnd = new Random(seed);
        HeapOptions opts = HeapOptions.defaults().slabSize(16 * 1024).logCapacity(128 * 1024)
                .checkpointInterval(java.time.Duration.ZERO);
        try (CrashSimMedia media = CrashSimMedia.inMemory(POOL); Arena arena = Arena.ofConfined()) {
            MemorySegment saved = arena.allocate(POOL, 64);
            MemorySegment live = media.segment();
            Heap h = Heap.create(media, opts);
            h.register(NODE);
            h.register(ROOT);
            h.root(ROOT);
            states.add(List.of());
            media.onCrashPoint(cp -> {
                fences++;
                MemorySegment.copy(live, 0, saved, 0, POOL);
                try {
                    for (int i = 0; i < IMAGES_PER_FENCE; i++) {
                        cp.writeImage(rnd, live);
                        check(live, opts, committed, cp.fence());
                        images++;
                    }
                } finally {
                    MemorySegment.copy(saved, 0, live, 0, POOL);
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
                if (t % 40 == 0) {
                    h.checkpoint();
                }
            }
            media.onCrashPoint(null);
            h.close();
        }
        System.out.printf("CrashSimTest: %,d crash images recovered and checked at %,d fences (%d per fence), %d transactions%n",
                images, fences, IMAGES_PER_FENCE, TRANSACTIONS);
        assertTrue(images >= fences * IMAGES_PER_FENCE);
        assertTrue(fences >= TRANSACTIONS, "at least one fence per transaction");
        if (IMAGES_PER_FENCE >= 32 && TRANSACTIONS >= 300) {
            assertTrue(images >= 10_000, "at least 10,000 images, got " + images);
        }
    }

    static byte[] large(long t) {
        byte[] b = new byte[20_000 + (int) t];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (t * 31 + i);
        }
        return b;
    }

    private void check(MemorySegment image, HeapOptions opts, int committedBefore, long fence) {
        Heap r;
        try {
            r = Heap.open(Media.wrap(image), opts);
        } catch (RuntimeException e) {
            throw new AssertionError("fence " + fence + ": image does not recover (committed=" + committedBefore + ")", e);
        }
        try {
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
                assertEquals("CNode", n.type().name());
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
