package io.ferrite.store;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.media.CrashSimMedia;
import io.ferrite.media.Media;
import io.ferrite.pheap.HeapFullException;
import io.ferrite.pheap.HeapOptions;
import io.ferrite.swizzle.VerifyReport;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Crash simulation of the object store with concurrent committers (DESIGN.md §10):
 * {@value #SLOTS} slots, each run by a series of short-lived threads, change a shared hash map of
 * accounts (bucket splits included), a shared hash map of byte blobs (filled until the heap is
 * full, then emptied in part), a shared sorted map and one list per slot, by single operations
 * and by transactions spanning several collections; the background checkpointer runs every
 * millisecond. Every operation is SYNC (the store refuses ASYNC). Slots own disjoint keys, so
 * each slot's part of every collection has a model.
 *
 * <p>Crash points are sampled at the fences of whichever thread fences while the others go on;
 * each yields {@value #IMAGES_PER_POINT} images (per-thread fences: a flush is durable only after
 * a fence of the thread that flushed), opened at another address (replay, swizzle) and checked:
 * each slot's part of the collections equals its model after one of its operations, no earlier
 * than the last one acknowledged and no later than the one in flight (so every acknowledged
 * operation is there, and no operation in part); sizes equal what iteration finds; every
 * allocated object is reachable from the root; pointers verify clean. {@code -Dferrite.test.seed}
 * replays the image choices and each thread's operations (not the interleaving).
 */
class ConcurrentStoreCrashSimTest {
    static final int SLOTS = 3;
    static final int IMAGES_PER_POINT = 3;
    static final long POOL = 3L << 20;
    static final long MILLIS = Long.getLong("ferrite.concurrentStoreCrashsim.millis", 30_000);
    static final int MAX_IMAGES = Integer.getInteger("ferrite.concurrentStoreCrashsim.images", 3_000);
    /** One fence in this many becomes a crash point. */
    static final int SAMPLE = Integer.getInteger("ferrite.concurrentStoreCrashsim.sample", 6);
    static final int ACCOUNTS = 150;
    static final int BLOBS = 80;

    /** One slot's part of the collections; blobs map key → the operation that wrote it (the bytes follow). */
    record State(Map<String, Long> accounts, Map<String, Integer> blobs, TreeMap<Long, String> journal, List<String> queue) {
        State copy() {
            return new State(new HashMap<>(accounts), new HashMap<>(blobs), new TreeMap<>(journal), new ArrayList<>(queue));
        }
    }

    /** One committer slot: run by one thread at a time. States are kept from the last acknowledged on. */
    static final class Slot {
        final int index;
        /** Guarded by this: states[k - base] is the state after operation k. */
        private final List<State> states = new ArrayList<>();
        private int base;
        volatile int started;
        volatile int acked;
        int done;
        boolean mustFree;

        Slot(int index) {
            this.index = index;
            states.add(new State(new HashMap<>(), new HashMap<>(), new TreeMap<>(), new ArrayList<>()));
        }

        synchronized State state(int k) {
            return states.get(k - base);
        }

        /** Records the state after operation k (replacing one of a failed attempt). */
        synchronized void put(int k, State s) {
            if (k - base < states.size()) {
                states.set(k - base, s);
            } else {
                states.add(s);
            }
        }

        /**
         * The states a crash now may show, from {@code from} to {@code to}. States before {@code
         * base} were dropped once a later operation was acknowledged, which a crash point taken
         * meanwhile also requires (its durable fence preceded the crash point).
         */
        synchronized List<State> range(int from, int to) {
            return new ArrayList<>(states.subList(Math.max(from, base) - base, Math.min(to - base + 1, states.size())));
        }

        /** Forgets states before the acknowledged one (none can be shown any more). */
        synchronized void acknowledge(int k) {
            acked = k;
            int drop = k - base;
            if (drop > 64) {
                states.subList(0, drop).clear();
                base = k;
            }
        }
    }

    private final Slot[] slots = new Slot[SLOTS];
    private final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    private volatile boolean stop;
    private final AtomicLong operations = new AtomicLong();
    private final AtomicLong transactions = new AtomicLong();
    private final AtomicLong heapFull = new AtomicLong();
    private final AtomicLong lives = new AtomicLong();
    // written in the crash-point listener only (the media serializes it)
    private long fences;
    private long points;
    private long pointsAtCheckpointer;
    private long images;
    private long seed;
    private Random sampler;

    /** With no checkpointer (images), a full log fails fast: the listener holds every thread's fences. */
    static Store.Context context(Duration checkpointEvery) {
        return new Store.Context().heapOptions(HeapOptions.defaults().slabSize(16 * 1024).logCapacity(256 * 1024)
                .checkpointInterval(checkpointEvery).logFullTimeout(checkpointEvery.isZero() ? Duration.ofMillis(200)
                        : Duration.ofSeconds(5)));
    }

    @Test
    void everyImageTakenWhileThreadsOperateHoldsAcknowledgedOperations() throws InterruptedException {
        seed = Long.getLong("ferrite.test.seed", System.nanoTime());
        System.out.println("ConcurrentStoreCrashSimTest seed=" + seed + " (rerun with -Dferrite.test.seed=" + seed + ")");
        sampler = new Random(seed);
        for (int s = 0; s < SLOTS; s++) {
            slots[s] = new Slot(s);
        }
        long t0 = System.nanoTime();
        long deadline = t0 + MILLIS * 1_000_000L;
        Store.Context imageCtx = context(Duration.ZERO);
        long buckets;
        try (CrashSimMedia media = CrashSimMedia.inMemory(POOL); Arena arena = Arena.ofShared()) {
            MemorySegment buf = arena.allocate(POOL, 1 << 21);
            Store store = Store.create(media, context(Duration.ofMillis(1)));
            boolean closed = false;
            try {
                Collections c = new Collections(store);
                media.onCrashPoint(cp -> onCrashPoint(cp, buf, imageCtx));
                Thread[] drivers = new Thread[SLOTS];
                for (int s = 0; s < SLOTS; s++) {
                    Slot slot = slots[s];
                    drivers[s] = new Thread(() -> drive(c, slot, deadline), "driver-" + s);
                    drivers[s].setDaemon(true);
                    drivers[s].start();
                }
                for (Thread d : drivers) {
                    d.join(MILLIS + 120_000);
                }
                stop = true;
                for (Thread d : drivers) {
                    assertFalse(d.isAlive(), d.getName() + " did not finish: an operation hangs");
                }
                media.onCrashPoint(null);
                failOnErrors();
                buckets = c.accounts.bucketCount();
                store.close();
                closed = true;
            } finally {
                media.onCrashPoint(null);
                if (!closed) {
                    store.heap().crashForTesting();
                }
            }
            // after a clean close: exactly every slot's last operation
            try (Store r = Store.open(media, imageCtx)) {
                int[] last = new int[SLOTS];
                for (int s = 0; s < SLOTS; s++) {
                    last[s] = slots[s].done;
                }
                check(r, last, last, null, "after close");
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("store concurrent crashsim: %d crash points (%d at checkpointer fences), %d images checked, %d fences;"
                + " %d operations by %d threads (%d of them transactions), %d heap-full aborts, %d account buckets; seed %d, %.1f s%n",
                points, pointsAtCheckpointer, images, fences, operations.get(), lives.get(), transactions.get(), heapFull.get(),
                buckets, seed, secs);
        assertTrue(images >= points * IMAGES_PER_POINT);
        assertTrue(pointsAtCheckpointer > 0 && points > pointsAtCheckpointer, "crash points inside checkpoints and commits");
        assertTrue(heapFull.get() > 0, "the workload fills the heap");
        assertTrue(buckets > 256, "the accounts map split buckets: " + buckets);
    }

    private void failOnErrors() {
        Throwable first = errors.peek();
        if (first != null) {
            AssertionError e = new AssertionError(errors.size() + " failure(s), seed " + seed + "; the first: " + first, first);
            errors.stream().skip(1).limit(5).forEach(e::addSuppressed);
            throw e;
        }
    }

    /** The collections of one store. */
    static final class Collections {
        final Store store;
        final PersistentMap<String, Long> accounts;
        final PersistentMap<String, byte[]> blobs;
        final PersistentSortedMap<Long, String> journal;
        final List<PersistentList<String>> queues = new ArrayList<>();

        Collections(Store store) {
            this.store = store;
            accounts = store.map("accounts", String.class, Long.class);
            blobs = store.map("blobs", String.class, byte[].class);
            journal = store.sortedMap("journal", Long.class, String.class);
            for (int s = 0; s < SLOTS; s++) {
                queues.add(store.list("queue-" + s, String.class));
            }
        }

        /** Every slot's part of every collection (one pass over each). */
        State[] parts() {
            State[] p = new State[SLOTS];
            for (int s = 0; s < SLOTS; s++) {
                p[s] = new State(new HashMap<>(), new HashMap<>(), new TreeMap<>(), queues.get(s).snapshot());
            }
            for (Map.Entry<String, Long> e : accounts.entrySet()) {
                p[slotOf(e.getKey())].accounts().put(e.getKey(), e.getValue());
            }
            for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
                p[slotOf(e.getKey())].blobs().put(e.getKey(), opOf(e.getKey(), e.getValue()));
            }
            for (Map.Entry<Long, String> e : journal.entrySet()) {
                p[(int) (e.getKey() / journalKey(1, 0))].journal().put(e.getKey(), e.getValue());
            }
            return p;
        }

        private static int slotOf(String key) {
            assertTrue(key.length() > 2 && key.charAt(0) == 's' && key.charAt(2) == '-', "a key no slot wrote: " + key);
            return key.charAt(1) - '0';
        }
    }

    // ------------------------------------------------------------------ crash points

    private void onCrashPoint(CrashSimMedia.CrashPoint cp, MemorySegment buf, Store.Context imageCtx) {
        fences++;
        if (stop || sampler.nextInt(SAMPLE) != 0) {
            return;
        }
        cp.unpersistedWords(); // the scan of the live segment, before what may be in it is read
        int[] required = new int[SLOTS];
        int[] upTo = new int[SLOTS];
        for (int s = 0; s < SLOTS; s++) {
            required[s] = slots[s].acked;
        }
        List<List<State>> candidates = new ArrayList<>();
        for (int s = 0; s < SLOTS; s++) {
            upTo[s] = slots[s].started;
            candidates.add(slots[s].range(required[s], upTo[s]));
        }
        String who = Thread.currentThread().getName();
        points++;
        if (who.startsWith("ferrite-checkpoint")) {
            pointsAtCheckpointer++;
        }
        for (int i = 0; i < IMAGES_PER_POINT; i++) {
            long imageSeed = seed * 1_000_003L + cp.fence() * 131L + i;
            String ctx = "fence " + cp.fence() + " on " + who + ", image seed " + imageSeed;
            try {
                cp.writeImage(new Random(imageSeed), buf);
                Store r;
                try {
                    r = Store.open(Media.wrap(buf), imageCtx);
                } catch (RuntimeException e) {
                    throw new AssertionError(ctx + ": the image does not recover", e);
                }
                try {
                    check(r, required, upTo, candidates, ctx);
                } finally {
                    r.heap().crashForTesting();
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

    /** Each slot's part equals one of its candidate states (or, with none given, its state {@code upTo}). */
    private void check(Store r, int[] required, int[] upTo, List<List<State>> candidates, String ctx) {
        Collections c = new Collections(r);
        State[] parts = c.parts();
        for (int s = 0; s < SLOTS; s++) {
            State got = parts[s];
            List<State> want = candidates == null ? List.of(slots[s].state(upTo[s])) : candidates.get(s);
            boolean found = false;
            for (State w : want) {
                found |= w.equals(got);
            }
            if (!found) {
                State first = want.get(0);
                fail(ctx + ": slot " + s + "'s part of the collections matches none of its states after operations "
                        + required[s] + ".." + upTo[s] + " (an acknowledged operation lost, or one visible in part);\n got "
                        + describe(got) + "\n after " + required[s] + ": " + describe(first));
            }
        }
        assertEquals(new HashMap<>(c.accounts).size(), c.accounts.size(), ctx + ": accounts size count");
        assertEquals(new HashMap<>(c.blobs).size(), c.blobs.size(), ctx + ": blobs size count");
        assertEquals(new TreeMap<>(c.journal).size(), c.journal.size(), ctx + ": journal size count");
        String leak = Reachability.leaks(r);
        assertNull(leak, ctx + ": allocated but unreachable objects: " + leak);
        VerifyReport v = r.heap().verifyPointers();
        assertTrue(v.isClean(), ctx + ": " + v);
    }

    private static String describe(State s) {
        return "accounts " + new TreeMap<>(s.accounts()) + ", blobs " + new TreeMap<>(s.blobs()) + ", journal " + s.journal()
                + ", queue " + s.queue();
    }

    // ------------------------------------------------------------------ the workload

    private void drive(Collections c, Slot slot, long deadline) {
        int life = 0;
        while (!stop && System.nanoTime() - deadline < 0) {
            Random rnd = new Random(seed ^ (slot.index * 7_919L + life * 104_729L));
            Thread t = new Thread(() -> {
                try {
                    live(c, slot, rnd, deadline);
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

    private void live(Collections c, Slot slot, Random rnd, long deadline) {
        int ops = 5 + rnd.nextInt(40);
        for (int i = 0; i < ops && !stop && System.nanoTime() - deadline < 0; i++) {
            operation(c, slot, rnd);
        }
        if (!stop) {
            assertEquals(slot.state(slot.done), c.parts()[slot.index], "live: slot " + slot.index + " after its operation " + slot.done);
        }
    }

    /** One operation (or transaction) of a slot: the model's next state first, then the store. */
    private void operation(Collections c, Slot slot, Random rnd) {
        int s = slot.index;
        int k = slot.done + 1;
        State next = slot.state(slot.done).copy();
        String acct = "s" + s + "-a" + rnd.nextInt(ACCOUNTS);
        String blob = "s" + s + "-b" + rnd.nextInt(BLOBS);
        long jk = journalKey(s, rnd.nextInt(300));
        Runnable action;
        boolean tx = false;
        int kind = slot.mustFree ? -1 : rnd.nextInt(11);
        switch (kind) {
            case -1 -> {
                // after a full heap: drop half of this slot's blobs, in one transaction
                List<String> victims = new ArrayList<>(next.blobs().keySet());
                victims = victims.subList(0, (victims.size() + 1) / 2);
                victims.forEach(next.blobs()::remove);
                List<String> vs = List.copyOf(victims);
                action = () -> c.store.inTransaction(t -> vs.forEach(c.blobs::remove));
                tx = true;
            }
            case 0, 1 -> {
                long v = rnd.nextInt(1_000_000);
                next.accounts().put(acct, v);
                action = () -> c.accounts.set(acct, v);
            }
            case 2 -> {
                next.accounts().remove(acct);
                action = () -> c.accounts.remove(acct);
            }
            case 3 -> {
                String v = "j" + k;
                next.journal().put(jk, v);
                action = () -> c.journal.set(jk, v);
            }
            case 4 -> {
                next.journal().remove(jk);
                action = () -> c.journal.remove(jk);
            }
            case 5 -> {
                PersistentList<String> q = c.queues.get(s);
                if (next.queue().isEmpty() || next.queue().size() < 40 && rnd.nextBoolean()) {
                    String e = "q" + k;
                    next.queue().add(e);
                    action = () -> q.addLast(e);
                } else {
                    next.queue().removeFirst();
                    action = q::pollFirst;
                }
            }
            case 6, 7 -> {
                next.blobs().put(blob, k);
                byte[] bytes = blobBytes(blob, k);
                action = () -> c.blobs.set(blob, bytes);
            }
            case 8 -> {
                next.blobs().remove(blob);
                action = () -> c.blobs.remove(blob);
            }
            case 9 -> {
                // a transfer journaled in the sorted map and the slot's list: all or nothing
                String to = "s" + s + "-a" + rnd.nextInt(ACCOUNTS);
                long amount = rnd.nextInt(100);
                next.accounts().put(acct, next.accounts().getOrDefault(acct, 1000L) - amount);
                next.accounts().put(to, next.accounts().getOrDefault(to, 1000L) + amount);
                String entry = acct + "->" + to + ":" + amount;
                next.journal().put(jk, entry);
                next.queue().add("t" + k);
                PersistentList<String> q = c.queues.get(s);
                action = () -> c.store.inTransaction(t -> {
                    c.accounts.put(acct, c.accounts.getOrDefault(acct, 1000L) - amount);
                    c.accounts.put(to, c.accounts.getOrDefault(to, 1000L) + amount);
                    c.journal.put(jk, entry);
                    q.addLast("t" + k);
                });
                tx = true;
            }
            default -> {
                // a bulk insert of new keys (the map grows: bucket splits) with a blob
                List<String> ks = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    ks.add("s" + s + "-bulk-" + k + "-" + i);
                    next.accounts().put(ks.get(i), (long) i);
                }
                next.blobs().put(blob, k);
                byte[] bytes = blobBytes(blob, k);
                action = () -> c.store.inTransaction(t -> {
                    for (int i = 0; i < ks.size(); i++) {
                        c.accounts.set(ks.get(i), (long) i);
                    }
                    c.blobs.set(blob, bytes);
                });
                tx = true;
            }
        }
        slot.put(k, next);
        slot.started = k;
        try {
            action.run();
        } catch (HeapFullException e) {
            heapFull.incrementAndGet();
            slot.mustFree = true;
            return;
        }
        slot.done = k;
        slot.mustFree = false;
        slot.acknowledge(k);
        operations.incrementAndGet();
        if (tx) {
            transactions.incrementAndGet();
        }
    }

    static long journalKey(int slot, int n) {
        return slot * 1_000_000L + n;
    }

    /** A blob's bytes: its length and content follow from its key and the operation that wrote it. */
    static byte[] blobBytes(String key, int op) {
        long h = key.hashCode() * 0x9E3779B97F4A7C15L + op;
        int len = 500 + (int) Math.floorMod(h >>> 20, 7_000L);
        byte[] b = new byte[len];
        b[0] = (byte) op;
        b[1] = (byte) (op >>> 8);
        b[2] = (byte) (op >>> 16);
        b[3] = (byte) (op >>> 24);
        for (int i = 4; i < len; i++) {
            b[i] = (byte) (h + i * 31L);
        }
        return b;
    }

    /** The operation that wrote a blob, checked against the bytes it must hold. */
    static int opOf(String key, byte[] b) {
        assertTrue(b.length >= 4, "blob " + key + " is " + b.length + " bytes");
        int op = (b[0] & 0xFF) | (b[1] & 0xFF) << 8 | (b[2] & 0xFF) << 16 | (b[3] & 0xFF) << 24;
        assertArrayEquals(blobBytes(key, op), b, "blob " + key + " (written by operation " + op + ")");
        return op;
    }
}
