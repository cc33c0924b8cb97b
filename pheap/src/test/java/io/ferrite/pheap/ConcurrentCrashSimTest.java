package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.FerriteException;
import io.ferrite.media.CrashSimMedia;
import io.ferrite.media.Media;
import io.ferrite.swizzle.VerifyReport;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/**
 * Crash simulation with concurrent committers (DESIGN.md §10, "crash simulation also with several
 * committer threads and the checkpointer running"): {@value #SLOTS} committer slots, each run by a
 * series of short-lived threads (so that the heap reaps dead threads' slabs), commit SYNC and
 * ASYNC transactions that allocate nodes and blobs (large ones span slabs) until the heap is
 * full, free the oldest nodes (emptying slabs, which are retired), and sometimes bump a shared
 * counter under a lock; the background checkpointer runs every millisecond.
 *
 * <p>Crash points are taken at fences of whichever thread fences (a committer leading a group
 * commit, the checkpointer), while the other threads go on: a sample of fences builds
 * {@value #IMAGES_PER_POINT} images each (the media's shadow with a random subset of the words
 * not known persisted; per-thread fences, so a flush is durable only after a fence of the
 * thread that flushed), recovered at another address and checked: each slot's list is exactly
 * the model after one of its commits, no earlier than its last acknowledged SYNC commit (every
 * ASYNC commit before it, too) and no later than the one in flight; the shared counter equals the
 * shared commits those states hold (log order: none is lost or applied twice); every reachable
 * object is allocated and every allocated object reachable; pointers verify clean.
 *
 * <p>Live, every shared commit must see the counter of the last acknowledged one (a commit
 * acknowledged before a transaction began is visible to it, ASYNC or not), and a thread's own
 * list must stay allocated. {@code -Dferrite.test.seed=S} replays the image choices and each
 * thread's operations (not the interleaving); {@code -Dferrite.concurrentCrashsim.millis} and
 * {@code .images} bound the run.
 */
class ConcurrentCrashSimTest {
    static final int SLOTS = 3;
    static final int IMAGES_PER_POINT = 4;
    static final long POOL = 5L << 19; // 2.5 MiB: metadata and log take 2 MiB, 32 slabs of 16 KiB
    static final long MILLIS = Long.getLong("ferrite.concurrentCrashsim.millis", 20_000);
    static final int MAX_IMAGES = Integer.getInteger("ferrite.concurrentCrashsim.images", 6_000);
    /** One fence in this many becomes a crash point. */
    static final int SAMPLE = Integer.getInteger("ferrite.concurrentCrashsim.sample", 6);
    static final int MAX_LIST = 60;

    static final PType NODE = PType.builder("CcNode").int64("key").int64("check").pointer("next", "CcNode")
            .pointer("data", PType.ANY_BLOB).build();
    static final PField KEY = NODE.field("key");
    static final PField CHECK = NODE.field("check");
    static final PField NEXT = NODE.field("next");
    static final PField DATA = NODE.field("data");
    static final PType ROOT;
    static final PField[] HEAD = new PField[SLOTS];
    static final PField[] TXS = new PField[SLOTS];
    static final PField COUNTER;

    static {
        PType.Builder b = PType.builder("CcRoot").int64("counter");
        for (int s = 0; s < SLOTS; s++) {
            b.pointer("head" + s, "CcNode").int64("txs" + s);
        }
        ROOT = b.build();
        for (int s = 0; s < SLOTS; s++) {
            HEAD[s] = ROOT.field("head" + s);
            TXS[s] = ROOT.field("txs" + s);
        }
        COUNTER = ROOT.field("counter");
    }

    /** A slot's list (keys, newest first) after its k-th commit, and how many of its commits were shared. */
    record State(long[] keys, int shared) {
    }

    /** One committer slot: run by one thread at a time, a new thread now and then. */
    static final class Slot {
        final int index;
        final Map<Integer, State> states = new ConcurrentHashMap<>();
        /** The slot's commit that may be in the log: set (after its state) just before commit(). */
        volatile int started;
        /** The last SYNC commit acknowledged (commit() returned). */
        volatile int syncAcked;
        /** Commits acknowledged; the model's current list is states.get(done). */
        int done;
        int shared;
        boolean mustFree;

        Slot(int index) {
            this.index = index;
            states.put(0, new State(new long[0], 0));
        }
    }

    private final Slot[] slots = new Slot[SLOTS];
    private final ReentrantLock sharedLock = new ReentrantLock();
    /** The counter written by the last acknowledged shared commit (guarded by sharedLock). */
    private long counterAcked;
    private final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    private volatile boolean stop;
    private final AtomicLong syncCommits = new AtomicLong();
    private final AtomicLong asyncCommits = new AtomicLong();
    private final AtomicLong sharedCommits = new AtomicLong();
    private final AtomicLong heapFull = new AtomicLong();
    private final AtomicLong lives = new AtomicLong();
    private final AtomicLong drains = new AtomicLong();
    // written in the crash-point listener only (the media serializes it)
    private long fences;
    private long points;
    private long pointsAtCheckpointer;
    private long pointsAtCommitter;
    private long images;
    private long seed;
    private Random sampler;

    static HeapOptions options() {
        return HeapOptions.defaults().slabSize(16 * 1024).logCapacity(128 * 1024).checkpointInterval(Duration.ofMillis(1));
    }

    /** Images open without a checkpointer; a full log fails fast (the listener holds every thread's fences). */
    static HeapOptions imageOptions() {
        return options().checkpointInterval(Duration.ZERO).logFullTimeout(Duration.ofMillis(200));
    }

    @Test
    void everyImageTakenWhileThreadsCommitRecoversToAcknowledgedStates() throws InterruptedException {
        seed = Long.getLong("ferrite.test.seed", System.nanoTime());
        System.out.println("ConcurrentCrashSimTest seed=" + seed + " (rerun with -Dferrite.test.seed=" + seed + ")");
        sampler = new Random(seed);
        for (int s = 0; s < SLOTS; s++) {
            slots[s] = new Slot(s);
        }
        long t0 = System.nanoTime();
        long deadline = t0 + MILLIS * 1_000_000L;
        try (CrashSimMedia media = CrashSimMedia.inMemory(POOL); Arena arena = Arena.ofShared()) {
            MemorySegment buf = arena.allocate(POOL, 1 << 21);
            Heap h = Heap.create(media, options());
            h.register(NODE);
            h.register(ROOT);
            h.root(ROOT);
            media.onCrashPoint(cp -> onCrashPoint(cp, buf));
            boolean closed = false;
            try {
                Thread[] drivers = new Thread[SLOTS];
                for (int s = 0; s < SLOTS; s++) {
                    Slot slot = slots[s];
                    drivers[s] = new Thread(() -> drive(h, slot, deadline), "driver-" + s);
                    drivers[s].setDaemon(true);
                    drivers[s].start();
                }
                for (Thread d : drivers) {
                    d.join(MILLIS + 120_000);
                }
                stop = true;
                for (Thread d : drivers) {
                    assertFalse(d.isAlive(), d.getName() + " did not finish: a commit hangs");
                }
                media.onCrashPoint(null);
                failOnErrors();
                h.close();
                closed = true;
            } finally {
                media.onCrashPoint(null);
                if (!closed) {
                    h.crash();
                }
            }
            // after a clean close: exactly the last commit of every slot
            Heap r = Heap.open(media, imageOptions());
            try {
                int[] last = new int[SLOTS];
                for (int s = 0; s < SLOTS; s++) {
                    last[s] = slots[s].done;
                }
                check(r, last, last, "after close");
            } finally {
                r.close();
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("pheap concurrent crashsim: %d crash points (%d at committer fences, %d at checkpointer fences), "
                + "%d images checked, %d fences; %d commits by %d threads (%d SYNC, %d ASYNC, %d shared), %d heap-full aborts, "
                + "%d lists freed whole; seed %d, %.1f s%n", points, pointsAtCommitter, pointsAtCheckpointer, images, fences,
                syncCommits.get() + asyncCommits.get(), lives.get(), syncCommits.get(), asyncCommits.get(), sharedCommits.get(),
                heapFull.get(), drains.get(), seed, secs);
        assertTrue(images >= points * IMAGES_PER_POINT);
        assertTrue(pointsAtCheckpointer > 0, "crash points inside checkpoints");
        assertTrue(pointsAtCommitter > 0, "crash points at group commits");
        assertTrue(heapFull.get() > 0, "the workload fills the heap");
        assertTrue(asyncCommits.get() > 0 && syncCommits.get() > 0);
    }

    private void failOnErrors() {
        Throwable first = errors.peek();
        if (first != null) {
            AssertionError e = new AssertionError(errors.size() + " failure(s), seed " + seed + "; the first: " + first, first);
            errors.stream().skip(1).limit(5).forEach(e::addSuppressed);
            throw e;
        }
    }

    // ------------------------------------------------------------------ crash points

    private void onCrashPoint(CrashSimMedia.CrashPoint cp, MemorySegment buf) {
        fences++;
        if (stop || sampler.nextInt(SAMPLE) != 0) {
            return;
        }
        // acknowledged before this fence: every SYNC ack needed an earlier fence (none completes
        // while this runs); started: read after the crash point's scan of the live segment
        cp.unpersistedWords();
        int[] required = new int[SLOTS];
        int[] upTo = new int[SLOTS];
        for (int s = 0; s < SLOTS; s++) {
            required[s] = slots[s].syncAcked;
        }
        for (int s = 0; s < SLOTS; s++) {
            upTo[s] = slots[s].started;
        }
        String who = Thread.currentThread().getName();
        points++;
        if (who.startsWith("ferrite-checkpoint")) {
            pointsAtCheckpointer++;
        } else {
            pointsAtCommitter++;
        }
        for (int i = 0; i < IMAGES_PER_POINT; i++) {
            long imageSeed = seed * 1_000_003L + cp.fence() * 131L + i;
            String ctx = "fence " + cp.fence() + " on " + who + ", image seed " + imageSeed;
            try {
                cp.writeImage(new Random(imageSeed), buf);
                Heap r;
                try {
                    r = Heap.open(Media.wrap(buf), imageOptions());
                } catch (RuntimeException e) {
                    throw new AssertionError(ctx + ": the image does not recover", e);
                }
                try {
                    check(r, required, upTo, ctx);
                } finally {
                    r.crash();
                }
                images++;
            } catch (Throwable e) {
                errors.add(e instanceof AssertionError ? e : new AssertionError(ctx, e));
                stop = true;
                return;
            }
        }
        if (images >= MAX_IMAGES) {
            stop = true;
        }
    }

    /** Checks a recovered heap: each slot at one of its states in [required, upTo], and the heap-wide invariants. */
    private void check(Heap r, int[] required, int[] upTo, String ctx) {
        Ref root = r.root(ROOT);
        Set<Long> reachable = new HashSet<>();
        reachable.add(root.offset());
        int shared = 0;
        try (Tx tx = r.begin()) {
            for (int s = 0; s < SLOTS; s++) {
                long k = r.getLong(root, TXS[s]);
                assertTrue(k >= required[s] && k <= upTo[s], ctx + ": slot " + s + " recovered at its commit " + k
                        + ", but commit " + required[s] + " was acknowledged and " + upTo[s] + " the last begun");
                State want = slots[s].states.get((int) k);
                List<Long> got = new ArrayList<>();
                for (Ref n = r.getRef(root, HEAD[s]); n != null; n = r.getRef(n, NEXT)) {
                    assertEquals("CcNode", n.type().name(), ctx);
                    assertTrue(r.isAllocated(n), ctx + ": node " + n + " of slot " + s + " is reachable but free");
                    assertTrue(reachable.add(n.offset()), ctx + ": node " + n + " reached twice (cycle or shared)");
                    assertTrue(got.size() <= MAX_LIST + 8, ctx + ": slot " + s + " list longer than any state");
                    long key = r.getLong(n, KEY);
                    assertEquals(~key, r.getLong(n, CHECK), ctx + ": torn node " + n);
                    got.add(key);
                    Ref d = r.getRef(n, DATA);
                    int kind = blobKind(key);
                    if (kind == 0) {
                        assertNull(d, ctx + ": node " + key + " has data it never had");
                        continue;
                    }
                    assertNotNull(d, ctx + ": node " + key + " lost its data");
                    assertTrue(r.isAllocated(d), ctx + ": blob of node " + key + " is reachable but free");
                    assertTrue(reachable.add(d.offset()), ctx + ": blob of node " + key + " reached twice");
                    if (kind == 1) {
                        assertArrayEquals(large(key), tx.getBytes(d), ctx + ": large blob of node " + key);
                    } else {
                        assertEquals(text(key), tx.getString(d), ctx + ": string of node " + key);
                    }
                }
                assertEquals(toList(want.keys()), got, ctx + ": slot " + s + " after its commit " + k);
                shared += want.shared();
            }
        }
        assertEquals(shared, r.getLong(root, COUNTER), ctx + ": the shared counter is not the number of shared commits"
                + " present (a commit applied out of log order, or lost)");
        HeapStats st = r.stats();
        assertEquals(reachable.size(), st.liveObjects(), ctx + ": allocated but unreachable objects (leak)");
        assertTrue(st.freeSlabs() <= st.totalSlabs(), ctx + ": " + st.freeSlabs() + " free slabs of " + st.totalSlabs());
        VerifyReport v = r.verifyPointers();
        assertTrue(v.isClean(), ctx + ": " + v);
    }

    private static List<Long> toList(long[] keys) {
        List<Long> l = new ArrayList<>(keys.length);
        for (long k : keys) {
            l.add(k);
        }
        return l;
    }

    // ------------------------------------------------------------------ the workload

    /** Runs a slot with one short-lived thread after another until the deadline or a stop. */
    private void drive(Heap h, Slot slot, long deadline) {
        int life = 0;
        while (!stop && System.nanoTime() - deadline < 0) {
            Random rnd = new Random(seed ^ (slot.index * 7_919L + life * 104_729L));
            Thread t = new Thread(() -> {
                try {
                    live(h, slot, rnd, deadline);
                } catch (Throwable e) {
                    errors.add(new AssertionError("slot " + slot.index + " on " + Thread.currentThread().getName() + ": " + e, e));
                    stop = true;
                }
            }, "committer-" + slot.index + "-" + life);
            t.setDaemon(true);
            t.start();
            try {
                t.join(MILLIS + 60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (t.isAlive()) {
                errors.add(new AssertionError(t.getName() + " hangs: " + List.of(t.getStackTrace())));
                stop = true;
                return;
            }
            lives.incrementAndGet();
            life++;
        }
    }

    /** One thread's life: some transactions, sometimes all of its list freed at the end. */
    private void live(Heap h, Slot slot, Random rnd, long deadline) {
        int txs = 5 + rnd.nextInt(40);
        for (int i = 0; i < txs && !stop && System.nanoTime() - deadline < 0; i++) {
            transaction(h, slot, rnd, -1);
        }
        if (!stop && rnd.nextInt(3) == 0) {
            transaction(h, slot, rnd, Integer.MAX_VALUE); // its current slabs end up empty
            drains.incrementAndGet();
        }
        // live: the thread's own list is allocated and as committed
        long[] keys = slot.states.get(slot.done).keys();
        int i = 0;
        for (Ref n = h.getRef(h.root(ROOT), HEAD[slot.index]); n != null; n = h.getRef(n, NEXT), i++) {
            assertTrue(h.isAllocated(n), "live: node " + n + " of slot " + slot.index + " (reachable, committed) is not allocated");
            assertTrue(i < keys.length, "live: slot " + slot.index + " list longer than committed");
            assertEquals(keys[i], h.getLong(n, KEY), "live: slot " + slot.index + " node " + i);
        }
        assertEquals(keys.length, i, "live: slot " + slot.index + " list length");
    }

    /** One transaction of a slot; {@code freeAll} = MAX_VALUE frees its whole list. */
    private void transaction(Heap h, Slot slot, Random rnd, int freeAll) {
        int s = slot.index;
        boolean shared = rnd.nextInt(4) == 0;
        Durability d = rnd.nextInt(5) < 2 ? Durability.ASYNC : Durability.SYNC;
        List<Long> list = toList(slot.states.get(slot.done).keys());
        int free;
        int alloc;
        if (freeAll == Integer.MAX_VALUE) {
            free = list.size();
            alloc = 0;
        } else if (slot.mustFree) {
            free = (list.size() + 1) / 2;
            alloc = 0;
        } else if (list.size() >= MAX_LIST) {
            free = 1 + rnd.nextInt(10);
            alloc = rnd.nextInt(2);
        } else {
            free = rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(3) : 0;
            alloc = 1 + rnd.nextInt(3);
        }
        free = Math.min(free, list.size());
        if (shared) {
            sharedLock.lock();
        }
        try {
            int k = slot.done + 1;
            long counter = 0;
            try (Tx tx = h.begin(d)) {
                Ref root = tx.root(ROOT);
                if (shared) {
                    counter = tx.getLong(root, COUNTER);
                    if (counter != counterAcked) {
                        throw new AssertionError("slot " + s + " commit " + k + " (" + d + ") reads the shared counter as " + counter
                                + " but the last acknowledged shared commit wrote " + counterAcked + ": a commit acknowledged"
                                + " before this transaction began is not visible to it");
                    }
                    tx.setLong(root, COUNTER, counter + 1);
                }
                if (free > 0) {
                    int keep = list.size() - free;
                    Ref cut = null;
                    Ref n = tx.getRef(root, HEAD[s]);
                    for (int i = 0; i < keep; i++) {
                        cut = n;
                        n = tx.getRef(n, NEXT);
                    }
                    if (cut == null) {
                        tx.setRef(root, HEAD[s], null);
                    } else {
                        tx.setRef(cut, NEXT, null);
                    }
                    while (n != null) {
                        Ref next = tx.getRef(n, NEXT);
                        Ref data = tx.getRef(n, DATA);
                        if (data != null) {
                            tx.free(data);
                        }
                        tx.free(n);
                        n = next;
                    }
                    list.subList(keep, list.size()).clear();
                }
                for (int j = 0; j < alloc; j++) {
                    long key = (s + 1) * 1_000_000_000L + k * 10L + j;
                    Ref n = tx.allocate(NODE);
                    tx.setLong(n, KEY, key);
                    tx.setLong(n, CHECK, ~key);
                    switch (blobKind(key)) {
                        case 1 -> tx.setRef(n, DATA, tx.allocateBytes(large(key)));
                        case 2 -> tx.setRef(n, DATA, tx.allocateString(text(key)));
                        default -> {
                        }
                    }
                    tx.setRef(n, NEXT, tx.getRef(root, HEAD[s]));
                    tx.setRef(root, HEAD[s], n);
                    list.add(0, key);
                }
                tx.setLong(root, TXS[s], k);
                slot.states.put(k, new State(list.stream().mapToLong(Long::longValue).toArray(), slot.shared + (shared ? 1 : 0)));
                slot.started = k;
                tx.commit();
            } catch (HeapFullException e) {
                heapFull.incrementAndGet();
                slot.mustFree = true;
                return;
            }
            slot.done = k;
            slot.mustFree = false;
            if (shared) {
                slot.shared++;
                counterAcked = counter + 1;
                sharedCommits.incrementAndGet();
            }
            if (d == Durability.SYNC) {
                slot.syncAcked = k;
                syncCommits.incrementAndGet();
            } else {
                asyncCommits.incrementAndGet();
            }
        } catch (FerriteException e) {
            throw new AssertionError("slot " + s + ": a " + d + " commit failed: " + e.getMessage(), e);
        } finally {
            if (shared) {
                sharedLock.unlock();
            }
        }
    }

    /**
     * 0 = no data, 1 = a large blob (often spanning slabs), 2 = a string blob. Only a
     * transaction's first node (key ending in 0) may hold a large blob, so that a record stays
     * under the log's largest.
     */
    static int blobKind(long key) {
        int m = Math.floorMod(mix(key), 10);
        return m < 3 ? (key % 10 == 0 ? 1 : 2) : m < 6 ? 2 : 0;
    }

    static long mix(long key) {
        long z = key * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        return z ^ (z >>> 31);
    }

    static byte[] large(long key) {
        byte[] b = new byte[6_000 + (int) Math.floorMod(mix(key) >>> 8, 26_000L)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (key * 31 + i);
        }
        return b;
    }

    static String text(long key) {
        return "v-" + key + "-".repeat((int) Math.floorMod(mix(key) >>> 16, 200L));
    }
}
