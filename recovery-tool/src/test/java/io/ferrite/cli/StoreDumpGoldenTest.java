package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.store.PersistentList;
import io.ferrite.store.PersistentMap;
import io.ferrite.store.PersistentSortedMap;
import io.ferrite.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code ferrite dump --store} against golden files (text and JSON) in src/test/resources/golden,
 * on a store with every kind of collection, native and Kryo codecs, and a named value; and its
 * order: two stores with the same contents written in different orders (so with different bucket
 * split histories) print the same dump. Update the files as {@link GoldenTest} says.
 */
class StoreDumpGoldenTest {
    record Order(String item, long qty) {
    }

    static Path a;
    static Path b;

    @BeforeAll
    static void make() {
        a = TestPools.fresh("store-dump-a");
        b = TestPools.fresh("store-dump-b");
        fill(a, false);
        fill(b, true);
    }

    @AfterAll
    static void remove() {
        TestPools.delete(a);
        TestPools.delete(b);
    }

    /** The same contents; {@code reverse} writes them in the opposite order, with extra keys added and removed. */
    static void fill(Path p, boolean reverse) {
        Store.Context ctx = new Store.Context().heapOptions(TestPools.options()).register(Order.class, 100);
        try (Store s = Store.create(p, StoreCheckFuzzTest.SIZE, ctx)) {
            PersistentMap<String, Long> balances = s.map("balances", String.class, Long.class);
            PersistentMap<Long, Order> orders = s.map("orders", Long.class, Order.class);
            PersistentSortedMap<Long, String> ledger = s.sortedMap("ledger", Long.class, String.class);
            PersistentList<String> journal = s.list("journal", String.class);
            PersistentMap<byte[], byte[]> raw = s.map("raw", byte[].class, byte[].class);
            for (int k = 0; k < 40; k++) {
                int i = reverse ? 39 - k : k;
                balances.put("acct-" + i, 100L * i);
                ledger.put((long) i * 7, "entry " + i);
                if (i < 3) {
                    orders.put((long) i, new Order("item-" + i, i));
                    raw.put(new byte[] {(byte) i, (byte) 0xff}, new byte[] {(byte) 0xca, (byte) 0xfe, (byte) i});
                }
            }
            if (reverse) {
                for (int i = 100; i < 400; i++) {
                    balances.put("extra-" + i, 1L);
                }
                for (int i = 100; i < 400; i++) {
                    balances.remove("extra-" + i);
                }
            }
            journal.addAll(java.util.List.of("opened", "tab\there", "closed"));
            s.setRoot("config", "v1");
        }
    }

    private static void golden(String name, String... args) throws IOException {
        TestPools.Run r = TestPools.run(args);
        assertEquals(0, r.exit(), r.toString());
        String got = GoldenTest.mask(r.out()).replace(a.toString(), "<pool>");
        Path file = GoldenTest.GOLDEN.resolve(name);
        if (Boolean.getBoolean("ferrite.golden.update")) {
            Files.createDirectories(GoldenTest.GOLDEN);
            Files.writeString(file, got);
        }
        assertEquals(Files.readString(file), got, "output differs from " + file + " (see GoldenTest's comment to accept a change)");
    }

    @Test
    void text() throws IOException {
        golden("dump-store.txt", "dump", "--store", "--limit", "5", a.toString());
    }

    @Test
    void json() throws IOException {
        golden("dump-store.json", "dump", "--store", "--json", "--limit", "5", a.toString());
    }

    @Test
    void oneCollection() throws IOException {
        golden("dump-store-journal.txt", "dump", "--store", "--collection", "journal", a.toString());
    }

    @Test
    void sameContentsPrintTheSameDump() {
        TestPools.Run ra = TestPools.run("dump", "--store", a.toString());
        TestPools.Run rb = TestPools.run("dump", "--store", b.toString());
        assertEquals(0, ra.exit(), ra.toString());
        assertEquals(ra.out(), rb.out(), "two stores with the same contents, written in different orders");
        System.out.println("StoreDumpGoldenTest: " + ra.out().lines().count() + " dump lines equal across two write histories");
    }

    @Test
    void unknownCollectionAndPlainPoolAreClearErrors() {
        TestPools.Run r = TestPools.run("dump", "--store", "--collection", "nope", a.toString());
        assertEquals(Ferrite.EXIT_USAGE, r.exit(), r.toString());
        assertTrue(r.err().contains("no root or collection named 'nope'") && r.err().contains("balances"), r.err());
        Path plain = TestPools.bank("store-dump-plain", 2);
        try {
            TestPools.Run q = TestPools.run("dump", "--store", plain.toString());
            assertEquals(Ferrite.EXIT_USAGE, q.exit(), q.toString());
            assertTrue(q.err().contains("is not an object store"), q.err());
        } finally {
            TestPools.delete(plain);
        }
    }
}
