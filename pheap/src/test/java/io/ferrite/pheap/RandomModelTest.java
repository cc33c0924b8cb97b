package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random transactions (allocate, write fields, link and unlink pointers, blobs, free, abort,
 * exceptions) against an in-memory model; the pool is reopened (cleanly or after a crash) at
 * random points and compared with the model in full, including the live object count (no leaks).
 */
class RandomModelTest {
    static final PType NODE = PType.builder("MNode").int64("key").int32("val").pointer("next", "MNode")
            .pointer("data", PType.ANY_BLOB).bytes("tag", 3).build();
    static final PField KEY = NODE.field("key");
    static final PField VAL = NODE.field("val");
    static final PField NEXT = NODE.field("next");
    static final PField DATA = NODE.field("data");
    static final PField TAG = NODE.field("tag");
    static final PType ROOT = PType.builder("MRoot").int64("txs").build();

    static final class M {
        long key;
        int val;
        long next;
        long data;
        byte[] blob;
        byte[] tag = new byte[3];

        M copy() {
            M m = new M();
            m.key = key;
            m.val = val;
            m.next = next;
            m.data = data;
            m.blob = blob;
            m.tag = tag.clone();
            return m;
        }
    }

    @Test
    void randomTransactionsMatchTheModel() {
        long seed = Long.getLong("ferrite.test.seed", System.nanoTime());
        System.out.println("RandomModelTest seed=" + seed + " (rerun with -Dferrite.test.seed=" + seed + ")");
        Random rnd = new Random(seed);
        Map<Long, M> model = new HashMap<>();
        int reopens = 0;
        int crashes = 0;
        int committed = 0;
        int aborted = 0;
        try (Pools p = new Pools("model")) {
            Heap h = p.create();
            try {
                h.root(ROOT);
                for (int t = 0; t < 1500; t++) {
                    Map<Long, M> work = new HashMap<>();
                    for (Map.Entry<Long, M> e : model.entrySet()) {
                        work.put(e.getKey(), e.getValue());
                    }
                    int outcome = rnd.nextInt(20);
                    try (Tx tx = h.begin(rnd.nextInt(4) == 0 ? Durability.ASYNC : Durability.SYNC)) {
                        int ops = 1 + rnd.nextInt(5);
                        for (int o = 0; o < ops; o++) {
                            step(tx, h, rnd, work);
                        }
                        if (outcome == 0) {
                            throw new IllegalStateException("injected");
                        }
                        if (outcome == 1) {
                            tx.abort();
                            aborted++;
                            continue;
                        }
                        tx.commit();
                        committed++;
                        model = work;
                    } catch (IllegalStateException e) {
                        assertEquals("injected", e.getMessage());
                        aborted++;
                    }
                    if (rnd.nextInt(60) == 0) {
                        if (rnd.nextBoolean()) {
                            h.close();
                        } else {
                            // make the last ASYNC commit durable first: SYNC commits are durable on return
                            try (Tx tx = h.begin()) {
                                tx.commit();
                            }
                            h.crashForTesting();
                            crashes++;
                        }
                        h = p.open();
                        reopens++;
                        verify(h, model);
                    }
                }
                verify(h, model);
            } finally {
                h.close();
            }
        }
        System.out.printf("RandomModelTest: %d committed, %d aborted, %d reopens (%d after a crash), %d live nodes%n",
                committed, aborted, reopens, crashes, model.size());
        assertTrue(reopens > 5);
    }

    private static void step(Tx tx, Heap h, Random rnd, Map<Long, M> work) {
        List<Long> keys = new ArrayList<>(work.keySet());
        keys.sort(null);
        int op = keys.isEmpty() ? 0 : rnd.nextInt(6);
        switch (op) {
            case 0 -> {
                Ref r = tx.allocate(NODE);
                M m = new M();
                m.key = rnd.nextLong();
                m.val = rnd.nextInt();
                tx.setLong(r, KEY, m.key);
                tx.setInt(r, VAL, m.val);
                if (rnd.nextBoolean()) {
                    m.blob = blob(rnd);
                    Ref b = tx.allocateBytes(m.blob);
                    m.data = b.offset();
                    tx.setRef(r, DATA, b);
                }
                assertEquals(m.key, tx.getLong(r, KEY));
                assertNull(tx.getRef(r, NEXT));
                work.put(r.offset(), m);
            }
            case 1 -> {
                long off = keys.get(rnd.nextInt(keys.size()));
                Ref r = h.ref(off);
                M m = work.get(off).copy();
                assertEquals(m.key, tx.getLong(r, KEY), "read-your-writes / committed value");
                m.key = rnd.nextLong();
                m.val = rnd.nextInt();
                m.tag = new byte[] {(byte) rnd.nextInt(), (byte) rnd.nextInt(), 0};
                tx.setLong(r, KEY, m.key);
                tx.setInt(r, VAL, m.val);
                tx.setBytes(r, TAG, Arrays.copyOf(m.tag, 2));
                assertArrayEquals(m.tag, tx.getBytes(r, TAG));
                work.put(off, m);
            }
            case 2, 3 -> {
                long off = keys.get(rnd.nextInt(keys.size()));
                long to = rnd.nextInt(4) == 0 ? 0 : keys.get(rnd.nextInt(keys.size()));
                M m = work.get(off).copy();
                m.next = to;
                tx.setRef(h.ref(off), NEXT, to == 0 ? null : h.ref(to));
                assertEquals(to, tx.getRef(h.ref(off), NEXT) == null ? 0 : tx.getRef(h.ref(off), NEXT).offset());
                work.put(off, m);
            }
            case 4 -> {
                long off = keys.get(rnd.nextInt(keys.size()));
                for (long k : keys) {
                    M o = work.get(k);
                    if (o.next == off && k != off) {
                        M c = o.copy();
                        c.next = 0;
                        tx.setRef(h.ref(k), NEXT, null);
                        work.put(k, c);
                    }
                }
                M m = work.remove(off);
                if (m.data != 0) {
                    tx.free(h.ref(m.data));
                }
                tx.free(h.ref(off));
            }
            default -> {
                long off = keys.get(rnd.nextInt(keys.size()));
                M m = work.get(off).copy();
                if (m.data != 0) {
                    tx.free(h.ref(m.data));
                }
                m.blob = blob(rnd);
                Ref b = tx.allocateBytes(m.blob);
                m.data = b.offset();
                tx.setRef(h.ref(off), DATA, b);
                assertArrayEquals(m.blob, tx.getBytes(b));
                work.put(off, m);
            }
        }
    }

    private static byte[] blob(Random rnd) {
        int n = rnd.nextInt(50) == 0 ? 70_000 + rnd.nextInt(10_000) : rnd.nextInt(300);
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    private static void verify(Heap h, Map<Long, M> model) {
        long blobs = 0;
        try (Tx tx = h.begin()) {
            for (Map.Entry<Long, M> e : model.entrySet()) {
                Ref r = h.ref(e.getKey());
                M m = e.getValue();
                assertEquals("MNode", r.type().name());
                assertTrue(h.isAllocated(r), "allocated " + r);
                assertEquals(m.key, tx.getLong(r, KEY));
                assertEquals(m.val, tx.getInt(r, VAL));
                assertArrayEquals(m.tag, tx.getBytes(r, TAG));
                Ref next = tx.getRef(r, NEXT);
                assertEquals(m.next, next == null ? 0 : next.offset());
                if (next != null) {
                    assertTrue(model.containsKey(next.offset()) && h.isAllocated(next));
                }
                Ref d = tx.getRef(r, DATA);
                assertEquals(m.data, d == null ? 0 : d.offset());
                if (d != null) {
                    blobs++;
                    assertTrue(h.isAllocated(d));
                    assertTrue(d.type().isBlob());
                    assertArrayEquals(m.blob, tx.getBytes(d));
                }
            }
        }
        assertEquals(model.size() + blobs + 1, h.stats().liveObjects(), "live objects = nodes + blobs + root (no leak)");
    }
}
