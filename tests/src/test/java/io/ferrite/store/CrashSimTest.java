package io.ferrite.store;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.media.CrashSimMedia;
import io.ferrite.media.Media;
import io.ferrite.pheap.HeapOptions;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Crash simulation (DESIGN.md §10) over hash-map, sorted-map and deque operations, single and in
 * transactions spanning both, including bucket splits. At every fence of the workload, images of
 * what a power failure could leave are recovered (in place, through a second store over the
 * image; every fourth image is copied elsewhere first, so that recovery also relocates it) and
 * each collection must equal the model after the last committed operation or after the one in
 * flight: every committed operation is there, and no operation is there in part.
 */
class CrashSimTest {
    static final long POOL = 4L << 20;
    static final int IMAGES_PER_FENCE = Integer.getInteger("ferrite.store.crashsim.imagesPerFence", 10);
    static final int OPERATIONS = Integer.getInteger("ferrite.store.crashsim.operations", 420);

    record State(Map<String, Long> map, TreeMap<Long, String> sorted, List<String> list) {
    }

    private final List<State> states = new ArrayList<>();
    private volatile int committed;
    private long images;
    private long fences;
    private long relocated;

    @Test
    void everyImageHoldsACommitBoundaryWithEveryCommittedOperation() {
        long seed = Long.getLong("ferrite.test.seed", System.nanoTime());
        System.out.println("store CrashSimTest seed=" + seed + " (rerun with -Dferrite.test.seed=" + seed + ")");
        Random rnd = new Random(seed);
        HeapOptions ho = HeapOptions.defaults().slabSize(16 * 1024).logCapacity(192 * 1024).checkpointInterval(Duration.ZERO);
        Store.Context ctx = new Store.Context().heapOptions(ho);
        long t0 = System.nanoTime();
        try (CrashSimMedia media = CrashSimMedia.inMemory(POOL); Arena arena = Arena.ofConfined()) {
            MemorySegment saved = arena.allocate(POOL, 64);
            MemorySegment elsewhere = arena.allocate(POOL, 2L << 20);
            MemorySegment live = media.segment();
            Store store = Store.create(media, ctx);
            PersistentMap<String, Long> map = store.map("accounts", String.class, Long.class);
            PersistentSortedMap<Long, String> sorted = store.sortedMap("journal", Long.class, String.class);
            PersistentList<String> queue = store.list("queue", String.class);
            List<String> q = new ArrayList<>();
            Map<String, Long> m = new HashMap<>();
            TreeMap<Long, String> s = new TreeMap<>();
            // start just under the load factor of the first 256 buckets: later inserts split buckets
            store.inTransaction(tx -> {
                for (int i = 0; i < 250; i++) {
                    map.set("seed-" + i, (long) i);
                }
            });
            for (int i = 0; i < 250; i++) {
                m.put("seed-" + i, (long) i);
            }
            states.add(new State(Map.copyOf(m), new TreeMap<>(s), List.copyOf(q)));
            media.onCrashPoint(cp -> {
                fences++;
                MemorySegment.copy(live, 0, saved, 0, POOL);
                try {
                    for (int i = 0; i < IMAGES_PER_FENCE; i++) {
                        cp.writeImage(rnd, live);
                        if (images % 4 == 3) {
                            // recovered at another address: replay, then every pointer swizzled
                            MemorySegment.copy(live, 0, elsewhere, 0, POOL);
                            check(elsewhere, ctx, committed, cp.fence());
                            relocated++;
                        } else {
                            check(live, ctx, committed, cp.fence());
                        }
                        images++;
                    }
                } finally {
                    MemorySegment.copy(saved, 0, live, 0, POOL);
                }
            });
            for (int op = 1; op <= OPERATIONS; op++) {
                String k = "acct-" + rnd.nextInt(400);
                long v = rnd.nextInt(1_000_000);
                // the model moves first, so that the state an image may show is known before the commit
                Runnable action;
                switch (rnd.nextInt(8)) {
                    case 0, 1 -> {
                        m.put(k, v);
                        action = () -> map.set(k, v);
                    }
                    case 2 -> {
                        m.remove(k);
                        action = () -> map.remove(k);
                    }
                    case 3 -> {
                        s.put(v % 300, k);
                        action = () -> sorted.set(v % 300, k);
                    }
                    case 4 -> {
                        s.remove(v % 300);
                        action = () -> sorted.remove(v % 300);
                    }
                    case 6 -> {
                        // the deque: append, or take from the front
                        if (q.isEmpty() || rnd.nextBoolean()) {
                            q.add(k);
                            action = () -> queue.addLast(k);
                        } else {
                            q.removeFirst();
                            action = () -> queue.pollFirst();
                        }
                    }
                    case 5 -> {
                        // a bulk insert: one transaction, several new keys, several bucket splits
                        List<String> ks = new ArrayList<>();
                        for (int i = 0; i < 8; i++) {
                            ks.add("bulk-" + op + "-" + i);
                            m.put("bulk-" + op + "-" + i, (long) i);
                        }
                        action = () -> store.inTransaction(tx -> {
                            for (int i = 0; i < ks.size(); i++) {
                                map.set(ks.get(i), (long) i);
                            }
                        });
                    }
                    default -> {
                        // a transfer between two accounts, journaled in the sorted map: all or nothing
                        String to = "acct-" + rnd.nextInt(400);
                        long amount = rnd.nextInt(100);
                        long entry = op;
                        m.put(k, m.getOrDefault(k, 1000L) - amount);
                        m.put(to, m.getOrDefault(to, 1000L) + amount);
                        s.put(1000 + entry, k + "->" + to + ":" + amount);
                        action = () -> store.inTransaction(tx -> {
                            map.put(k, map.getOrDefault(k, 1000L) - amount);
                            map.put(to, map.getOrDefault(to, 1000L) + amount);
                            sorted.put(1000 + entry, k + "->" + to + ":" + amount);
                        });
                    }
                }
                states.add(new State(Map.copyOf(m), new TreeMap<>(s), List.copyOf(q)));
                action.run();
                committed = op;
                if (op % 100 == 0) {
                    store.heap().checkpoint();
                }
            }
            media.onCrashPoint(null);
            assertTrue(map.size() > 300, "the workload grows the map past its first 256 buckets (splits)");
            assertTrue(map.bucketCount() > 300, "buckets were split: " + map.bucketCount());
            store.heap().crashForTesting();
            try (Store r = Store.open(media, ctx)) {
                assertEquals(m, new HashMap<>(r.map("accounts", String.class, Long.class)));
                assertEquals(s, new TreeMap<>(r.sortedMap("journal", Long.class, String.class)));
                assertEquals(q, r.list("queue", String.class).snapshot());
            }
        }
        System.out.printf("store crashsim: %d crash points, %d images checked (%d per fence, %d of them recovered at another"
                + " address, %d operations, %.1f s)%n", fences, images, IMAGES_PER_FENCE, relocated, OPERATIONS,
                (System.nanoTime() - t0) / 1e9);
        assertTrue(relocated > 0);
        assertTrue(fences >= OPERATIONS / 2, "a fence per operation that changed something (removing an absent key commits nothing)");
        assertEquals(fences * IMAGES_PER_FENCE, images);
    }

    private void check(MemorySegment image, Store.Context ctx, int committedBefore, long fence) {
        Store r;
        try {
            r = Store.open(Media.wrap(image), ctx);
        } catch (RuntimeException e) {
            throw new AssertionError("fence " + fence + ": image does not recover (committed=" + committedBefore + ")", e);
        }
        try {
            assertEquals(image.address(), r.heap().baseAddress(), "the recovered pool's pointers assume where it is mapped");
            Map<String, Long> gotMap = new HashMap<>(r.map("accounts", String.class, Long.class));
            TreeMap<Long, String> gotSorted = new TreeMap<>(r.sortedMap("journal", Long.class, String.class));
            List<String> gotList = r.list("queue", String.class).snapshot();
            State before = states.get(committedBefore);
            State after = committedBefore + 1 < states.size() ? states.get(committedBefore + 1) : null;
            boolean isBefore = before.map().equals(gotMap) && before.sorted().equals(gotSorted) && before.list().equals(gotList);
            boolean isAfter = after != null && after.map().equals(gotMap) && after.sorted().equals(gotSorted)
                    && after.list().equals(gotList);
            if (!isBefore && !isAfter) {
                fail("fence " + fence + ": recovered collections match neither the state after operation " + committedBefore
                        + " nor the one after it;\n got map " + new TreeMap<>(gotMap) + "\n want " + new TreeMap<>(before.map())
                        + "\n got sorted " + gotSorted + "\n want " + before.sorted() + "\n got list " + gotList + "\n want "
                        + before.list());
            }
            assertEquals(gotMap.size(), r.map("accounts", String.class, Long.class).size(), "fence " + fence + ": map size count");
            assertEquals(gotSorted.size(), r.sortedMap("journal", Long.class, String.class).size(), "fence " + fence + ": sorted size");
            String leak = Reachability.leaks(r);
            assertNull(leak, "fence " + fence + ": allocated but unreachable objects: " + leak);
        } finally {
            r.heap().crashForTesting();
        }
    }
}
