package io.ferrite.store;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/** Native codecs, Kryo with required registration, class evolution, user codecs. */
class CodecTest {
    /** A Kryo class as first shipped. */
    static final class ProfileV1 {
        String name;
        int age;

        ProfileV1() {
        }

        ProfileV1(String name, int age) {
            this.name = name;
            this.age = age;
        }
    }

    /** The same class a release later: lost {@code age}, gained {@code email} (registered under the same id). */
    static final class ProfileV2 {
        String name;
        String email;

        ProfileV2() {
        }
    }

    record User(String name, int age) {
    }

    static final class Holder {
        Object payload;

        Holder() {
        }
    }

    static final class NotRegistered {
    }

    record Point(int x, int y) {
    }

    @Test
    void nativeCodecsRoundTrip() {
        List<Object[]> cases = List.of(new Object[] {Codecs.LONG_CODEC, Long.MIN_VALUE}, new Object[] {Codecs.INT_CODEC, -7},
                new Object[] {Codecs.SHORT_CODEC, (short) 300}, new Object[] {Codecs.BYTE_CODEC, (byte) -1},
                new Object[] {Codecs.BOOLEAN_CODEC, true}, new Object[] {Codecs.CHAR_CODEC, 'ž'},
                new Object[] {Codecs.DOUBLE_CODEC, -0.5}, new Object[] {Codecs.FLOAT_CODEC, 3.25f},
                new Object[] {Codecs.STRING, "grüße ✓"});
        for (Object[] c : cases) {
            @SuppressWarnings("unchecked")
            Codec<Object> codec = (Codec<Object>) c[0];
            byte[] b = codec.encode(c[1]);
            assertEquals(c[1], codec.decode(b, 0, b.length), codec.name());
        }
        byte[] raw = {1, 2, 3};
        assertArrayEquals(raw, Codecs.BYTES.decode(Codecs.BYTES.encode(raw), 0, 3));
        assertEquals(8, Codecs.LONG_CODEC.encode(1L).length);
        assertArrayEquals("é".getBytes(StandardCharsets.UTF_8), Codecs.STRING.encode("é"));
        CodecException e = assertThrows(CodecException.class, () -> Codecs.LONG_CODEC.decode(new byte[3], 0, 3));
        assertTrue(e.getMessage().contains("needs 8 bytes"), e.getMessage());
    }

    @Test
    void kryoNeedsRegistrationBothWays() {
        try (TestPools p = new TestPools("codec-reg")) {
            Store.Context ctx = TestPools.context().register(ProfileV1.class, 100).register(Holder.class, 101).register(User.class, 102);
            try (Store s = p.create(ctx)) {
                UnregisteredClassException e = assertThrows(UnregisteredClassException.class,
                        () -> s.map("bad", String.class, NotRegistered.class));
                assertTrue(e.getMessage().contains(NotRegistered.class.getName()) && e.getMessage().contains("register("), e.getMessage());
                PersistentMap<String, Holder> h = s.map("holders", String.class, Holder.class);
                Holder bad = new Holder();
                bad.payload = new NotRegistered();
                UnregisteredClassException nested = assertThrows(UnregisteredClassException.class, () -> h.put("x", bad));
                assertTrue(nested.getMessage().contains("NotRegistered"), nested.getMessage());
                assertNoKryoInChain(nested);
                assertFalse(h.containsKey("x"), "a refused value is not stored");
                Holder good = new Holder();
                good.payload = new ProfileV1("ann", 3);
                h.put("y", good);
                assertEquals("ann", ((ProfileV1) h.get("y").payload).name);
                PersistentMap<String, User> users = s.map("users", String.class, User.class);
                users.put("bob", new User("Bob", 41));
                assertEquals(new User("Bob", 41), users.get("bob"));
            }
            byte[] profileBytes;
            try (Store s = p.open(ctx)) {
                profileBytes = s.codec(ProfileV1.class).encode(new ProfileV1("eve", 9));
            }
            // a store that did not register id 100 never instantiates that class from pool bytes:
            // as a field (Kryo's compatible serializer skips the unknown field's chunk) ...
            try (Store s = p.open(TestPools.context().register(Holder.class, 101))) {
                PersistentMap<String, Holder> h = s.map("holders", String.class, Holder.class);
                assertNull(h.get("y").payload, "the unregistered class is skipped, not instantiated");
                // ... and at the top level: a clear error naming the id
                UnregisteredClassException e = assertThrows(UnregisteredClassException.class,
                        () -> s.codec(Holder.class).decode(profileBytes, 0, profileBytes.length));
                assertTrue(e.getMessage().contains("100"), e.getMessage());
                assertNoKryoInChain(e);
            }
        }
    }

    @Test
    void aClassThatGainsAndLosesFieldsReadsBackAsCompatibleFieldSerializerDocuments() {
        try (TestPools p = new TestPools("codec-evolve")) {
            try (Store s = p.create(TestPools.context().register(ProfileV1.class, 100))) {
                s.map("profiles", String.class, ProfileV1.class).put("ann", new ProfileV1("Ann", 36));
            }
            // same id, new shape: fields are matched by name; the removed field is skipped, the new one keeps its default
            Store.Context v2 = TestPools.context().register(ProfileV2.class, 100);
            try (Store s = p.open(v2)) {
                PersistentMap<String, ProfileV2> m = s.map("profiles", String.class, ProfileV2.class);
                ProfileV2 got = m.get("ann");
                assertEquals("Ann", got.name);
                assertNull(got.email);
                got.email = "ann@example.com";
                m.put("ann", got);
            }
            // and back: the old class reads the new bytes, ignoring the field it does not know
            try (Store s = p.open(TestPools.context().register(ProfileV1.class, 100))) {
                ProfileV1 old = s.map("profiles", String.class, ProfileV1.class).get("ann");
                assertEquals("Ann", old.name);
                assertEquals(0, old.age);
            }
        }
    }

    @Test
    void userCodecsArePluggable() {
        Codec<Point> points = new Codec<>() {
            @Override
            public String name() {
                return "point-v1";
            }

            @Override
            public byte[] encode(Point v) {
                return (v.x() + "," + v.y()).getBytes(StandardCharsets.US_ASCII);
            }

            @Override
            public Point decode(byte[] b, int off, int len) {
                String[] xy = new String(b, off, len, StandardCharsets.US_ASCII).split(",");
                return new Point(Integer.parseInt(xy[0]), Integer.parseInt(xy[1]));
            }
        };
        try (TestPools p = new TestPools("codec-user")) {
            try (Store s = p.create(TestPools.context().codec(Point.class, points))) {
                s.sortedMap("pts", Codecs.LONG_CODEC, s.codec(Point.class), Long::compare).put(1L, new Point(3, 4));
                s.list("path", Point.class).add(new Point(5, 6));
            }
            try (Store s = p.open(TestPools.context().codec(Point.class, points))) {
                assertEquals(new Point(3, 4), s.sortedMap("pts", Codecs.LONG_CODEC, points, Long::compare).get(1L));
                assertEquals(List.of(new Point(5, 6)), new ArrayList<>(s.list("path", Point.class)));
                // opened with other types than it was created with: a clear error, not garbage
                StoreException e = assertThrows(StoreException.class, () -> s.list("path", String.class));
                assertTrue(e.getMessage().contains("list point-v1") && e.getMessage().contains("list string"), e.getMessage());
            }
        }
    }

    static void assertNoKryoInChain(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertFalse(t.getClass().getName().startsWith("com.esotericsoftware"), "Kryo exception in the chain: " + t);
            for (StackTraceElement el : t.getStackTrace()) {
                Objects.requireNonNull(el);
            }
        }
    }
}
