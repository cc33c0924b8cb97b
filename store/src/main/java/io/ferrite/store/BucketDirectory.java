package io.ferrite.store;

import static io.ferrite.store.StoreTypes.*;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.PField;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bucket directory of a {@link PersistentMap} and its linear-hashing resize: the applied
 * split state (level and split pointer), the bucket and directory pages reached through the
 * fixed two-level directory, the split of one bucket inside a transaction and its publication
 * after the commit. Kept apart from the map so that the table's shape and growth are one job
 * and the map's operations another; threading and durability are the map's (see its note):
 * {@link #lp} and the page arrays are written only by {@link #publishSplit}, under the split
 * stripes' write locks, pages before {@code lp}.
 */
final class BucketDirectory {
    private static final double LOAD_FACTOR = 1.0;

    private final PersistentMap<?, ?> map;
    private final String name;
    private final Mem mem;
    private final Ref hdr;
    private final Ref dir1Ref;
    private final ReentrantLock splitLock = new ReentrantLock();
    /** Linear-hashing state (level << 32 | split pointer) of the applied map. */
    volatile long lp;
    /** Bucket page offsets by page index, and the same as Refs (written before lp is published). */
    volatile long[] pages;
    private volatile Ref[] pageRefs;
    private volatile Ref[] dir2Refs;

    /** Reads the directory of the map whose header is {@code header} and top directory page {@code d1}. */
    BucketDirectory(PersistentMap<?, ?> map, String name, Mem mem, Heap heap, long header, long d1) {
        this.map = map;
        this.name = name;
        this.mem = mem;
        this.hdr = heap.ref(header);
        this.dir1Ref = heap.ref(d1);
        long l = mem.i64(header, HMAP_LP);
        if (!StoreTypes.lpValid(l)) {
            throw new CorruptedEntryException(name, null, header, "impossible linear-hashing state 0x" + Long.toHexString(l), mem.pool);
        }
        long n = buckets(l);
        int np = (int) ((n + PAGE_BUCKETS - 1) >>> PAGE_BITS);
        long[] pg = new long[np];
        Ref[] pr = new Ref[np];
        Ref[] d2 = new Ref[DIR1_FANOUT];
        for (int pi = 0; pi < np; pi++) {
            int i2 = pi / DIR2_FANOUT;
            if (d2[i2] == null) {
                d2[i2] = heap.ref(map.checked(mem.ptr(d1, DIR1_SLOT[i2]), d1, "directory page " + i2));
            }
            pg[pi] = map.checked(mem.ptr(d2[i2].offset(), DIR2_SLOT[pi % DIR2_FANOUT]), d2[i2].offset(), "bucket page " + pi);
            pr[pi] = heap.ref(pg[pi]);
        }
        this.pages = pg;
        this.pageRefs = pr;
        this.dir2Refs = d2;
        this.lp = l;
    }

    long txLp(Transaction t) {
        return t.splitMap == map ? t.splitLp : lp;
    }

    Ref pageRef(Transaction t, int pi) {
        if (t.splitMap == map && t.splitPages != null) {
            Ref r = t.splitPages.get(pi);
            if (r != null) {
                return r;
            }
        }
        return pageRefs[pi];
    }

    /**
     * Splits the bucket under the split pointer in this transaction, if the map is over its load
     * factor. A transaction may split many buckets of one map (a bulk load keeps the table in
     * step); it keeps the map's split lock and the split buckets' stripes to its end.
     */
    void maybeSplit(Transaction t) {
        if (t.splitMap != null && t.splitMap != map) {
            return;
        }
        long cur = txLp(t);
        long n = buckets(cur);
        if (n >= MAX_BUCKETS || map.approxSize.sum() <= n * LOAD_FACTOR) {
            return;
        }
        if (t.splitMap == null) {
            if (!splitLock.isHeldByCurrentThread() && (splitLock.isLocked() || !t.tryLock(splitLock))) {
                return;
            }
            cur = lp;
            n = buckets(cur);
        }
        int level = (int) (cur >>> 32);
        long p = cur & 0xffffffffL;
        if (n >= MAX_BUCKETS || !t.tryLockStripe(map.locks[PersistentMap.stripe(p)])) {
            return;
        }
        Tx tx = t.tx;
        t.splitMap = map;
        long q = p + (1L << level);
        int qpi = (int) (q >>> PAGE_BITS);
        Ref qPage;
        if (qpi < pageRefs.length || (t.splitPages != null && t.splitPages.containsKey(qpi))) {
            qPage = pageRef(t, qpi);
        } else {
            qPage = tx.allocate(BKT);
            int i2 = qpi / DIR2_FANOUT;
            Ref d2 = t.splitDir2s == null ? null : t.splitDir2s.get(i2);
            if (d2 == null) {
                d2 = dir2Refs[i2];
            }
            if (d2 == null) {
                d2 = tx.allocate(DIR2);
                tx.setRef(dir1Ref, DIR1_SLOT[i2], d2);
                if (t.splitDir2s == null) {
                    t.splitDir2s = new java.util.HashMap<>();
                }
                t.splitDir2s.put(i2, d2);
            }
            tx.setRef(d2, DIR2_SLOT[qpi % DIR2_FANOUT], qPage);
            if (t.splitPages == null) {
                t.splitPages = new java.util.HashMap<>();
            }
            t.splitPages.put(qpi, qPage);
        }
        Ref pPage = pageRef(t, (int) (p >>> PAGE_BITS));
        PField pSlot = BKT_SLOT[(int) (p & (PAGE_BUCKETS - 1))];
        PField qSlot = BKT_SLOT[(int) (q & (PAGE_BUCKETS - 1))];
        List<Ref> stay = new ArrayList<>();
        List<Ref> move = new ArrayList<>();
        List<Ref> order = new ArrayList<>();
        long hops = 0;
        long bound = map.bound(tx, PersistentMap.stripe(p));
        for (Ref x = tx.getRef(pPage, pSlot); x != null; x = tx.getRef(x, HNODE_NEXT)) {
            if (++hops > bound) {
                throw new CorruptedEntryException(name, null, x.offset(), PersistentMap.loops(p, bound), mem.pool);
            }
            order.add(x);
            ((tx.getLong(x, HNODE_HASH) >>> level & 1) == 0 ? stay : move).add(x);
        }
        if (!move.isEmpty()) {
            relink(tx, pPage, pSlot, stay, order);
            relink(tx, qPage, qSlot, move, null);
        }
        long next = p + 1 == (1L << level) ? (long) (level + 1) << 32 : ((long) level << 32) | (p + 1);
        tx.setLong(hdr, HMAP_LP, next);
        t.splitLp = next;
    }

    /** Makes {@code chain} the bucket's list, writing only the links that change. */
    private static void relink(Tx tx, Ref page, PField slot, List<Ref> chain, List<Ref> before) {
        Ref head = chain.isEmpty() ? null : chain.get(0);
        if (before == null || before.isEmpty() || !before.get(0).equals(head)) {
            tx.setRef(page, slot, head);
        }
        for (int i = 0; i < chain.size(); i++) {
            Ref x = chain.get(i);
            Ref want = i + 1 < chain.size() ? chain.get(i + 1) : null;
            Ref had = tx.getRef(x, HNODE_NEXT);
            if (!Objects.equals(had, want)) {
                tx.setRef(x, HNODE_NEXT, want);
            }
        }
    }

    /** Called by the transaction after a commit that split buckets of this map, before its locks are released. */
    void publishSplit(Transaction t) {
        if (t.splitPages != null) {
            int max = pages.length;
            for (int pi : t.splitPages.keySet()) {
                max = Math.max(max, pi + 1);
            }
            long[] pg = Arrays.copyOf(pages, max);
            Ref[] pr = Arrays.copyOf(pageRefs, max);
            for (Map.Entry<Integer, Ref> e : t.splitPages.entrySet()) {
                pg[e.getKey()] = e.getValue().offset();
                pr[e.getKey()] = e.getValue();
            }
            if (t.splitDir2s != null) {
                Ref[] d2 = dir2Refs.clone();
                for (Map.Entry<Integer, Ref> e : t.splitDir2s.entrySet()) {
                    d2[e.getKey()] = e.getValue();
                }
                dir2Refs = d2;
            }
            pageRefs = pr;
            pages = pg;
        }
        lp = t.splitLp;
    }
}
