package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.swizzle.BadPointer;
import io.ferrite.swizzle.Pointers;
import io.ferrite.swizzle.RecordedBaseDescriptor;
import io.ferrite.swizzle.VerifyReport;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Relocation at open (docs/swizzling.md): random object graphs built through transactions
 * (cycles, self-pointers, nulls, pointers across slabs, into large objects that span slabs, from
 * a large object's continuation slab, and to blobs) are reopened many times at another base:
 * forced away from the recorded base, at a chosen base whose range overlaps the old one, after a
 * clean close and after a crash whose log is replayed at the new base before the swizzle. After
 * every reopen the logical graph (objects named by their pool offsets, field values, blob
 * contents) equals the model and {@link Heap#verifyPointers()} is clean.
 */
class HeapRelocationTest {
    static final int SLAB = 64 * 1024;
    static final long SIZE = 24L << 20;
    static final PType NODE = PType.builder("RNode").int64("id").pointer("a", "RNode").int64("val").pointer("b", "RNode")
            .pointer("big", "RBig").pointer("data", PType.ANY_BLOB).build();
    static final PField ID = NODE.field("id");
    static final PField A = NODE.field("a");
    static final PField VAL = NODE.field("val");
    static final PField B = NODE.field("b");
    static final PField BIG = NODE.field("big");
    static final PField DATA = NODE.field("data");
    /** A large object: its pointer lies in the second slab of its run. */
    static final PType BIGT = PType.builder("RBig").pointer("head", "RNode").bytes("pad", 90_000).pointer("tail", "RNode")
            .int64("id").build();
    static final PField HEAD = BIGT.field("head");
    static final PField TAIL = BIGT.field("tail");
    static final PField BID = BIGT.field("id");
    static final PType ROOT = PType.builder("RRoot").pointer("first", "RNode").pointer("big", "RBig").int64("n").build();
    static final PField FIRST = ROOT.field("first");
    static final PField RBIG = ROOT.field("big");

    /** The model: per object (pool offset) its fields; pointers as target offsets (0 = null). */
    static final class Obj {
        long id;
        long val;
        long a;
        long b;
        long big;
        long data;
        byte[] bytes;
    }

    final Map<Long, Obj> nodes = new HashMap<>();
    final Map<Long, Obj> bigs = new HashMap<>();
    final List<Long> nodeList = new ArrayList<>();
    final List<Long> bigList = new ArrayList<>();
    long nextId = 1;

    static HeapOptions options() {
        return HeapOptions.defaults().slabSize(SLAB).logCapacity(2L << 20).checkpointInterval(java.time.Duration.ZERO);
    }

    static long off(Ref r) {
        return r == null ? 0 : r.offset();
    }

    Ref node(Heap h, long off) {
        return off == 0 ? null : new Ref(off, NODE);
    }

    Ref big(Heap h, long off) {
        return off == 0 ? null : new Ref(off, BIGT);
    }

    /** One random transaction against heap and model. */
    void mutate(Heap h, Random rnd, int ops) {
        try (Tx tx = h.begin()) {
            Ref root = tx.root(ROOT);
            for (int i = 0; i < ops; i++) {
                int k = rnd.nextInt(100);
                if (k < 35 || nodeList.size() < 4) {
                    Ref n = tx.allocate(NODE);
                    Obj o = new Obj();
                    o.id = nextId++;
                    tx.setLong(n, ID, o.id);
                    nodes.put(n.offset(), o);
                    nodeList.add(n.offset());
                    if (rnd.nextInt(4) == 0) {
                        byte[] b = new byte[rnd.nextInt(8) == 0 ? 70_000 + rnd.nextInt(30_000) : rnd.nextInt(300)];
                        rnd.nextBytes(b);
                        Ref d = tx.allocateBytes(b);
                        tx.setRef(n, DATA, d);
                        o.data = d.offset();
                        o.bytes = b;
                    }
                } else if (k < 37 || bigList.isEmpty()) {
                    Ref g = tx.allocate(BIGT);
                    Obj o = new Obj();
                    o.id = nextId++;
                    tx.setLong(g, BID, o.id);
                    bigs.put(g.offset(), o);
                    bigList.add(g.offset());
                } else if (k < 80) {
                    long from = nodeList.get(rnd.nextInt(nodeList.size()));
                    Obj o = nodes.get(from);
                    long to = switch (rnd.nextInt(6)) {
                        case 0 -> 0;                                        // null
                        case 1 -> from;                                     // self
                        default -> nodeList.get(rnd.nextInt(nodeList.size())); // anywhere, cycles included
                    };
                    if (rnd.nextBoolean()) {
                        tx.setRef(node(h, from), A, node(h, to));
                        o.a = to;
                    } else {
                        tx.setRef(node(h, from), B, node(h, to));
                        o.b = to;
                    }
                    long v = rnd.nextLong();
                    tx.setLong(node(h, from), VAL, v);
                    o.val = v;
                } else if (k < 88) {
                    long from = nodeList.get(rnd.nextInt(nodeList.size()));
                    long g = rnd.nextInt(5) == 0 ? 0 : bigList.get(rnd.nextInt(bigList.size()));
                    tx.setRef(node(h, from), BIG, big(h, g));
                    nodes.get(from).big = g;
                } else if (k < 96) {
                    long g = bigList.get(rnd.nextInt(bigList.size()));
                    Obj o = bigs.get(g);
                    long to = nodeList.get(rnd.nextInt(nodeList.size()));
                    if (rnd.nextBoolean()) {
                        tx.setRef(big(h, g), HEAD, node(h, to));
                        o.a = to;
                    } else {
                        tx.setRef(big(h, g), TAIL, node(h, to));
                        o.b = to;
                    }
                } else {
                    // free a node nobody points to any more: unlink it everywhere first
                    long victim = nodeList.get(rnd.nextInt(nodeList.size()));
                    if (victim == nodeList.get(0)) {
                        continue;
                    }
                    for (Map.Entry<Long, Obj> e : nodes.entrySet()) {
                        Obj o = e.getValue();
                        if (o.a == victim) {
                            tx.setRef(node(h, e.getKey()), A, null);
                            o.a = 0;
                        }
                        if (o.b == victim) {
                            tx.setRef(node(h, e.getKey()), B, null);
                            o.b = 0;
                        }
                    }
                    for (Map.Entry<Long, Obj> e : bigs.entrySet()) {
                        Obj o = e.getValue();
                        if (o.a == victim) {
                            tx.setRef(big(h, e.getKey()), HEAD, null);
                            o.a = 0;
                        }
                        if (o.b == victim) {
                            tx.setRef(big(h, e.getKey()), TAIL, null);
                            o.b = 0;
                        }
                    }
                    Obj v = nodes.remove(victim);
                    nodeList.remove(victim);
                    if (v.data != 0) {
                        tx.free(new Ref(v.data, h.ref(v.data).type()));
                    }
                    tx.free(node(h, victim));
                }
            }
            tx.setRef(root, FIRST, node(h, nodeList.get(0)));
            tx.setRef(root, RBIG, big(h, bigList.isEmpty() ? 0 : bigList.get(0)));
            tx.commit();
        }
    }

    /** The heap's logical graph equals the model. */
    void assertGraph(Heap h, String ctx) {
        Ref root = h.root(ROOT);
        assertEquals(nodeList.get(0).longValue(), off(h.getRef(root, FIRST)), ctx + ": root.first");
        assertEquals(bigList.isEmpty() ? 0 : bigList.get(0), off(h.getRef(root, RBIG)), ctx + ": root.big");
        try (Tx tx = h.begin()) {
            for (Map.Entry<Long, Obj> e : nodes.entrySet()) {
                Ref n = node(h, e.getKey());
                Obj o = e.getValue();
                assertTrue(h.isAllocated(n), ctx + ": node " + o.id + " allocated");
                assertEquals(o.id, h.getLong(n, ID), ctx + ": node id");
                assertEquals(o.val, h.getLong(n, VAL), ctx + ": node " + o.id + " val");
                assertEquals(o.a, off(h.getRef(n, A)), ctx + ": node " + o.id + " a");
                assertEquals(o.b, off(h.getRef(n, B)), ctx + ": node " + o.id + " b");
                assertEquals(o.big, off(h.getRef(n, BIG)), ctx + ": node " + o.id + " big");
                Ref d = h.getRef(n, DATA);
                assertEquals(o.data, off(d), ctx + ": node " + o.id + " data");
                if (d != null) {
                    assertArrayEquals(o.bytes, tx.getBytes(d), ctx + ": node " + o.id + " blob");
                }
            }
            for (Map.Entry<Long, Obj> e : bigs.entrySet()) {
                Ref g = big(h, e.getKey());
                Obj o = e.getValue();
                assertEquals(o.id, h.getLong(g, BID), ctx + ": big id");
                assertEquals(o.a, off(h.getRef(g, HEAD)), ctx + ": big " + o.id + " head");
                assertEquals(o.b, off(h.getRef(g, TAIL)), ctx + ": big " + o.id + " tail");
            }
        }
        VerifyReport v = h.verifyPointers();
        assertTrue(v.isClean(), ctx + ": " + v + " " + v.problems());
        assertEquals(0, v.slabsNotAtBase(), ctx);
        // every slab with objects is AT(the mapping base), and so is the pool base
        PoolSwizzleView view = PoolSwizzleView.of(h);
        for (int s = 0; s < view.slabCount(); s++) {
            if (view.slabType(s) >= 0) {
                assertEquals(RecordedBaseDescriptor.at(h.baseAddress()), view.recordedBase(s), ctx + ": slab " + s);
            }
        }
        assertEquals(h.baseAddress(), h.superblock().baseAddress(), ctx + ": pool base");
        assertEquals(h.media().baseAddress(), h.baseAddress());
    }

    @Test
    void randomGraphsSurviveManyRelocations() {
        long seed = Long.getLong("ferrite.test.seed", System.nanoTime());
        System.out.println("HeapRelocationTest seed=" + seed + " (rerun with -Dferrite.test.seed=" + seed + ")");
        Random rnd = new Random(seed);
        int rounds = 16;
        int moved = 0;
        int overlapping = 0;
        int afterCrash = 0;
        long pointers = 0;
        try (Pools p = new Pools("reloc")) {
            Heap h = Heap.create(p.path, SIZE, options());
            for (int i = 0; i < 30; i++) {
                mutate(h, rnd, 40);
            }
            assertGraph(h, "created");
            for (int r = 0; r < rounds; r++) {
                long oldBase = h.baseAddress();
                boolean crash = r % 3 == 1;
                // changes since the last checkpoint: on a crash, their log is replayed at the new base
                for (int i = 0; i < 1 + rnd.nextInt(6); i++) {
                    mutate(h, rnd, 20);
                }
                if (crash) {
                    h.crashForTesting();
                } else {
                    h.close();
                }
                HeapOptions o = options().swizzleParallelism(1 + rnd.nextInt(2)).forceRelocation(true);
                switch (r % 4) {
                    case 0 -> { } // wherever the kernel puts it (top-down, among the JVM's mappings)
                    case 1 -> o.addressHint(PoolFiles.createAddressHint()); // far away, in the quiet high range
                    default -> { // a range that overlaps the old one (free: the old range was unmapped)
                        long shift = ((SIZE / 4 + rnd.nextInt((int) (SIZE / 2))) & ~4095L) * (rnd.nextBoolean() ? 1 : -1);
                        o.addressHint(oldBase + shift);
                    }
                }
                h = Heap.open(p.path, o);
                String ctx = "seed " + seed + " round " + r + (crash ? " after a crash" : "") + String.format(" 0x%x -> 0x%x",
                        oldBase, h.baseAddress());
                RecoveryReport rep = h.recoveryReport();
                assertNotEquals(oldBase, h.baseAddress(), ctx);
                assertTrue(rep.relocated(), ctx + ": " + rep);
                assertEquals(oldBase, rep.swizzle().fromBase(), ctx);
                assertEquals(h.baseAddress(), rep.swizzle().toBase(), ctx);
                assertTrue(rep.swizzle().pointers() > 0 && rep.swizzle().objects() > 0, ctx + ": " + rep);
                assertEquals(0, rep.swizzle().suspectWords(), ctx);
                if (crash) {
                    assertTrue(rep.recordsReplayed() > 0, ctx + ": " + rep);
                    afterCrash++;
                }
                moved++;
                pointers += rep.swizzle().pointers();
                if (Math.abs(h.baseAddress() - oldBase) < SIZE) {
                    overlapping++;
                    assertTrue(rep.swizzle().twoPassSlabs() > 0, ctx + ": overlapping ranges take two passes: " + rep.swizzle());
                }
                assertGraph(h, ctx);
            }
            // a plain reopen maps at the recorded base again: nothing to swizzle
            long b = h.baseAddress();
            h.close();
            h = Heap.open(p.path, options());
            if (h.baseAddress() == b) {
                assertFalse(h.recoveryReport().relocated(), h.recoveryReport().toString());
            }
            assertGraph(h, "plain reopen");
            h.close();
        }
        System.out.printf("heap relocation: %d reopens at another base (%d overlapping the old range, %d after a crash), "
                + "%,d pointers rewritten, %d objects in the graph%n", moved, overlapping, afterCrash, pointers,
                nodes.size() + bigs.size());
        assertTrue(overlapping >= rounds / 4, "overlapping relocations: " + overlapping);
    }

    @Test
    void garbageInPointerFieldsIsReported() {
        Random rnd = new Random(Long.getLong("ferrite.test.seed", 7));
        try (Pools p = new Pools("garbage")) {
            try (Heap h = Heap.create(p.path, SIZE, options())) {
                for (int i = 0; i < 10; i++) {
                    mutate(h, rnd, 40);
                }
                assertTrue(h.verifyPointers().isClean());
                h.checkpoint(); // no record left that a replay would apply over the garbage
                MemorySegment seg = h.segment();
                long base = h.baseAddress();
                long anyNode = nodeList.get(1);
                long aBig = bigList.get(0);
                long[] garbage = {
                    rnd.nextLong() | 1,                               // not a pointer at all
                    base + anyNode + 8,                               // inside an object
                    base + h.superblock().logOffset(),                // metadata
                    base + aBig,                                      // an RBig where an RNode is declared
                    base + SIZE + 4096,                               // past the pool
                    Pointers.tagged(anyNode),                         // a tagged word after the swizzle finished
                };
                Map<Long, String> corrupted = new HashMap<>();
                Map<Long, Long> where = new HashMap<>();
                for (int i = 0; i < garbage.length; i++) {
                    long victim = nodeList.get(2 + i * 7 % (nodeList.size() - 2));
                    if (where.containsKey(victim)) {
                        continue;
                    }
                    PField f = rnd.nextBoolean() ? A : B;
                    seg.set(java.lang.foreign.ValueLayout.JAVA_LONG, victim + f.offset(), garbage[i]);
                    corrupted.put(victim + f.offset(), f.name());
                    where.put(victim, garbage[i]);
                }
                VerifyReport v = h.verifyPointers();
                assertEquals(corrupted.size(), v.problemCount(), v + " " + v.problems());
                PoolSwizzleView view = PoolSwizzleView.of(h);
                for (BadPointer bp : v.problems()) {
                    assertTrue(corrupted.containsKey(bp.wordOffset()), bp.toString());
                    assertEquals(corrupted.get(bp.wordOffset()), bp.field(), bp.toString());
                    long obj = bp.wordOffset() - NODE.field(bp.field()).offset();
                    int slab = (int) ((obj - view.slabsOffset()) / view.slabSize());
                    assertEquals(slab, bp.slab(), bp.toString());
                    assertEquals((obj - view.objectsOffset(slab)) / view.objectSize(slab), bp.objectIndex(), bp.toString());
                    assertFalse(bp.toString().isEmpty());
                }
                // and a relocation leaves garbage as it is and reports it again
                h.crashForTesting();
            }
            try (Heap h = Heap.open(p.path, options().forceRelocation(true))) {
                assertTrue(h.recoveryReport().relocated());
                VerifyReport v = h.verifyPointers();
                assertTrue(v.problemCount() >= 5, v + " " + v.problems());
                System.out.println("heap garbage: " + v);
            }
        }
    }
}
