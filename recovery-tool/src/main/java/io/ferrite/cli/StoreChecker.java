package io.ferrite.cli;

import static io.ferrite.store.StoreTypes.*;

import io.ferrite.pheap.PField;
import io.ferrite.pheap.PType;
import io.ferrite.pheap.format.Le;
import io.ferrite.store.Codec;
import io.ferrite.store.Codecs;
import io.ferrite.store.EntryDescriptor;
import io.ferrite.store.StoreTypes;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The object-store level of {@code ferrite check}: when the pool's root is a {@code store.Root},
 * verifies what the store builds on the heap, reading the image {@link Checker} checks (the
 * private replayed copy of a crashed pool, never the file) through {@link PoolModel} and the
 * store's own format description ({@link StoreTypes}, {@link EntryDescriptor}). Never writes.
 *
 * <p>What it verifies: the directory (acyclic, names unique, every name and signature a valid
 * entry, the signature decodable for its kind, the collection object present); every hash map
 * (linear-hashing state, bucket pages, chains acyclic and disjoint, every node in the bucket its
 * hash selects and its hash that of its key, per-stripe counts equal to what the chains hold);
 * every sorted map (level 0 acyclic, its length equal to the header's size, keys strictly in
 * natural or reverse natural order when the key codec is native, every upper level a subsequence
 * of level 0 holding exactly the nodes of that height); every list (links consistent both ways,
 * tail and size as the header says); every entry's CRC32C, named values included.
 *
 * <p>Bounded on a damaged pool: a pointer is followed only to the start of an allocated object of
 * the declared type, and every node is marked when first visited (one bit per slot of the
 * pool), so no walk follows more links than the pool holds objects; the upper levels of a skip
 * list must rise strictly through level-0 positions, which bounds them by the level-0 length.
 * Findings are errors with no automatic repair: {@code --repair} reports them and changes
 * nothing in the store (the damage needs a restore, or the application's own {@code delete}).
 */
final class StoreChecker {
    static final String AREA = "store";
    private static final long BAD = -1;
    private static final String REPORT_ONLY = " (--repair: reported only; the store is left as it is)";

    private final PoolModel m;
    private final MemorySegment img;
    private final List<Finding> findings;
    private final Json.Obj stats;
    private final BitSet[] marks;
    /** The collection being checked, for messages, and how many of its findings were listed. */
    private String where = "the directory";
    private int listed;
    private long collections;
    private long entries;
    private long links;
    private long problems;

    StoreChecker(PoolModel m, MemorySegment img, List<Finding> findings, Json.Obj stats) {
        this.m = m;
        this.img = img;
        this.findings = findings;
        this.stats = stats;
        this.marks = new BitSet[m.slabs.length];
    }

    /** True when the pool's root object is the object store's. */
    static boolean isStore(PoolModel m) {
        PoolModel.Type rt = m.registryOk ? m.rootType() : null;
        return rt != null && rt.name().equals(ROOT.name());
    }

    void run() {
        String layout = layoutProblem();
        if (layout != null) {
            findings.add(Finding.error(AREA, -1, layout + "; the store is not checked" + REPORT_ONLY));
            stats.put("store", "not checked: " + layout);
            return;
        }
        long root = m.rootOffset;
        int[] at = m.locate(root);
        if (at == null || !m.slabs[at[0]].allocated(at[1]) || m.slabs[at[0]].typeId != m.rootTypeId) {
            stats.put("store", "not checked: the root object is not readable (see the reachability findings)");
            return;
        }
        mark(root);
        long version = i64(root, ROOT_VERSION);
        if (version != 0 && version != FORMAT_VERSION) {
            report(root, "store format version " + version + "; this ferrite reads version " + FORMAT_VERSION);
            stats.put("store", "not checked: format version " + version);
            return;
        }
        checkDirectory(root);
        stats.put("store", Json.obj().put("collections", collections).put("entries", entries).put("links", links)
                .put("problems", problems));
    }

    /** Null when the pool's registry lays out every store type as this build does. */
    private String layoutProblem() {
        for (PType t : List.of(ROOT, DENT, HMAP, HNODE, BKT, DIR1, DIR2, CNT, SHDR, SNODE, LHDR, LNODE)) {
            PoolModel.Type pt = m.byName.get(t.name());
            if (pt == null) {
                return "the pool's registry has no type " + t.name() + " although its root is a store.Root";
            }
            for (PField f : t.fields()) {
                PoolModel.Field pf = pt.fields().stream().filter(x -> x.name().equals(f.name())).findFirst().orElse(null);
                if (pf == null || pf.offset() != f.offset() || pf.kind() != f.kind().code()) {
                    return "type " + t.name() + " in the pool's registry does not lay out field " + f.name() + " as this ferrite's"
                            + " store format does (" + f.kind().name().toLowerCase(java.util.Locale.ROOT) + " at offset " + f.offset() + ")";
                }
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ reading the image

    private long i64(long obj, PField f) {
        return img.get(Le.U64_UNALIGNED, obj + f.offset());
    }

    /**
     * The pool offset the pointer field {@code f} of {@code obj} holds: 0 for null, {@link #BAD}
     * unless it is the start of an allocated object of the field's declared target type.
     */
    private long ptr(long obj, PField f) {
        long v = i64(obj, f);
        if (v == 0) {
            return 0;
        }
        PoolModel.Slab s = m.slabAt(obj);
        long off = s == null ? -1 : m.targetOffset(s, v);
        int[] at = off < 0 ? null : m.locate(off);
        if (at == null || !m.slabs[at[0]].allocated(at[1])) {
            return BAD;
        }
        PoolModel.Type t = m.byId.get(m.slabs[at[0]].typeId);
        boolean ok = t != null && (ENTRY_TARGET.equals(f.target()) ? t.blob() : t.name().equals(f.target()));
        return ok ? off : BAD;
    }

    /** Marks the object at {@code off} (a {@link #ptr} result); false when it was marked before. */
    private boolean mark(long off) {
        int[] at = m.locate(off);
        BitSet b = marks[at[0]] == null ? (marks[at[0]] = new BitSet()) : marks[at[0]];
        if (b.get(at[1])) {
            return false;
        }
        b.set(at[1]);
        links++;
        return true;
    }

    /** The data of the blob at {@code off} (a {@link #ptr} result), or null when its length exceeds its slot. */
    private byte[] blob(long off) {
        int[] at = m.locate(off);
        long len = img.get(Le.U32_UNALIGNED, off + EntryDescriptor.BLOB_LENGTH_OFFSET) & 0xffffffffL;
        if (len > m.slabs[at[0]].objectSize - EntryDescriptor.BLOB_DATA_OFFSET) {
            return null;
        }
        byte[] b = new byte[(int) len];
        MemorySegment.copy(img, Le.U8, off + EntryDescriptor.BLOB_DATA_OFFSET, b, 0, (int) len);
        return b;
    }

    private void report(long offset, String what) {
        problems++;
        if (listed++ < Checker.MAX_LISTED) {
            findings.add(Finding.error(AREA, offset, where + ": " + what + REPORT_ONLY));
        } else if (listed == Checker.MAX_LISTED + 1) {
            findings.add(Finding.error(AREA, -1, where + ": more problems than the " + Checker.MAX_LISTED + " listed" + REPORT_ONLY));
        }
    }

    /** A link that does not lead to an object of its declared type. */
    private void badLink(long obj, PField f) {
        report(obj, "field " + f.name() + " of " + f.owner().name() + "@" + obj + " does not point at an allocated " + f.target()
                + " (see the pointer findings)");
    }

    /** The entry (built by {@link EntryDescriptor#build}) that {@code f} of {@code obj} points at, or null when damaged (reported). */
    private byte[] entry(long obj, PField f, String what) {
        long e = ptr(obj, f);
        if (e <= 0) {
            report(obj, what + ": " + (e == 0 ? "no entry (null " + f.name() + ")" : "field " + f.name() + " does not point at a blob"));
            return null;
        }
        byte[] b = blob(e);
        String p = b == null ? "the blob's length exceeds its slot" : EntryDescriptor.problem(b);
        if (p != null) {
            report(e, what + ": " + p);
            return null;
        }
        return b;
    }

    private static String text(byte[] e) {
        return new String(e, EntryDescriptor.valueOffset(e), EntryDescriptor.valueLength(e), StandardCharsets.UTF_8);
    }

    /** A key for messages: decoded with its native codec when there is one, else hex. */
    private static String describe(Codec<?> codec, byte[] b, int off, int len) {
        String s = null;
        if (codec != null) {
            try {
                Object k = codec.decode(b, off, len);
                s = k instanceof String str ? '"' + str + '"' : k instanceof byte[] ? null : String.valueOf(k);
            } catch (RuntimeException e) {
                s = null;
            }
        }
        if (s == null) {
            StringBuilder h = new StringBuilder("0x");
            for (int i = 0; i < Math.min(len, 32); i++) {
                h.append(String.format("%02x", b[off + i]));
            }
            s = h.append(len > 32 ? "..." : "").toString();
        }
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }

    // ------------------------------------------------------------------ directory

    private void checkDirectory(long root) {
        Map<String, Long> names = new HashMap<>();
        long from = root;
        PField link = ROOT_DIR;
        for (long d = ptr(root, ROOT_DIR); d != 0; from = d, link = DENT_NEXT, d = ptr(d, DENT_NEXT)) {
            where = "the directory";
            if (d == BAD) {
                badLink(from, link);
                return;
            }
            if (!mark(d)) {
                report(from, "the link from " + from + " leads back to entry " + d + ": the directory loops");
                return;
            }
            byte[] ne = entry(d, DENT_NAME, "entry " + d + "'s name");
            byte[] se = entry(d, DENT_SIG, "entry " + d + "'s signature");
            String name = ne == null ? "@" + d : text(ne);
            Long seen = ne == null ? null : names.putIfAbsent(name, d);
            if (seen != null) {
                report(d, "the name '" + name + "' is in the directory twice (entries " + seen + " and " + d + ")");
            }
            int kind = (int) i64(d, DENT_KIND);
            String sig = se == null ? null : text(se);
            String[] codecs = sig == null ? null : StoreTypes.codecsOf(kind, sig);
            where = "collection '" + name + "'" + (sig == null ? "" : " (" + sig + ")");
            if (sig != null && codecs == null) {
                report(d, "signature '" + sig + "' does not decode for kind " + kind);
            }
            collections++;
            switch (kind) {
                case KIND_MAP -> collection(d, DENT_HMAP, h -> checkMap(h, codecs));
                case KIND_SORTED -> collection(d, DENT_SMAP, h -> checkSorted(h, codecs));
                case KIND_LIST -> collection(d, DENT_LIST, this::checkList);
                case KIND_VALUE -> {
                    if (entry(d, DENT_VALUE, "the value") != null) {
                        entries++;
                    }
                }
                default -> report(d, "unknown kind " + kind + " (1 map, 2 sorted map, 3 list, 4 value)");
            }
            listed = 0;
        }
    }

    private void collection(long dent, PField f, java.util.function.LongConsumer check) {
        long h = ptr(dent, f);
        if (h <= 0) {
            if (h == 0) {
                report(dent, "the directory entry has no " + f.target() + " (null " + f.name() + ")");
            } else {
                badLink(dent, f);
            }
        } else if (!mark(h)) {
            report(dent, f.target() + "@" + h + " is reached twice (another entry names it too)");
        } else {
            check.accept(h);
        }
    }

    private static Codec<?> nativeCodec(String[] codecs, int i) {
        return codecs == null ? null : Codecs.nativeNamed(codecs[i]);
    }

    // ------------------------------------------------------------------ hash map

    private void checkMap(long hdr, String[] codecs) {
        Codec<?> keys = nativeCodec(codecs, 0);
        long lp = i64(hdr, HMAP_LP);
        if (!StoreTypes.lpValid(lp)) {
            report(hdr, "impossible linear-hashing state 0x" + Long.toHexString(lp) + "; its buckets cannot be found");
            return;
        }
        long n = StoreTypes.buckets(lp);
        long d1 = ptr(hdr, HMAP_DIR);
        if (d1 <= 0 || !mark(d1)) {
            report(hdr, "the bucket directory (dir) is missing, misplaced or shared");
            return;
        }
        long[] held = new long[STRIPES];
        boolean[] broken = new boolean[STRIPES];
        long pages = (n + PAGE_BUCKETS - 1) / PAGE_BUCKETS;
        long[] d2s = new long[DIR1_FANOUT];
        for (int pi = 0; pi < pages; pi++) {
            int i2 = pi / DIR2_FANOUT;
            if (d2s[i2] == 0) {
                long d2 = ptr(d1, DIR1_SLOT[i2]);
                d2s[i2] = d2 > 0 && mark(d2) ? d2 : BAD;
                if (d2s[i2] == BAD) {
                    report(d1, "directory page " + i2 + " (buckets " + ((long) i2 * DIR2_FANOUT * PAGE_BUCKETS) + "...) is missing, misplaced"
                            + " or shared: its buckets are not checked");
                }
            }
            long page = d2s[i2] == BAD ? BAD : ptr(d2s[i2], DIR2_SLOT[pi % DIR2_FANOUT]);
            if (page <= 0 || !mark(page)) {
                if (d2s[i2] != BAD) {
                    report(d2s[i2], "bucket page " + pi + " is missing, misplaced or shared: its buckets are not checked");
                }
                java.util.Arrays.fill(broken, true);
                continue;
            }
            for (int si = 0; si < PAGE_BUCKETS; si++) {
                long b = (long) pi * PAGE_BUCKETS + si;
                broken[(int) (b & (STRIPES - 1))] |= !checkChain(page, si, b, b < n, lp, keys, held);
            }
        }
        long counts = ptr(hdr, HMAP_COUNTS);
        if (counts <= 0 || !mark(counts)) {
            report(hdr, "the per-stripe counts (counts) are missing, misplaced or shared");
            return;
        }
        for (int s = 0; s < STRIPES; s++) {
            long c = i64(counts, CNT_SLOT[s]);
            if (c != held[s] && !broken[s]) {
                report(counts + CNT_SLOT[s].offset(), "stripe " + s + " counts " + c + " entries but its chains hold " + held[s]
                        + " (size() is wrong, and walks bounded by the count fail)");
            }
        }
    }

    /** Checks one bucket's chain; false when it could not be followed to its end (its stripe's count is not compared then). */
    private boolean checkChain(long page, int si, long b, boolean inUse, long lp, Codec<?> keys, long[] held) {
        long prev = page;
        PField link = BKT_SLOT[si];
        for (long x = ptr(page, link); x != 0; prev = x, link = HNODE_NEXT, x = ptr(x, HNODE_NEXT)) {
            if (x == BAD) {
                badLink(prev, link);
                return false;
            }
            if (!mark(x)) {
                report(prev, "the chain of bucket " + b + " leads back to node " + x + " (from " + prev + "): it loops, or two chains"
                        + " share the node; reads of this bucket fail");
                return false;
            }
            if (!inUse) {
                report(x, "bucket " + b + " is past the map's " + StoreTypes.buckets(lp) + " buckets but holds node " + x
                        + " (never read: its entries are lost)");
            }
            long hash = i64(x, HNODE_HASH);
            long meta = i64(x, HNODE_META);
            long e = ptr(x, HNODE_ENTRY);
            byte[] body = e > 0 ? blob(e) : null;
            if (body == null) {
                report(x, "node " + x + " in bucket " + b + " has " + (e == 0 ? "no entry" : "an entry that is not a blob of possible"
                        + " length"));
                continue;
            }
            byte[] entry = EntryDescriptor.join(meta, body);
            int kl = EntryDescriptor.keyLength(entry);
            boolean keyOk = kl >= 0 && kl <= body.length;
            String key = keyOk ? describe(keys, entry, EntryDescriptor.KEY_OFFSET, kl) : "@" + x;
            String p = EntryDescriptor.problem(entry);
            if (p != null) {
                report(e, "key " + key + ": " + p + " (the application can delete(key) or set(key, value) it)");
            }
            if (keyOk && StoreTypes.hash(java.util.Arrays.copyOfRange(entry, EntryDescriptor.KEY_OFFSET, EntryDescriptor.KEY_OFFSET + kl))
                    != hash) {
                report(x, "key " + key + ": the node's hash 0x" + Long.toHexString(hash) + " is not its key's hash");
            }
            long want = StoreTypes.bucketOf(hash, lp);
            if (inUse && want != b) {
                report(x, "key " + key + " is in bucket " + b + " but its hash selects bucket " + want + ": get never finds it");
            }
            held[(int) (b & (STRIPES - 1))]++;
            entries++;
        }
        return true;
    }

    // ------------------------------------------------------------------ sorted map

    private void checkSorted(long hdr, String[] codecs) {
        Codec<?> keys = nativeCodec(codecs, 0);
        boolean ordered = keys != null && keys != Codecs.BYTES;
        long head = ptr(hdr, SHDR_HEAD);
        if (head <= 0 || !mark(head)) {
            report(hdr, "the skip list's head node is missing, misplaced or shared");
            return;
        }
        long size = i64(hdr, SHDR_SIZE);
        long level = i64(hdr, SHDR_LEVEL);
        if (level < 1 || level > SKIP_LEVELS) {
            report(hdr, "impossible level " + level + " (1 to " + SKIP_LEVELS + ")");
        }
        // level 0: every node once, in order; remember the position of each taller node
        Map<Long, Long> pos = new HashMap<>();
        long[] taller = new long[SKIP_LEVELS];
        long count = 0;
        Comparable<Object> prevKey = null;
        String prevText = null;
        long ascending = 0;
        String firstDown = null;
        String firstUp = null;
        long prev = head;
        boolean whole = true;
        for (long x = ptr(head, SNODE_NEXT[0]); x != 0; prev = x, x = ptr(x, SNODE_NEXT[0])) {
            if (x == BAD) {
                badLink(prev, SNODE_NEXT[0]);
                whole = false;
                break;
            }
            if (!mark(x)) {
                report(prev, "the level-0 link of " + prev + " leads back to node " + x + ": the skip list loops (reads past it fail)");
                whole = false;
                break;
            }
            long lvl = i64(x, SNODE_LEVEL);
            if (lvl < 1 || lvl > SKIP_LEVELS) {
                report(x, "node " + x + " has impossible level " + lvl);
                lvl = 1;
            }
            for (int i = 1; i < lvl; i++) {
                taller[i]++;
            }
            if (lvl > 1) {
                pos.put(x, count);
            }
            count++;
            byte[] e = entry(x, SNODE_ENTRY, "node " + x);
            if (e == null) {
                continue;
            }
            entries++;
            String text = describe(keys, e, EntryDescriptor.KEY_OFFSET, EntryDescriptor.keyLength(e));
            if (ordered) {
                Comparable<Object> k = comparableKey(keys, e, x);
                if (k != null && prevKey != null) {
                    int c = k.compareTo(prevKey);
                    String pair = "key " + text + " (node " + x + ") follows key " + prevText;
                    if (c == 0) {
                        report(x, "key " + text + " is in the map twice (node " + x + ")");
                    } else if (c > 0) {
                        ascending++;
                        firstUp = firstUp == null ? pair : firstUp;
                    } else {
                        firstDown = firstDown == null ? pair : firstDown;
                    }
                }
                prevKey = k;
                prevText = text;
            }
        }
        if (firstDown != null && firstUp != null) {
            report(hdr, "level 0 is out of order: " + (ascending * 2 >= count ? firstDown : firstUp) + " (natural order assumed: the"
                    + " comparator is not persisted; a map opened with one that is neither natural nor reverse order shows here too)");
        }
        if (!whole) {
            // the size and the upper levels can only be compared with a whole level 0
            return;
        }
        if (count != size) {
            report(hdr, "the header's size is " + size + " but level 0 links " + count + " nodes");
        }
        for (int i = 1; i < SKIP_LEVELS; i++) {
            checkLevel(head, i, pos, taller[i]);
        }
    }

    /** The key of a checked entry decoded with its native codec, or null (reported) when it does not decode. */
    @SuppressWarnings("unchecked")
    private Comparable<Object> comparableKey(Codec<?> keys, byte[] e, long node) {
        try {
            return (Comparable<Object>) keys.decode(e, EntryDescriptor.KEY_OFFSET, EntryDescriptor.keyLength(e));
        } catch (RuntimeException ex) {
            report(node, "node " + node + "'s key does not decode with codec " + keys.name() + ": " + ex.getMessage());
            return null;
        }
    }

    /** Level {@code i} must visit exactly the level-0 nodes taller than i, in level-0 order. */
    private void checkLevel(long head, int i, Map<Long, Long> pos, long expected) {
        long last = -1;
        long seen = 0;
        long prev = head;
        for (long x = ptr(head, SNODE_NEXT[i]); x != 0; prev = x, x = ptr(x, SNODE_NEXT[i])) {
            Long p = x == BAD ? null : pos.get(x);
            if (p == null) {
                report(prev, "the level-" + i + " link of " + prev + " leads to " + (x == BAD ? "no skip-list node" : "node " + x
                        + ", which level 0 does not hold at a height above " + i));
                return;
            }
            if (p <= last) {
                report(prev, "the level-" + i + " link of " + prev + " leads back to node " + x + ", earlier at level 0: level " + i
                        + " loops or is out of order");
                return;
            }
            if (i64(x, SNODE_LEVEL) <= i) {
                report(x, "node " + x + " of level " + i64(x, SNODE_LEVEL) + " is linked at level " + i);
            }
            last = p;
            seen++;
        }
        if (seen != expected) {
            report(head, "level " + i + " links " + seen + " nodes, level 0 holds " + expected + " nodes taller than " + i
                    + " (the levels are inconsistent)");
        }
    }

    // ------------------------------------------------------------------ list

    private void checkList(long hdr) {
        long head = ptr(hdr, LHDR_HEAD);
        long tail = ptr(hdr, LHDR_TAIL);
        long size = i64(hdr, LHDR_SIZE);
        long count = 0;
        long prev = 0;
        PField link = LHDR_HEAD;
        for (long x = head; x != 0; link = LNODE_NEXT, prev = x, x = ptr(x, LNODE_NEXT)) {
            if (x == BAD) {
                badLink(prev == 0 ? hdr : prev, link);
                return;
            }
            if (!mark(x)) {
                report(prev, "the next link of node " + prev + " (index " + (count - 1) + ") leads back to node " + x + ": the list loops");
                return;
            }
            long back = ptr(x, LNODE_PREV);
            if (back != prev) {
                report(x, "node " + x + " (index " + count + ") links back to " + (back == BAD ? "no list node" : back) + ", not to "
                        + (prev == 0 ? "nothing (it is the head)" : "node " + prev));
            }
            if (entry(x, LNODE_ENTRY, "index " + count + " (node " + x + ")") != null) {
                entries++;
            }
            count++;
        }
        if (tail != prev) {
            report(hdr, "the header's tail is " + (tail == BAD ? "not a list node" : tail) + " but the last node is " + prev);
        }
        if (count != size) {
            report(hdr, "the header's size is " + size + " but the list links " + count + " nodes");
        }
    }
}
