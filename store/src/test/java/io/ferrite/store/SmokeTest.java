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
            }
        }
    }
}
