package io.ferrite.store;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void mapSortedListRoundTripAndReopen() {
        try (TestPools p = new TestPools("smoke")) {
            try (Store s = p.create(TestPools.context())) {
                PersistentMap<String, Long> m = s.map("m", String.class, Long.class);
                for (long i = 0; i < 2000; i++) {
                    assertNull(m.put("k" + i, i));
                }
                assertEquals(2000, m.size());
                assertEquals(7L, m.get("k7"));
                assertEquals(7L, m.remove("k7"));
                assertNull(m.get("k7"));
                PersistentSortedMap<Long, String> sm = s.sortedMap("s", Long.class, String.class);
                for (long i = 100; i > 0; i--) {
                    sm.put(i, "v" + i);
                }
                assertEquals(1L, sm.firstKey());
                assertEquals(100L, sm.lastKey());
                assertEquals(java.util.List.of(10L, 11L, 12L), sm.keys(10L, 13L));
                PersistentList<String> l = s.list("l", String.class);
                l.addLast("b");
                l.addFirst("a");
                l.add("c");
                assertEquals(java.util.List.of("a", "b", "c"), l.snapshot());
                s.setRoot("config", "hello");
            }
            try (Store s = p.open(TestPools.context())) {
                PersistentMap<String, Long> m = s.map("m", String.class, Long.class);
                assertEquals(1999, m.size());
                for (long i = 0; i < 2000; i++) {
                    assertEquals(i == 7 ? null : i, m.get("k" + i));
                }
                assertEquals(1999, m.entrySet().stream().count());
                assertEquals("v5", s.sortedMap("s", Long.class, String.class).get(5L));
                assertEquals("c", s.list("l", String.class).peekLast());
                assertEquals("hello", s.getRoot("config", String.class));
                s.setRoot("config", 42L);
                assertEquals(42L, s.getRoot("config", Long.class));
                assertThrows(CodecException.class, () -> s.getRoot("config", String.class));
                s.setRoot("other", "x");
                assertTrue(s.names().containsAll(java.util.Set.of("m", "s", "l", "config", "other")));
                assertThrows(StoreException.class, () -> s.removeRoot("m"));
                assertTrue(s.removeRoot("config"));
                assertFalse(s.removeRoot("config"));
                assertNull(s.getRoot("config", Long.class));
                s.inTransaction(tx -> {
                    s.setRoot("other", "y");
                    s.map("m", String.class, Long.class).put("k7", 77L);
                });
            }
            try (Store s = p.open(TestPools.context())) {
                assertFalse(s.names().contains("config"));
                assertEquals("y", s.getRoot("other", String.class));
                assertEquals(77L, s.map("m", String.class, Long.class).get("k7"));
                assertThrows(IllegalStateException.class, () -> s.inTransaction(tx -> s.map("new-in-tx", String.class, String.class)));
                StoreException kind = assertThrows(StoreException.class, () -> s.sortedMap("m", String.class, Long.class));
                assertTrue(kind.getMessage().contains("map string -> int64"), kind.getMessage());
            }
        }
    }

    @Test
    void aPlainHeapPoolIsNotTakenForAStore() {
        try (TestPools p = new TestPools("not-a-store")) {
            io.ferrite.pheap.PType mine = io.ferrite.pheap.PType.builder("AppRoot").int64("x").build();
            try (io.ferrite.pheap.Heap h = io.ferrite.pheap.Heap.create(p.path, TestPools.SIZE, TestPools.heapOptions())) {
                h.root(mine);
            }
            StoreException e = assertThrows(StoreException.class, () -> p.open(TestPools.context()));
            assertTrue(e.getMessage().contains("is not an object store") && e.getMessage().contains("AppRoot"), e.getMessage());
        }
    }
}
