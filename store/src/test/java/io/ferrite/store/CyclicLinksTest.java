package io.ferrite.store;

import static io.ferrite.store.StoreTypes.*;
import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.pheap.PField;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Links that lead back to an earlier, allocated and valid node (a cycle a bad write or a bit flip
 * can leave): every walk of every collection must end with a {@link CorruptedEntryException}
 * naming the collection, never loop. The walks are bounded by the collection's size, its levels,
 * or the number of nodes the pool can hold. The timeout is only there so that an unbounded walk
 * fails the test instead of hanging the build; a bounded walk ends in milliseconds.
 */
class CyclicLinksTest {
    private static final Duration HANG = Duration.ofSeconds(20);

    /** Rewrites a pointer field in applied memory, as damage on media would leave it. */
    private static void link(Store s, long obj, PField f, long target) {
        s.mem.seg.set(Mem.U64, obj + f.offset(), target == 0 ? 0 : s.mem.base + target);
    }

    private static void setLong(Store s, long obj, PField f, long v) {
        s.mem.seg.set(Mem.U64, obj + f.offset(), v);
    }

    /** The directory entry of {@code name}'s object (its header offset through {@code f}). */
    private static long header(Store s, String name, PField f) {
        long d = s.mem.ptr(s.heap().root(ROOT).offset(), ROOT_DIR);
        for (int i = 0; d > 0 && i < 1000; i++, d = s.mem.ptr(d, DENT_NEXT)) {
            byte[] e = s.mem.blob(s.mem.ptr(d, DENT_NAME));
            String n = new String(e, EntryDescriptor.valueOffset(e), EntryDescriptor.valueLength(e), java.nio.charset.StandardCharsets.UTF_8);
            if (n.equals(name)) {
                return s.mem.ptr(d, f);
            }
        }
        throw new AssertionError("no directory entry " + name);
    }

    private static void assertCorrupted(String collection, Executable op) {
        CorruptedEntryException e = assertTimeoutPreemptively(HANG, () -> assertThrows(CorruptedEntryException.class, op));
        assertEquals(collection, e.collection(), e.getMessage());
        assertTrue(e.getMessage().contains("ferrite check"), e.getMessage());
    }

    private static <T> T quick(Supplier<T> op) {
        return assertTimeoutPreemptively(HANG, op::get);
    }

    private static PersistentSortedMap<Long, String> sorted(Store s, int n) {
        PersistentSortedMap<Long, String> m = s.sortedMap("ledger", Long.class, String.class);
        for (long i = 0; i < n; i++) {
            m.put(i * 10, "v" + i);
        }
        return m;
    }

    /** The nodes of the "ledger" skip list's level {@code level}, in order, from the head. */
    private static List<Long> levelNodes(Store s, int level) {
        long shdr = header(s, "ledger", DENT_SMAP);
        List<Long> out = new ArrayList<>();
        for (long x = s.mem.ptr(s.mem.ptr(shdr, SHDR_HEAD), SNODE_NEXT[level]); x > 0 && out.size() < 100_000;
                x = s.mem.ptr(x, SNODE_NEXT[level])) {
            out.add(x);
        }
        return out;
    }

    @Test
    void aSkipListLevel0LinkBackToAnEarlierNodeIsReportedNotFollowed() {
        try (TestPools p = new TestPools("cycle-s0"); Store s = p.create(TestPools.context())) {
            PersistentSortedMap<Long, String> m = sorted(s, 100);
            List<Long> l0 = levelNodes(s, 0);
            link(s, l0.get(99), SNODE_NEXT[0], l0.get(0));
            assertEquals("v5", quick(() -> m.get(50L)), "keys before the loop still read");
            assertCorrupted("ledger", () -> m.get(5000L));
            assertCorrupted("ledger", m::lastKey);
            assertCorrupted("ledger", () -> m.ceilingKey(991L));
            assertCorrupted("ledger", () -> new ArrayList<>(m.entrySet()));
            assertCorrupted("ledger", () -> m.keys(0L, null));
            assertCorrupted("ledger", () -> m.put(5000L, "x"));
            assertCorrupted("ledger", () -> s.inTransaction(tx -> m.get(5000L)));
            assertCorrupted("ledger", m::clear);
        }
    }

    @Test
    void aSkipListUpperLevelLinkBackIsReportedNotFollowed() {
        try (TestPools p = new TestPools("cycle-s1"); Store s = p.create(TestPools.context())) {
            PersistentSortedMap<Long, String> m = sorted(s, 400);
            List<Long> l1 = levelNodes(s, 1);
            link(s, l1.get(l1.size() - 1), SNODE_NEXT[1], l1.get(0));
            assertCorrupted("ledger", () -> m.get(100_000L));
            assertCorrupted("ledger", m::lastKey);
            assertCorrupted("ledger", () -> m.floorKey(100_000L));
        }
    }

    @Test
    void aSkipListWhoseNodesLoopWithinABatchIsReportedBeforeRepeatingKeys() {
        try (TestPools p = new TestPools("cycle-s2"); Store s = p.create(TestPools.context())) {
            PersistentSortedMap<Long, String> m = sorted(s, 20);
            List<Long> l0 = levelNodes(s, 0);
            link(s, l0.get(10), SNODE_NEXT[0], l0.get(3));
            // an iterator must not hand out keys 30..100 twice before failing
            List<Long> seen = new ArrayList<>();
            assertCorrupted("ledger", () -> m.range(null, null).forEach(e -> seen.add(e.getKey())));
            assertEquals(seen.size(), seen.stream().distinct().count(), "no key returned twice: " + seen);
        }
    }

    /** A key absent from {@code m} whose bucket is {@code bucket}. */
    private static String absentKeyIn(PersistentMap<String, String> m, long bucket) {
        for (int i = 0; i < 1_000_000; i++) {
            String k = "absent-" + i;
            if (PersistentMap.bucketOf(PersistentMap.hash(Codecs.STRING.encode(k)), currentLp(m)) == bucket && m.get(k) == null) {
                return k;
            }
        }
        throw new AssertionError("no key found for bucket " + bucket);
    }

    private static long currentLp(PersistentMap<String, String> m) {
        long n = m.bucketCount();
        int level = 63 - Long.numberOfLeadingZeros(n);
        return ((long) level << 32) | (n - (1L << level));
    }

    @Test
    void aHashChainLinkBackToItsHeadIsReportedNotFollowed() {
        try (TestPools p = new TestPools("cycle-h"); Store s = p.create(TestPools.context())) {
            PersistentMap<String, String> m = s.map("users", String.class, String.class);
            for (int i = 0; i < 600; i++) {
                m.put("user-" + i, "v" + i);
            }
            String victim = "user-7";
            long lp = currentLp(m);
            long b = PersistentMap.bucketOf(PersistentMap.hash(Codecs.STRING.encode(victim)), lp);
            long hmap = header(s, "users", DENT_HMAP);
            long d1 = s.mem.ptr(hmap, HMAP_DIR);
            int pi = (int) (b >>> PAGE_BITS);
            long d2 = s.mem.ptr(d1, DIR1_SLOT[pi / DIR2_FANOUT]);
            long page = s.mem.ptr(d2, DIR2_SLOT[pi % DIR2_FANOUT]);
            long head = s.mem.ptr(page, BKT_SLOT[(int) (b & (PAGE_BUCKETS - 1))]);
            long last = head;
            while (s.mem.ptr(last, HNODE_NEXT) != 0) {
                last = s.mem.ptr(last, HNODE_NEXT);
            }
            String absent = absentKeyIn(m, b);
            link(s, last, HNODE_NEXT, head);
            assertCorrupted("users", () -> m.get(absent));
            assertCorrupted("users", () -> m.put(absent, "x"));
            assertCorrupted("users", () -> s.inTransaction(tx -> m.get(absent)));
            assertCorrupted("users", () -> new ArrayList<>(m.entrySet()));
            assertCorrupted("users", () -> s.inTransaction(tx -> new ArrayList<>(m.keySet())));
            assertCorrupted("users", m::clear);
            assertCorrupted("users", () -> s.inTransaction(tx -> m.clear()));
        }
    }

    @Test
    void aListLinkBackToItsHeadIsReportedNotFollowed() {
        try (TestPools p = new TestPools("cycle-l"); Store s = p.create(TestPools.context())) {
            PersistentList<String> l = s.list("queue", String.class);
            for (int i = 0; i < 10; i++) {
                l.add("e" + i);
            }
            long lhdr = header(s, "queue", DENT_LIST);
            link(s, s.mem.ptr(lhdr, LHDR_TAIL), LNODE_NEXT, s.mem.ptr(lhdr, LHDR_HEAD));
            assertCorrupted("queue", l::snapshot);
            assertCorrupted("queue", l::clear);
            assertCorrupted("queue", () -> s.inTransaction(tx -> l.clear()));
            // a size past what the pool can hold, over the same loop: index walks must not follow it
            setLong(s, lhdr, LHDR_SIZE, Long.MAX_VALUE / 2);
            assertCorrupted("queue", () -> l.get(Integer.MAX_VALUE - 1));
            assertCorrupted("queue", l::size);
        }
    }

    @Test
    void aDirectoryLinkBackIsReportedNotFollowed() {
        try (TestPools p = new TestPools("cycle-d"); Store s = p.create(TestPools.context())) {
            s.setRoot("a", 1L);
            s.setRoot("b", 2L);
            s.setRoot("c", 3L);
            long root = s.heap().root(ROOT).offset();
            long dc = s.mem.ptr(root, ROOT_DIR);
            long db = s.mem.ptr(dc, DENT_NEXT);
            link(s, db, DENT_NEXT, db);
            assertCorrupted("<directory>", () -> s.removeRoot("a"));
        }
    }

    @Test
    void aStoreWhoseDirectoryLoopsFailsToOpenNamingTheDirectory() {
        try (TestPools p = new TestPools("cycle-do")) {
            try (Store s = p.create(TestPools.context())) {
                s.setRoot("a", 1L);
                s.setRoot("b", 2L);
                long root = s.heap().root(ROOT).offset();
                long db = s.mem.ptr(root, ROOT_DIR);
                long da = s.mem.ptr(db, DENT_NEXT);
                link(s, da, DENT_NEXT, db);
            }
            CorruptedEntryException e = assertTimeoutPreemptively(HANG,
                    () -> assertThrows(CorruptedEntryException.class, () -> p.open(TestPools.context()).close()));
            assertEquals("<directory>", e.collection());
            assertTrue(e.getMessage().contains("loop") || e.getMessage().contains("twice"), e.getMessage());
        }
    }
}
