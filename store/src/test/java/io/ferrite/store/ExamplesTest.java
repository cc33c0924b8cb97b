package io.ferrite.store;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The examples of docs/store.md, compiled and run: the README snippet, a session store, and
 * accounts with transfers. {@link DocsInSyncTest} keeps the page's copies exact.
 */
class ExamplesTest {

    @Test
    void readmeSnippet() throws Exception {
        Path pool = Path.of("/dev/shm/users.pool");
        Files.deleteIfExists(pool);
        try {
            // example:readme
            record User(String name, String email) {}

            Path path = Path.of("/dev/shm/users.pool");
            Store.Context ctx = new Store.Context().register(User.class, 100);  // Kryo class, stable id
            try (Store store = Store.openOrCreate(path, ctx)) {                 // grows as it fills
                store.map("users", String.class, User.class).put("alice", new User("Alice", "alice@example.com"));
            }
            try (Store store = Store.open(path, ctx)) {                         // after a restart
                User alice = store.map("users", String.class, User.class).get("alice");
                System.out.println(alice);  // User[name=Alice, email=alice@example.com]
            }
            // end:readme
            try (Store store = Store.open(path, ctx)) {
                assertEquals(new User("Alice", "alice@example.com"), store.map("users", String.class, User.class).get("alice"));
            }
        } finally {
            new TestPools("readme").delete();
            Files.deleteIfExists(pool);
            Files.deleteIfExists(Path.of("/dev/shm/users.pool.lock"));
        }
    }

    // example:session-types
    /** A web session: who, until when, and a few attributes. A Kryo class: registered, no-arg constructor. */
    static final class Session {
        String user;
        long expiresAt;
        HashMap<String, String> attributes = new HashMap<>();

        Session() {
        }

        Session(String user, long expiresAt) {
            this.user = user;
            this.expiresAt = expiresAt;
        }
    }

    /** Sessions by token, and an expiry index (expiry time, token) for sweeps. */
    static final class SessionStore {
        private final Store store;
        private final PersistentMap<String, Session> sessions;
        private final PersistentSortedMap<String, String> expiry;

        SessionStore(Store store) {
            this.store = store;
            this.sessions = store.map("sessions", String.class, Session.class);
            this.expiry = store.sortedMap("sessions-by-expiry", String.class, String.class);
        }

        static Store.Context context() {
            return new Store.Context().register(Session.class, 20).register(HashMap.class, 21);
        }

        private static String expiryKey(long at, String token) {
            return String.format("%019d/%s", at, token);
        }

        String create(String user, long now, long ttl) {
            String token = UUID.randomUUID().toString();
            Session s = new Session(user, now + ttl);
            store.inTransaction(tx -> {                 // session and index entry: both or neither
                sessions.put(token, s);
                expiry.put(expiryKey(s.expiresAt, token), token);
            });
            return token;
        }

        /** The live session of a token, or null. A plain get: lock-free. */
        Session lookup(String token, long now) {
            Session s = sessions.get(token);
            return s != null && s.expiresAt > now ? s : null;
        }

        void touch(String token, long now, long ttl) {
            store.inTransaction(tx -> {
                Session s = sessions.get(token);        // in a transaction: locked until commit
                if (s != null) {
                    expiry.remove(expiryKey(s.expiresAt, token));
                    s.expiresAt = now + ttl;
                    sessions.put(token, s);
                    expiry.put(expiryKey(s.expiresAt, token), token);
                }
            });
        }

        /** Removes sessions expired at {@code now}; a range scan of the index, safe while others write. */
        int sweep(long now) {
            int n = 0;
            for (Map.Entry<String, String> e : expiry.range(null, expiryKey(now, ""))) {
                store.inTransaction(tx -> {
                    sessions.remove(e.getValue());
                    expiry.remove(e.getKey());
                });
                n++;
            }
            return n;
        }
    }
    // end:session-types

    @Test
    void sessionStore() {
        try (TestPools p = new TestPools("example-session")) {
            Store.Context ctx = SessionStore.context().heapOptions(TestPools.heapOptions());
            String alice;
            String bob;
            // example:session-use
            try (Store store = Store.create(p.path, 16 << 20, ctx)) {
                SessionStore sessions = new SessionStore(store);
                alice = sessions.create("alice", 1_000, 600);
                bob = sessions.create("bob", 1_000, 60);
                sessions.lookup(alice, 1_100).attributes.put("theme", "dark");  // a copy: not stored
                sessions.touch(alice, 1_500, 600);                               // alice now expires at 2_100
            }
            try (Store store = Store.open(p.path, ctx)) {                       // after a restart
                SessionStore sessions = new SessionStore(store);
                assertEquals("alice", sessions.lookup(alice, 2_000).user);
                assertNull(sessions.lookup(bob, 2_000));                          // expired at 1_060
                assertEquals(1, sessions.sweep(2_000));                           // removes bob's
                assertEquals(1, store.map("sessions", String.class, Session.class).size());
            }
            // end:session-use
            try (Store store = Store.open(p.path, ctx)) {
                SessionStore sessions = new SessionStore(store);
                assertNull(sessions.lookup(alice, 2_100));
                assertEquals(1, sessions.sweep(3_000));
                assertTrue(store.map("sessions", String.class, Session.class).isEmpty());
                assertTrue(store.sortedMap("sessions-by-expiry", String.class, String.class).isEmpty());
            }
        }
    }

    // example:accounts-types
    static final class InsufficientFunds extends RuntimeException {
        InsufficientFunds(String account, long balance, long amount) {
            super(account + " has " + balance + ", cannot send " + amount);
        }
    }

    /** Moves money between accounts and journals it; all of it or nothing, durably. */
    static void transfer(Store store, String from, String to, long amount) {
        PersistentMap<String, Long> balances = store.map("balances", String.class, Long.class);
        PersistentList<String> journal = store.list("journal", String.class);
        store.inTransaction(tx -> {
            long have = balances.getOrDefault(from, 0L);
            if (have < amount) {
                throw new InsufficientFunds(from, have, amount);   // aborts: nothing is written
            }
            balances.put(from, have - amount);
            balances.merge(to, amount, Long::sum);
            journal.addLast(from + " -> " + to + ": " + amount);
        });
    }
    // end:accounts-types

    @Test
    void accountsWithTransfers() throws Exception {
        try (TestPools p = new TestPools("example-accounts")) {
            Store.Context ctx = new Store.Context().heapOptions(TestPools.heapOptions());
            // example:accounts-use
            try (Store store = Store.create(p.path, 16 << 20, ctx)) {
                PersistentMap<String, Long> balances = store.map("balances", String.class, Long.class);
                balances.put("alice", 100L);
                balances.put("bob", 50L);
                transfer(store, "alice", "bob", 30);
                assertThrows(InsufficientFunds.class, () -> transfer(store, "bob", "carol", 500));
                // many threads may transfer at once; each transfer is isolated and atomic
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    threads.add(Thread.ofPlatform().start(() -> {
                        for (int i = 0; i < 50; i++) {
                            transfer(store, "alice", "bob", 1);
                            transfer(store, "bob", "alice", 1);
                        }
                    }));
                }
                for (Thread t : threads) {
                    t.join();
                }
            }
            try (Store store = Store.open(p.path, ctx)) {                // after a restart
                PersistentMap<String, Long> balances = store.map("balances", String.class, Long.class);
                assertEquals(70L, balances.get("alice"));
                assertEquals(80L, balances.get("bob"));
                assertNull(balances.get("carol"));                        // the failed transfer left nothing
                assertEquals(201, store.list("journal", String.class).size());
                assertEquals("alice -> bob: 30", store.list("journal", String.class).getFirst());
            }
            // end:accounts-use
        }
    }
}
