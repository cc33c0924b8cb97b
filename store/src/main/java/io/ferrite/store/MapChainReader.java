package io.ferrite.store;

import static io.ferrite.store.StoreTypes.*;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import io.ferrite.pheap.format.BlobHeaderDescriptor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.StampedLock;

/**
 * The chain walks of a {@link PersistentMap} over applied memory: the lock-free optimistic
 * lookup (validated by the stripe's stamp, retried, then read under the read lock) and the
 * per-stripe snapshot that iteration reads, and the direct read a single-operation write makes
 * under its stripe's write lock. Kept apart from the map so that the map holds the
 * operations and this class the one place where unlocked reads of the pool happen; the
 * threading rules are the map's (see its class note).
 */
final class MapChainReader {
    private static final long NEXT_OFF = HNODE_NEXT.offset();
    private static final long HASH_OFF = HNODE_HASH.offset();
    private static final long ENTRY_OFF = HNODE_ENTRY.offset();
    private static final long META_OFF = HNODE_META.offset();
    private static final long SLOT0_OFF = BKT_SLOT[0].offset();
    private static final int OPTIMISTIC_TRIES = 3;
    private static final byte[] EMPTY = new byte[0];

    private final PersistentMap<?, ?> map;
    private final Store store;
    private final String name;
    private final Mem mem;
    private final Heap heap;
    private final BucketDirectory dir;

    MapChainReader(PersistentMap<?, ?> map, Store store, String name, Mem mem, Heap heap, BucketDirectory dir) {
        this.map = map;
        this.store = store;
        this.name = name;
        this.mem = mem;
        this.heap = heap;
        this.dir = dir;
    }

    /** A value found by an optimistic scan: its bytes and the entry's stored CRC. */
    record Hit(byte[] value, int crc) {
    }

    static final Hit INCONSISTENT = new Hit(null, 0);
    static final Hit COLLISION = new Hit(null, 0);

    /** Optimistic reads of the key's chain, validated; null when absent, or a sentinel for the locked path. */
    Hit lockFreeFind(byte[] kb, long h) {
        StampedLock l = map.locks[PersistentMap.stripe(h)];
        for (int attempt = 0; attempt < OPTIMISTIC_TRIES; attempt++) {
            long stamp = l.tryOptimisticRead();
            if (stamp == 0) {
                Thread.onSpinWait();
                continue;
            }
            Hit r;
            try {
                r = scan(kb, h);
            } catch (IndexOutOfBoundsException e) {
                r = INCONSISTENT;
            }
            if (l.validate(stamp) && r != INCONSISTENT) {
                return r;
            }
        }
        return INCONSISTENT;
    }

    /** One optimistic pass over the key's chain: the value and stored CRC, null, or a sentinel. */
    private Hit scan(byte[] kb, long h) {
        long b = bucketOf(h, dir.lp);
        long[] pg = dir.pages;
        int pi = (int) (b >>> PAGE_BITS);
        if (pi >= pg.length) {
            return INCONSISTENT;
        }
        MemorySegment seg = mem.seg;
        long n = mem.ptr(pg[pi], SLOT0_OFF + ((b & (PAGE_BUCKETS - 1)) << 3));
        boolean collision = false;
        long hops = 0;
        long bound = map.bound(PersistentMap.stripe(h));
        while (n != 0) {
            if (n == Mem.BAD || ++hops > bound) {
                return INCONSISTENT;
            }
            if (seg.get(Mem.U64, n + HASH_OFF) == h) {
                long meta = seg.get(Mem.U64, n + META_OFF);
                long e = mem.ptr(n, ENTRY_OFF);
                if (e <= 0) {
                    return INCONSISTENT;
                }
                long k0 = BlobHeaderDescriptor.dataOffset(e);
                long len = seg.get(Mem.U32, BlobHeaderDescriptor.lengthOffset(e)) & 0xffffffffL;
                if (len < kb.length || len > mem.hi() - k0) {
                    return INCONSISTENT;
                }
                if (EntryDescriptor.metaKeyLength(meta) == kb.length
                        && MemorySegment.mismatch(seg, k0, k0 + kb.length, MemorySegment.ofArray(kb), 0, kb.length) == -1) {
                    int vlen = (int) (len - kb.length);
                    byte[] out = new byte[vlen];
                    MemorySegment.copy(seg, java.lang.foreign.ValueLayout.JAVA_BYTE, k0 + kb.length, out, 0, vlen);
                    return new Hit(out, EntryDescriptor.metaCrc(meta));
                }
                collision = true;
            }
            n = mem.ptr(n, NEXT_OFF);
        }
        return collision ? COLLISION : null;
    }

    /** The key's entry read under the stripe's read lock, checked; corruption is reported, never retried. */
    byte[] lockedFind(byte[] kb, long h, Object key) {
        StampedLock l = map.locks[PersistentMap.stripe(h)];
        long stamp = l.readLock();
        try {
            store.ensureOpen();
            long b = bucketOf(h, dir.lp);
            long n = mem.ptr(dir.pages[(int) (b >>> PAGE_BITS)], SLOT0_OFF + ((b & (PAGE_BUCKETS - 1)) << 3));
            long hops = 0;
            long bound = map.bound(PersistentMap.stripe(h));
            long prev = dir.pages[(int) (b >>> PAGE_BITS)];
            while (n != 0) {
                if (n == Mem.BAD) {
                    throw map.corrupted(key, kb, prev, "the chain of bucket " + b + " leads outside the pool");
                }
                if (++hops > bound) {
                    throw map.corrupted(key, kb, n, PersistentMap.loops(b, bound));
                }
                prev = n;
                if (mem.seg.get(Mem.U64, n + HASH_OFF) == h) {
                    long e = mem.ptr(n, ENTRY_OFF);
                    byte[] bytes = e <= 0 ? null : entryAt(n, e);
                    if (bytes == null) {
                        throw map.corrupted(key, kb, n, "the node's entry pointer or blob length is impossible");
                    }
                    String p = EntryDescriptor.problem(bytes);
                    if (p != null) {
                        throw map.corrupted(key, kb, e, p);
                    }
                    if (EntryDescriptor.keyEquals(bytes, kb)) {
                        return bytes;
                    }
                }
                n = mem.ptr(n, NEXT_OFF);
            }
            return null;
        } finally {
            l.unlockRead(stamp);
        }
    }

    /**
     * {@link PersistentMap#txFind} for an operation that is its own transaction: nothing is in its write set yet
     * and the stripe is write-locked, so applied memory is what the transaction would read. Reads
     * it directly (no write-set lookups) and copies the old value only when {@code check} (the
     * caller wants it: t.fValue, CRC-checked); otherwise t.fEntry and t.fValue are empty markers.
     */
    boolean lockedFindForWrite(Transaction t, byte[] kb, long h, Object key, boolean check) {
        long b = bucketOf(h, dir.txLp(t));
        int pi = (int) (b >>> PAGE_BITS);
        int si = (int) (b & (PAGE_BUCKETS - 1));
        t.fPage = dir.pageRef(t, pi);
        t.fSlot = BKT_SLOT[si];
        t.fPrev = null;
        t.fNode = null;
        t.fEntry = null;
        t.fEntryRef = null;
        MemorySegment seg = mem.seg;
        long page = t.fPage.offset();
        long prev = 0;
        long hops = 0;
        long bound = map.bound(PersistentMap.stripe(h));
        for (long n = mem.ptr(page, SLOT0_OFF + ((long) si << 3)); n != 0; prev = n, n = mem.ptr(n, NEXT_OFF)) {
            if (n == Mem.BAD) {
                throw map.corrupted(key, kb, prev == 0 ? page : prev, "the chain of bucket " + b + " leads outside the pool");
            }
            if (++hops > bound) {
                throw map.corrupted(key, kb, n, PersistentMap.loops(b, bound));
            }
            if (seg.get(Mem.U64, n + HASH_OFF) != h) {
                continue;
            }
            long e = mem.ptr(n, ENTRY_OFF);
            if (e <= 0) {
                throw map.corrupted(key, kb, n, "the node's entry pointer is " + (e == 0 ? "null" : "outside the pool"));
            }
            long k0 = BlobHeaderDescriptor.dataOffset(e);
            long len = seg.get(Mem.U32, BlobHeaderDescriptor.lengthOffset(e)) & 0xffffffffL;
            boolean match = false;
            if (len >= kb.length && len <= mem.hi() - k0 && EntryDescriptor.metaKeyLength(seg.get(Mem.U64, n + META_OFF)) == kb.length) {
                match = MemorySegment.mismatch(seg, k0, k0 + kb.length, MemorySegment.ofArray(kb), 0, kb.length) == -1;
            }
            byte[] value = EMPTY;
            if (match && check) {
                long meta = seg.get(Mem.U64, n + META_OFF);
                value = new byte[(int) (len - kb.length)];
                MemorySegment.copy(seg, java.lang.foreign.ValueLayout.JAVA_BYTE, k0 + kb.length, value, 0, value.length);
                int got = EntryDescriptor.crc(kb, value);
                if (got != EntryDescriptor.metaCrc(meta)) {
                    throw map.corrupted(key, kb, e, String.format("CRC32C mismatch (stored 0x%08x, computed 0x%08x over %d bytes)",
                            EntryDescriptor.metaCrc(meta), got, EntryDescriptor.HEADER_LENGTH + len));
                }
            } else if (!match) {
                byte[] bytes = entryAt(n, e);
                String p = bytes == null ? "impossible blob length" : EntryDescriptor.problem(bytes);
                if (p != null && check) {
                    throw map.corrupted(key, kb, e, p);
                }
                continue;
            }
            t.fNode = heap.ref(n);
            t.fPrev = prev == 0 ? null : heap.ref(prev);
            t.fEntryRef = heap.ref(e);
            t.fEntry = EMPTY;
            t.fValue = value;
            return true;
        }
        return false;
    }

    /** The entry of node {@code n} (header from the node, body from blob {@code e}), or null if the blob length is impossible. */
    byte[] entryAt(long n, long e) {
        byte[] body = mem.blob(e);
        return body == null ? null : EntryDescriptor.join(mem.i64(n, HNODE_META), body);
    }

    /** The checked entries of stripe {@code s}, read as one atomic snapshot. */
    List<byte[]> stripeEntries(int s) {
        Transaction t = store.txState();
        List<byte[]> out = new ArrayList<>();
        if (t.active) {
            t.lockStripe(map.locks[s]);
            Tx tx = t.tx;
            long n = buckets(dir.txLp(t));
            long bound = map.bound(tx, s);
            for (long b = s; b < n; b += STRIPES) {
                Ref page = dir.pageRef(t, (int) (b >>> PAGE_BITS));
                for (Ref x = tx.getRef(page, BKT_SLOT[(int) (b & (PAGE_BUCKETS - 1))]); x != null; x = tx.getRef(x, HNODE_NEXT)) {
                    if (out.size() >= bound) {
                        throw new CorruptedEntryException(name, null, x.offset(), PersistentMap.loops(b, bound), mem.pool);
                    }
                    Ref e = tx.getRef(x, HNODE_ENTRY);
                    out.add(e == null ? null : EntryDescriptor.join(tx.getLong(x, HNODE_META), tx.getBytes(e)));
                }
            }
            return out;
        }
        store.ensureOpen();
        StampedLock l = map.locks[s];
        for (int attempt = 0; attempt < OPTIMISTIC_TRIES; attempt++) {
            long stamp = l.tryOptimisticRead();
            if (stamp == 0) {
                Thread.onSpinWait();
                continue;
            }
            out.clear();
            boolean ok;
            try {
                ok = collect(s, out, false);
            } catch (IndexOutOfBoundsException e) {
                ok = false;
            }
            if (l.validate(stamp) && ok) {
                return out;
            }
        }
        long stamp = l.readLock();
        try {
            out.clear();
            collect(s, out, true);
            return out;
        } finally {
            l.unlockRead(stamp);
        }
    }

    private boolean collect(int s, List<byte[]> out, boolean locked) {
        long n = buckets(dir.lp);
        long[] pg = dir.pages;
        long bound = map.bound(s);
        for (long b = s; b < n; b += STRIPES) {
            int pi = (int) (b >>> PAGE_BITS);
            if (pi >= pg.length) {
                return false;
            }
            long x = mem.ptr(pg[pi], SLOT0_OFF + ((b & (PAGE_BUCKETS - 1)) << 3));
            while (x != 0) {
                if (out.size() >= bound) {
                    if (locked) {
                        throw new CorruptedEntryException(name, null, x, PersistentMap.loops(b, bound), mem.pool);
                    }
                    return false;
                }
                long e = x == Mem.BAD ? Mem.BAD : mem.ptr(x, ENTRY_OFF);
                byte[] bytes = e <= 0 ? null : entryAt(x, e);
                if (x == Mem.BAD || bytes == null) {
                    if (locked) {
                        throw new CorruptedEntryException(name, null, x == Mem.BAD ? pg[pi] : x, "the chain of bucket " + b
                                + " leads outside the pool or to an impossible entry", mem.pool);
                    }
                    return false;
                }
                out.add(bytes);
                x = mem.ptr(x, NEXT_OFF);
            }
        }
        return true;
    }
}
