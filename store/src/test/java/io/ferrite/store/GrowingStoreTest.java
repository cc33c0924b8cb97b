package io.ferrite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.pheap.HeapOptions;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code Store.create(path, context)} without a size: the pool grows as the store fills, and every entry survives reopen. */
class GrowingStoreTest {
    @Test
    void aStoreCreatedWithoutASizeGrowsAsItFills() throws Exception {
        int entries = 150_000;
        try (TestPools p = new TestPools("growing")) {
            Store.Context ctx = new Store.Context().heapOptions(HeapOptions.defaults()
                    .checkpointInterval(java.time.Duration.ZERO).maxSize(1L << 30));
            List<Long> sizes = new ArrayList<>();
            long base;
            try (Store s = Store.create(p.path, ctx)) {
                base = s.heap().baseAddress();
                sizes.add(s.heap().poolSize());
                PersistentMap<String, String> m = s.map("m", String.class, String.class);
                for (int i = 0; i < entries; i++) {
                    m.put("key-" + i, "value-" + i + "-".repeat(i % 300));
                    long now = s.heap().poolSize();
                    if (now != sizes.get(sizes.size() - 1)) {
                        sizes.add(now);
                    }
                }
                assertEquals(base, s.heap().baseAddress(), "no pointer moves");
                assertEquals("value-7-" + "-".repeat(6), m.get("key-7"));
                assertEquals(s.heap().poolSize(), Files.size(p.path), "the file is the pool, not its maximum");
            }
            assertTrue(sizes.size() >= 3, "grew at least twice: " + sizes);
            try (Store s = Store.open(p.path, ctx)) {
                PersistentMap<String, String> m = s.map("m", String.class, String.class);
                assertEquals(entries, m.size());
                for (int i = 0; i < entries; i += 97) {
                    assertEquals("value-" + i + "-".repeat(i % 300), m.get("key-" + i), "key-" + i);
                }
                assertEquals(sizes.get(sizes.size() - 1), s.heap().poolSize());
            }
            System.out.println("growing store: " + entries + " entries, pool sizes " + sizes + ", checked every 97th after reopen");
        }
    }
}
