package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.ferrite.media.CrashSimMedia;
import io.ferrite.pheap.Durability;
import io.ferrite.pheap.Heap;
import io.ferrite.pheap.HeapFullException;
import io.ferrite.pheap.HeapOptions;
import io.ferrite.pheap.PField;
import io.ferrite.pheap.PType;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import io.ferrite.store.PersistentList;
import io.ferrite.store.PersistentMap;
import io.ferrite.store.PersistentSortedMap;
import io.ferrite.store.Store;
import io.ferrite.store.StoreTypes;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code ferrite check} over crash images taken while several threads commit and the background
 * checkpointer runs (issue 9: "ferrite check clean, including the store checks"). The workloads
 * are small versions of the store's {@code ConcurrentStoreCrashSimTest} and pheap's
 * {@code ConcurrentCrashSimTest} (which check the recovered content against models; test code is
 * not shared across modules): crash points are taken at the fences of whichever thread fences
 * while the others go on, and each image is built from the media's per-thread pending flushes.
 *
 * <p>Each sampled image is written to a pool file and run through the CLI in this JVM: {@code
 * check} must find no error (a legal crash state needs recovery at most: every finding it counts
 * is one that recovery repairs), {@code recover} (on every {@value #REPAIR_EVERY}th image {@code
 * check --repair}) must succeed, and {@code check} must then be clean, for a store including its
 * store level (every collection checked). Bounded by count and time; {@code -Dferrite.test.seed}
 * replays the image choices and the threads' operations (not the interleaving).
 */
class CrashImagesCheckTest {
    private static final int THREADS = 3;
    private static final long MAX_STORE_IMAGES = Long.getLong("ferrite.checkImages.store", 250);
    private static final long MAX_HEAP_IMAGES = Long.getLong("ferrite.checkImages.heap", 150);
    private static final long STORE_MILLIS = Long.getLong("ferrite.checkImages.storeMillis", 30_000);
    private static final long HEAP_MILLIS = Long.getLong("ferrite.checkImages.heapMillis", 20_000);
    /** One fence in this many becomes a crash image (the workload must get far enough to fill the heap). */
    private static final int SAMPLE = Integer.getInteger("ferrite.checkImages.sample", 25);
    /** Every this many images, {@code check --repair} recovers the image instead of {@code recover}. */
    private static final int REPAIR_EVERY = 5;
    /** accounts, blobs, journal and one list per thread. */
    private static final int STORE_COLLECTIONS = 3 + THREADS;
    private static final Pattern FINDING = Pattern.compile("\\{\\s*\"severity\"\\s*:\\s*\"(\\w+)\"\\s*,\\s*\"area\"\\s*:\\s*\"([^\"]*)\""
            + "\\s*,\\s*\"offset\"\\s*:\\s*(-?\\d+)\\s*,\\s*\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"\\s*,\\s*\"repair\"\\s*:\\s*(null|\"[^\"]*\")");

    @Test
    void crashImagesHaveNoErrorAndCheckCleanAfterRecover() throws Exception {
        Images heap = heapImages();
        Images store = storeImages();
        System.out.printf("crash images through ferrite check: %d store images (%d needed recovery), %d heap images (%d needed"
                + " recovery); all clean after recover%n", store.images, store.neededRecovery, heap.images, heap.neededRecovery);
    }

    // ------------------------------------------------------------------ the store workload

    private Images storeImages() throws Exception {
        long seed = Long.getLong("ferrite.test.seed", System.nanoTime());
        System.out.println("CrashImagesCheckTest store seed=" + seed + " (rerun with -Dferrite.test.seed=" + seed + ")");
        Store.Context ctx = new Store.Context().heapOptions(HeapOptions.defaults().slabSize(16 * 1024).logCapacity(256 * 1024)
                .checkpointInterval(Duration.ofMillis(1)).logFullTimeout(Duration.ofSeconds(5)));
        Images images = new Images("store", seed, MAX_STORE_IMAGES, STORE_MILLIS, STORE_COLLECTIONS);
        Workload w = new Workload(seed, images);
        int accounts;
        try (CrashSimMedia media = CrashSimMedia.inMemory(3L << 20)) {
            Store store = Store.create(media, ctx);
            boolean closed = false;
            try {
                PersistentMap<String, Long> acct = store.map("accounts", String.class, Long.class);
                PersistentMap<String, byte[]> blobs = store.map("blobs", String.class, byte[].class);
                PersistentSortedMap<Long, String> journal = store.sortedMap("journal", Long.class, String.class);
                List<PersistentList<String>> queues = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    queues.add(store.list("queue-" + t, String.class));
                }
                media.onCrashPoint(images::crashPoint);
                w.run(t -> new StoreThread(store, acct, blobs, journal, queues.get(t), t, w));
                media.onCrashPoint(null);
                accounts = acct.size();
                store.close();
                closed = true;
            } finally {
                media.onCrashPoint(null);
                if (!closed) {
                    store.heap().crashForTesting();
                }
            }
            images.cleanlyClosed(media.segment());
        } finally {
            images.close();
        }
        w.failOnErrors();
        System.out.printf("store crash images: %s; %d operations (%d transactions) by %d threads, %d heap-full aborts,"
                + " %d accounts; seed %d%n", images, w.operations.get(), w.transactions.get(), THREADS, w.heapFull.get(), accounts, seed);
        images.failOnErrors();
        assertTrue(images.images >= 20, "only " + images.images + " store images (seed " + seed + ")");
        assertTrue(images.neededRecovery > 0, "no image needed recovery: the crash points are not inside commits");
        assertTrue(w.heapFull.get() > 0, "the workload never filled the heap (seed " + seed + ")");
        assertTrue(accounts > StoreTypes.PAGE_BUCKETS, "the accounts map never split a bucket: " + accounts + " entries");
        return images;
    }

    /** One thread's operations on the store: own keys, single operations and transactions, a full heap and frees. */
    private static final class StoreThread implements Workload.Step {
        private final Store store;
        private final PersistentMap<String, Long> accounts;
        private final PersistentMap<String, byte[]> blobs;
        private final PersistentSortedMap<Long, String> journal;
        private final PersistentList<String> queue;
        private final int t;
        private final Workload w;
        private final List<String> myBlobs = new ArrayList<>();
        private boolean mustFree;
        private int k;

        StoreThread(Store store, PersistentMap<String, Long> accounts, PersistentMap<String, byte[]> blobs,
                PersistentSortedMap<Long, String> journal, PersistentList<String> queue, int t, Workload w) {
            this.store = store;
            this.accounts = accounts;
            this.blobs = blobs;
            this.journal = journal;
            this.queue = queue;
            this.t = t;
            this.w = w;
        }

        @Override
        public void step(Random rnd) {
            k++;
            String acct = "s" + t + "-a" + rnd.nextInt(150);
            long jk = t * 1_000_000L + rnd.nextInt(300);
            try {
                if (mustFree) {
                    // after a full heap: remove half of this thread's blobs in one transaction
                    List<String> victims = new ArrayList<>(myBlobs.subList(0, (myBlobs.size() + 1) / 2));
                    store.inTransaction(x -> victims.forEach(blobs::remove));
                    myBlobs.removeAll(victims);
                    mustFree = false;
                    w.transactions.incrementAndGet();
                } else {
                    switch (rnd.nextInt(10)) {
                        case 0 -> accounts.set(acct, (long) rnd.nextInt(1_000_000));
                        case 1 -> accounts.remove(acct);
                        case 2 -> journal.set(jk, "j" + k);
                        case 3 -> journal.remove(jk);
                        case 4 -> {
                            if (queue.size() < 40 && rnd.nextBoolean()) {
                                queue.addLast("q" + k);
                            } else {
                                queue.pollFirst();
                            }
                        }
                        case 5, 6 -> {
                            String b = "s" + t + "-b" + k;
                            blobs.set(b, bytes(rnd, 500 + rnd.nextInt(7_000)));
                            myBlobs.add(b);
                        }
                        case 7 -> {
                            String to = "s" + t + "-a" + rnd.nextInt(150);
                            long amount = rnd.nextInt(100);
                            store.inTransaction(x -> {
                                accounts.put(acct, accounts.getOrDefault(acct, 1000L) - amount);
                                accounts.put(to, accounts.getOrDefault(to, 1000L) + amount);
                                journal.put(jk, acct + "->" + to + ":" + amount);
                                queue.addLast("t" + k);
                            });
                            w.transactions.incrementAndGet();
                        }
                        default -> {
                            // a bulk insert of new keys: the map grows and splits buckets in the transaction
                            String b = "s" + t + "-b" + k;
                            byte[] v = bytes(rnd, 500 + rnd.nextInt(3_000));
                            store.inTransaction(x -> {
                                for (int i = 0; i < 6; i++) {
                                    accounts.set("s" + t + "-bulk-" + k + "-" + i, (long) i);
                                }
                                blobs.set(b, v);
                            });
                            myBlobs.add(b);
                            w.transactions.incrementAndGet();
                        }
                    }
                }
                w.operations.incrementAndGet();
            } catch (HeapFullException e) {
                w.heapFull.incrementAndGet();
                mustFree = true;
            }
        }
    }

    static byte[] bytes(Random rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    // ------------------------------------------------------------------ the heap workload

    static final PType NODE = PType.builder("CiNode").int64("key").pointer("next", "CiNode").pointer("data", PType.ANY_BLOB)
            .pointer("peer", "CiNode").build();
    static final PType ROOT;

    static {
        PType.Builder b = PType.builder("CiRoot").int64("counter");
        for (int t = 0; t < THREADS; t++) {
            b.pointer("head" + t, "CiNode");
        }
        ROOT = b.build();
    }

    private Images heapImages() throws Exception {
        long seed = Long.getLong("ferrite.test.seed", System.nanoTime());
        System.out.println("CrashImagesCheckTest heap seed=" + seed + " (rerun with -Dferrite.test.seed=" + seed + ")");
        HeapOptions opts = HeapOptions.defaults().slabSize(16 * 1024).logCapacity(128 * 1024).checkpointInterval(Duration.ofMillis(1));
        Images images = new Images("heap", seed, MAX_HEAP_IMAGES, HEAP_MILLIS, -1);
        Workload w = new Workload(seed, images);
        try (CrashSimMedia media = CrashSimMedia.inMemory(5L << 19)) {
            Heap h = Heap.create(media, opts);
            boolean closed = false;
            try {
                h.register(NODE);
                h.register(ROOT);
                h.root(ROOT);
                media.onCrashPoint(images::crashPoint);
                w.run(t -> new HeapThread(h, t, w));
                media.onCrashPoint(null);
                h.close();
                closed = true;
            } finally {
                media.onCrashPoint(null);
                if (!closed) {
                    h.crashForTesting();
                }
            }
            images.cleanlyClosed(media.segment());
        } finally {
            images.close();
        }
        w.failOnErrors();
        System.out.printf("heap crash images: %s; %d commits by %d threads, %d heap-full aborts, %d lists freed whole; seed %d%n",
                images, w.operations.get(), THREADS, w.heapFull.get(), w.transactions.get(), seed);
        images.failOnErrors();
        assertTrue(images.images >= 20, "only " + images.images + " heap images (seed " + seed + ")");
        assertTrue(images.neededRecovery > 0, "no image needed recovery: the crash points are not inside commits");
        assertTrue(w.heapFull.get() > 0, "the workload never filled the heap (seed " + seed + ")");
        return images;
    }

    /**
     * One thread's commits on the heap: nodes with blobs (large ones span slabs) and pointers to
     * other nodes pushed on its own list, SYNC and ASYNC; on a full heap half its list is freed,
     * and now and then all of it (its slabs empty and are retired).
     */
    private static final class HeapThread implements Workload.Step {
        private final Heap h;
        private final PField head;
        private final Workload w;
        /** Keys of this thread's list, newest first. */
        private final Deque<Long> keys = new ArrayDeque<>();
        private boolean mustFree;
        private long next;

        HeapThread(Heap h, int t, Workload w) {
            this.h = h;
            this.head = ROOT.field("head" + t);
            this.w = w;
            this.next = (t + 1) * 1_000_000_000L;
        }

        @Override
        public void step(Random rnd) {
            int free = mustFree ? (keys.size() + 1) / 2 : rnd.nextInt(12) == 0 ? keys.size() : keys.size() >= 60 ? 1 + rnd.nextInt(10)
                    : rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(3) : 0;
            int alloc = mustFree || free == keys.size() && free > 0 ? 0 : 1 + rnd.nextInt(3);
            free = Math.min(free, keys.size());
            Durability d = rnd.nextInt(5) < 2 ? Durability.ASYNC : Durability.SYNC;
            PField nextF = NODE.field("next");
            PField data = NODE.field("data");
            try (Tx tx = h.begin(d)) {
                Ref root = tx.root(ROOT);
                if (rnd.nextInt(4) == 0) {
                    tx.setLong(root, ROOT.field("counter"), tx.getLong(root, ROOT.field("counter")) + 1);
                }
                // pop the newest `free` nodes: a node's peer is an older node, which stays
                Ref n = tx.getRef(root, head);
                for (int i = 0; i < free; i++) {
                    Ref after = tx.getRef(n, nextF);
                    Ref blob = tx.getRef(n, data);
                    if (blob != null) {
                        tx.free(blob);
                    }
                    tx.free(n);
                    n = after;
                }
                tx.setRef(root, head, n);
                Ref peer = n;
                for (int j = 0; j < alloc; j++) {
                    long key = next + j;
                    Ref node = tx.allocate(NODE);
                    tx.setLong(node, NODE.field("key"), key);
                    int kind = rnd.nextInt(10);
                    if (kind < 2 && j == 0) {
                        tx.setRef(node, data, tx.allocateBytes(bytes(rnd, 6_000 + rnd.nextInt(26_000))));
                    } else if (kind < 6) {
                        tx.setRef(node, data, tx.allocateString("v-" + key + "-".repeat(rnd.nextInt(200))));
                    }
                    tx.setRef(node, NODE.field("peer"), peer);
                    tx.setRef(node, nextF, tx.getRef(root, head));
                    tx.setRef(root, head, node);
                }
                tx.commit();
            } catch (HeapFullException e) {
                w.heapFull.incrementAndGet();
                mustFree = true;
                return;
            }
            for (int i = 0; i < free; i++) {
                keys.removeFirst();
            }
            for (int j = 0; j < alloc; j++) {
                keys.addFirst(next + j);
            }
            next += alloc;
            if (free > 0 && keys.isEmpty()) {
                w.transactions.incrementAndGet();
            }
            mustFree = false;
            w.operations.incrementAndGet();
        }
    }

    // ------------------------------------------------------------------ threads

    /**
     * {@value #THREADS} slots, each run by a series of short-lived platform threads (so that the
     * heap reaps dead threads' slabs) until the images are done; a slot's state (its {@link Step})
     * passes from one thread to the next.
     */
    private static final class Workload {
        interface Step {
            void step(Random rnd);
        }

        final long seed;
        final Images images;
        final AtomicLong operations = new AtomicLong();
        final AtomicLong transactions = new AtomicLong();
        final AtomicLong heapFull = new AtomicLong();
        final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();

        Workload(long seed, Images images) {
            this.seed = seed;
            this.images = images;
        }

        void run(IntFunction<Step> steps) throws InterruptedException {
            Throwable f = CrashImages.runTogether("check-images-driver", THREADS, t -> {
                Step s = steps.apply(t);
                for (int life = 0; !images.done() && errors.isEmpty() && life < 100_000; life++) {
                    Random rnd = new Random(seed ^ (t * 7_919L + life * 104_729L));
                    Thread c = Thread.ofPlatform().name("check-images-committer-" + t + "-" + life).start(() -> {
                        try {
                            for (int i = 5 + rnd.nextInt(40); i > 0 && !images.done(); i--) {
                                s.step(rnd);
                            }
                        } catch (Throwable e) {
                            errors.add(e);
                            images.stop = true;
                        }
                    });
                    c.join(Duration.ofSeconds(120));
                    if (c.isAlive()) {
                        errors.add(new AssertionError(c.getName() + " hangs: " + List.of(c.getStackTrace())));
                        images.stop = true;
                        return;
                    }
                }
            });
            images.stop = true;
            if (f != null) {
                errors.add(f);
            }
        }

        void failOnErrors() {
            Throwable first = errors.peek();
            if (first != null) {
                throw new AssertionError("a committer failed (seed " + seed + "): " + first, first);
            }
        }
    }

    // ------------------------------------------------------------------ images through the CLI

    /** Takes crash images (in the media's fence, serialized) and runs each through check, recover, check. */
    private static final class Images implements AutoCloseable {
        final String kind;
        final long seed;
        final Random rnd;
        final long max;
        final long deadline;
        /** Collections the store level must have checked; -1 for a heap that is no store. */
        final int collections;
        final Path file;
        final Arena arena = Arena.ofShared();
        MemorySegment buf;
        volatile boolean stop;
        long images;
        long neededRecovery;
        /** Images whose log ends at a torn record; that had records to replay; whose torn bytes outlived recover. */
        long torn;
        long replayed;
        long tornLeftOver;
        /** Images recovered by check --repair instead of recover. */
        long repaired;
        AssertionError failure;

        Images(String kind, long seed, long max, long millis, int collections) {
            this.kind = kind;
            this.seed = seed;
            this.rnd = new Random(seed);
            this.max = max;
            this.deadline = System.nanoTime() + millis * 1_000_000L;
            this.collections = collections;
            this.file = TestPools.fresh("crash-images-" + kind);
        }

        boolean done() {
            return stop || failure != null || System.nanoTime() - deadline > 0;
        }

        void crashPoint(CrashSimMedia.CrashPoint cp) {
            if (done() || rnd.nextInt(SAMPLE) != 0) {
                return;
            }
            if (images >= max) {
                stop = true;
                return;
            }
            if (buf == null) {
                buf = arena.allocate(cp.size(), 4096);
            }
            String where = kind + " image " + images + " at fence " + cp.fence() + " on " + Thread.currentThread().getName()
                    + " (seed " + seed + ")";
            try {
                cp.writeImage(rnd, buf);
                if (checkRecoverCheck(buf, where)) {
                    neededRecovery++;
                }
                images++;
            } catch (AssertionError | RuntimeException e) {
                failure = new AssertionError(where + ": " + e.getMessage(), e);
                stop = true;
            }
        }

        /** The pool a clean close left must check clean as it is. */
        void cleanlyClosed(MemorySegment pool) {
            if (failure != null) {
                return;
            }
            CrashImages.write(file, pool);
            TestPools.Run check = TestPools.runCheck("--json", file.toString());
            assertEquals(Ferrite.EXIT_CLEAN, check.exit(), kind + " pool after a clean close (seed " + seed + "): " + check);
            assertLevels(check.out(), kind + " pool after a clean close");
        }

        /** Check, recover, check; true when the image needed recovery. */
        private boolean checkRecoverCheck(MemorySegment image, String where) {
            CrashImages.write(file, image);
            TestPools.Run first = TestPools.runCheck("--json", file.toString());
            assertTrue(first.exit() == Ferrite.EXIT_CLEAN || first.exit() == Ferrite.EXIT_ERRORS_LEFT, where + ": check: " + first);
            Matcher m = FINDING.matcher(first.out());
            int counted = 0;
            while (m.find()) {
                String severity = m.group(1);
                String line = severity + ": " + m.group(2) + " @" + m.group(3) + ": " + m.group(4);
                if (severity.equals("error")) {
                    fail(where + ": check reports an error on a legal crash image: " + line + "\n" + first.out());
                }
                if (severity.equals("recovery")) {
                    assertFalse(m.group(5).equals("null"), where + ": a finding recovery does not repair: " + line);
                    counted++;
                }
            }
            assertEquals(first.exit() == Ferrite.EXIT_ERRORS_LEFT, counted > 0, where + ": exit code and findings disagree: " + first);
            assertLevels(first.out(), where + ": check before recover");
            if (images % REPAIR_EVERY == REPAIR_EVERY - 1) {
                // the other way an operator recovers: check --repair (its torn tail drop, then its open)
                TestPools.Run rep = TestPools.runCheck("--repair", "--json", file.toString());
                assertEquals(counted > 0 ? Ferrite.EXIT_REPAIRED : Ferrite.EXIT_CLEAN, rep.exit(), where + ": check --repair: " + rep);
                repaired++;
            } else {
                TestPools.Run rec = TestPools.run("recover", "--json", file.toString());
                assertTrue(rec.exit() == Ferrite.EXIT_CLEAN || rec.exit() == Ferrite.EXIT_REPAIRED, where + ": recover: " + rec);
            }
            TestPools.Run after = TestPools.runCheck("--json", file.toString());
            assertEquals(Ferrite.EXIT_CLEAN, after.exit(), where + ": check after recover is not clean: " + after);
            assertLevels(after.out(), where + ": check after recover");
            torn += first.out().contains("torn log tail") ? 1 : 0;
            replayed += first.out().contains("not applied yet; recovery replays them") ? 1 : 0;
            tornLeftOver += after.out().contains("remains of an append torn") ? 1 : 0;
            return counted > 0;
        }

        /** The heap level ran (objects counted, reachability walked) and, for a store, every collection was checked. */
        private void assertLevels(String json, String where) {
            assertTrue(CrashImages.number(json, "objects") > 0, where + ": no objects counted: " + json);
            assertTrue(json.contains("\"reachability\": {"), where + ": reachability not walked: " + json);
            if (collections >= 0) {
                assertTrue(json.contains("\"store\": {"), where + ": the store level did not run: " + json);
                assertEquals(collections, CrashImages.number(json, "collections"), where + ": collections checked: " + json);
            } else {
                assertFalse(json.contains("\"store\""), where + ": a heap checked as a store: " + json);
            }
        }

        void failOnErrors() {
            if (failure != null) {
                throw failure;
            }
        }

        @Override
        public String toString() {
            return images + " through check, recover, check (" + repaired + " with check --repair instead of recover; "
                    + neededRecovery + " needed recovery: " + replayed + " with records to replay, " + torn + " with a torn log tail, "
                    + tornLeftOver + " of them left in place by recover)";
        }

        @Override
        public void close() {
            arena.close();
            TestPools.delete(file);
        }
    }
}
