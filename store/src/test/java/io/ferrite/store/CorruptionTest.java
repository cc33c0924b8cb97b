package io.ferrite.store;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Bad input: a pool whose entry bytes were damaged on media. Every read of the damaged entry is a
 * {@link CorruptedEntryException} naming the collection and the key — never a Kryo exception or
 * garbage — and the damaged key can still be deleted.
 */
class CorruptionTest {
    record Account(String owner, long balance) {
    }

    /** Flips one byte inside every occurrence of {@code marker} in the file; returns how many. */
    static int damage(Path pool, String marker) throws IOException {
        byte[] m = marker.getBytes(StandardCharsets.UTF_8);
        int hits = 0;
        try (FileChannel ch = FileChannel.open(pool, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer all = ByteBuffer.allocate((int) ch.size());
            while (all.hasRemaining() && ch.read(all, all.position()) > 0) {
                // read the whole (small) pool
            }
            byte[] b = all.array();
            for (int i = 0; i + m.length <= b.length; i++) {
                if (java.util.Arrays.equals(b, i, i + m.length, m, 0, m.length)) {
                    ch.write(ByteBuffer.wrap(new byte[] {(byte) (b[i + m.length / 2] ^ 0x5A)}), i + m.length / 2);
                    hits++;
                }
            }
        }
        return hits;
    }

    @Test
    void damagedEntriesAreReportedWithCollectionAndKey() throws IOException {
        try (TestPools p = new TestPools("corrupt")) {
            Store.Context ctx = TestPools.context().register(Account.class, 40);
            try (Store s = p.create(ctx)) {
                PersistentMap<String, Account> accounts = s.map("accounts", String.class, Account.class);
                for (int i = 0; i < 50; i++) {
                    accounts.put("user-" + i, new Account(i == 17 ? "MARKER-ACCOUNT-SEVENTEEN" : "owner-" + i, i));
                }
                PersistentSortedMap<Long, String> sorted = s.sortedMap("ledger", Long.class, String.class);
                for (long i = 0; i < 30; i++) {
                    sorted.put(i, i == 5 ? "MARKER-LEDGER-FIVE" : "line-" + i);
                }
                PersistentList<String> list = s.list("queue", String.class);
                list.add("first");
                list.add("MARKER-QUEUE-SECOND");
            }
            // Kryo marks the last character of an ASCII string, so search without it
            assertTrue(damage(p.path, "MARKER-ACCOUNT-SEVENTEE") >= 1);
            assertTrue(damage(p.path, "MARKER-LEDGER-FIVE") >= 1);
            assertTrue(damage(p.path, "MARKER-QUEUE-SECOND") >= 1);
            try (Store s = p.open(ctx)) {
                PersistentMap<String, Account> accounts = s.map("accounts", String.class, Account.class);
                assertEquals(new Account("owner-3", 3), accounts.get("user-3"), "undamaged entries read normally");
                CorruptedEntryException e = assertThrows(CorruptedEntryException.class, () -> accounts.get("user-17"));
                assertEquals("accounts", e.collection());
                assertEquals("\"user-17\"", e.key());
                assertTrue(e.getMessage().contains("collection 'accounts'") && e.getMessage().contains("\"user-17\"")
                        && e.getMessage().contains("CRC32C") && e.getMessage().contains("ferrite check"), e.getMessage());
                assertTrue(e.offset() > 0);
                CodecTest.assertNoKryoInChain(e);
                // iteration reports the same entry, by key
                CorruptedEntryException it = assertThrows(CorruptedEntryException.class, () -> new ArrayList<>(accounts.entrySet()));
                assertEquals("\"user-17\"", it.key());
                // in a transaction too
                assertThrows(CorruptedEntryException.class, () -> s.inTransaction(tx -> accounts.get("user-17")));
                // put and remove would return the damaged value: refused, naming the key
                CorruptedEntryException pe = assertThrows(CorruptedEntryException.class,
                        () -> accounts.put("user-17", new Account("x", 1)));
                assertEquals("\"user-17\"", pe.key());
                assertThrows(CorruptedEntryException.class, () -> accounts.remove("user-17"));
                // the damaged key can be deleted (or overwritten with set) to repair the map
                assertTrue(accounts.delete("user-17"));
                assertNull(accounts.get("user-17"));
                assertEquals(49, new ArrayList<>(accounts.entrySet()).size());

                PersistentSortedMap<Long, String> sorted = s.sortedMap("ledger", Long.class, String.class);
                CorruptedEntryException se = assertThrows(CorruptedEntryException.class, () -> sorted.get(5L));
                assertEquals("ledger", se.collection());
                assertEquals("5", se.key());
                // other keys read normally, unless the search passes the damaged node (a skip list must
                // compare with it to order around it): then the error names that key, never garbage
                int readable = 0;
                for (long k = 0; k < 30; k++) {
                    if (k != 5) {
                        try {
                            assertEquals("line-" + k, sorted.get(k));
                            readable++;
                        } catch (CorruptedEntryException x) {
                            assertEquals("5", x.key());
                        }
                    }
                }
                System.out.println("CorruptionTest: " + readable + " of 29 undamaged sorted-map keys readable around the damaged one");

                PersistentList<String> list = s.list("queue", String.class);
                assertEquals("first", list.get(0));
                CorruptedEntryException le = assertThrows(CorruptedEntryException.class, () -> list.get(1));
                assertEquals("queue", le.collection());
                assertEquals("index 1", le.key());
                List<String> msgs = List.of(e.getMessage(), se.getMessage(), le.getMessage());
                for (String msg : msgs) {
                    assertFalse(msg.contains("esotericsoftware"), msg);
                }
            }
        }
    }
}
