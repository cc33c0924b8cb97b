package io.ferrite.stress;

import io.ferrite.store.PersistentMap;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keys and values of the map tests. A value is six 8-byte words, each {@code id * 4 + version}, so
 * a get can tell a whole old or new value (1, 2) from a mix of two writes (3) and from an entry
 * that belongs to another key (4: a freed entry reused by another state's put).
 */
final class MapValues {
    static final PersistentMap<byte[], byte[]> MAP = SharedHeap.StoreHolder.STORE.map("stress", byte[].class, byte[].class);
    private static final AtomicLong IDS = new AtomicLong();
    static final int WORDS = 6;

    private MapValues() {
    }

    static long nextId() {
        return IDS.incrementAndGet();
    }

    static byte[] key(long id) {
        return ByteBuffer.allocate(8).putLong(id).array();
    }

    static byte[] value(long id, int version) {
        ByteBuffer b = ByteBuffer.allocate(8 * WORDS);
        for (int i = 0; i < WORDS; i++) {
            b.putLong(id * 4 + version);
        }
        return b.array();
    }

    /** 0 absent, 1 old, 2 new, 3 mixed or malformed, 4 another key's value. */
    static int classify(long id, byte[] v) {
        if (v == null) {
            return 0;
        }
        if (v.length != 8 * WORDS) {
            return 3;
        }
        ByteBuffer b = ByteBuffer.wrap(v);
        long first = b.getLong();
        for (int i = 1; i < WORDS; i++) {
            if (b.getLong() != first) {
                return 3;
            }
        }
        if (first >>> 2 != id) {
            return 4;
        }
        int version = (int) (first & 3);
        return version == 1 || version == 2 ? version : 3;
    }
}
