package io.ferrite.store;

import io.ferrite.pheap.PField;
import io.ferrite.pheap.PType;

/**
 * The persistent types of the store, declared once. Every link between store objects is a pheap
 * pointer field (so relocation swizzles it and {@code ferrite check} reaches every object from
 * the pool's root); every payload is an entry blob ({@link EntryDescriptor}).
 *
 * <pre>
 *  store.Root ──dir──► store.Dent ──next──► store.Dent ...        (the directory: name → object)
 *                        │ name, sig: blobs; value: blob (named value)
 *                        ├─hmap──► store.HMap ──dir──► store.Dir1[64] ──► store.Dir2[64] ──► store.Bkt[256]
 *                        │            └─counts──► store.Cnt (64 × int64)           bucket ──► store.HNode ──next──► ...
 *                        │                                       (hash, meta = entry header) entry ──► blob (key, value)
 *                        ├─smap──► store.SHdr ──head──► store.SNode (levels n0..n9) ──► ...
 *                        └─list──► store.LHdr ──head/tail──► store.LNode ⇄ store.LNode ...
 * </pre>
 * Names are short on purpose: the pool's type registry stores every field's name and target.
 *
 * <p>Public so that tools ({@code ferrite check}'s store verification) read a pool through this
 * one description of the format rather than a copy of it; applications use the collections.
 */
public final class StoreTypes {
    private StoreTypes() {
    }

    private static final java.lang.invoke.VarHandle LONG_LE = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class,
            java.nio.ByteOrder.LITTLE_ENDIAN);

    public static final String ENTRY_TARGET = PType.ANY_BLOB;

    // ---------------------------------------------------------------- directory
    public static final PType ROOT = PType.builder("store.Root").pointer("dir", "store.Dent").int64("version").build();
    public static final PField ROOT_DIR = ROOT.field("dir");
    public static final PField ROOT_VERSION = ROOT.field("version");
    /** The store format this build writes and reads. */
    public static final long FORMAT_VERSION = 1;

    /** {@code Dent.kind}: what a directory entry names (its object hangs off hmap, smap, list or value). */
    public static final int KIND_MAP = 1;
    public static final int KIND_SORTED = 2;
    public static final int KIND_LIST = 3;
    public static final int KIND_VALUE = 4;
    /** The first word of a signature ({@code Dent.sig}), by kind. */
    private static final String[] SIGNATURE_WORDS = {null, "map", "sorted", "list", "value"};

    /**
     * A directory entry's signature: kind word and codec names, e.g. {@code map string -> kryo#100},
     * {@code list int64}, {@code value string}.
     */
    public static String signature(int kind, String codec, String valueCodec) {
        return SIGNATURE_WORDS[kind] + " " + codec + (valueCodec == null ? "" : " -> " + valueCodec);
    }

    /**
     * The codec names of signature {@code sig} for an entry of {@code kind} ({key, value} for the
     * maps, {element} or {value} otherwise), or null when it does not decode as such.
     */
    public static String[] codecsOf(int kind, String sig) {
        if (kind < KIND_MAP || kind > KIND_VALUE || !sig.startsWith(SIGNATURE_WORDS[kind] + " ")) {
            return null;
        }
        String rest = sig.substring(SIGNATURE_WORDS[kind].length() + 1);
        boolean map = kind == KIND_MAP || kind == KIND_SORTED;
        String[] c = map ? rest.split(" -> ", -1) : new String[] {rest};
        if (c.length != (map ? 2 : 1)) {
            return null;
        }
        for (String n : c) {
            if (n.isEmpty() || n.contains(" ")) {
                return null;
            }
        }
        return c;
    }

    public static final PType DENT = PType.builder("store.Dent").pointer("next", "store.Dent").pointer("name", ENTRY_TARGET)
            .pointer("sig", ENTRY_TARGET).int64("kind").pointer("hmap", "store.HMap").pointer("smap", "store.SHdr")
            .pointer("list", "store.LHdr").pointer("value", ENTRY_TARGET).build();
    public static final PField DENT_NEXT = DENT.field("next");
    public static final PField DENT_NAME = DENT.field("name");
    public static final PField DENT_SIG = DENT.field("sig");
    public static final PField DENT_KIND = DENT.field("kind");
    public static final PField DENT_HMAP = DENT.field("hmap");
    public static final PField DENT_SMAP = DENT.field("smap");
    public static final PField DENT_LIST = DENT.field("list");
    public static final PField DENT_VALUE = DENT.field("value");

    // ---------------------------------------------------------------- hash map (linear hashing)
    public static final int STRIPES = 64;
    public static final int DIR1_FANOUT = 64;
    public static final int DIR2_FANOUT = 64;
    public static final int PAGE_BITS = 8;
    public static final int PAGE_BUCKETS = 1 << PAGE_BITS;
    /** Most buckets a map can have: DIR1 × DIR2 × page (2^20); past it chains grow longer. */
    public static final long MAX_BUCKETS = (long) DIR1_FANOUT * DIR2_FANOUT * PAGE_BUCKETS;
    public static final int INITIAL_LEVEL = PAGE_BITS;

    /** The 64-bit hash of a key's encoded bytes (the hash map's {@code HNode.hash}). */
    public static long hash(byte[] k) {
        long h = 0x9E3779B97F4A7C15L ^ (k.length * 0xC2B2AE3D27D4EB4FL);
        int i = 0;
        for (; i + 8 <= k.length; i += 8) {
            h ^= (long) LONG_LE.get(k, i) * 0xC2B2AE3D27D4EB4FL;
            h = Long.rotateLeft(h, 31) * 0x9E3779B97F4A7C15L;
        }
        for (; i < k.length; i++) {
            h ^= (k[i] & 0xffL) * 0x27D4EB2F165667C5L;
            h = Long.rotateLeft(h, 11) * 0x9E3779B97F4A7C15L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        return h ^ (h >>> 33);
    }

    /** Buckets of a map in linear-hashing state {@code lp} ({@code HMap.lp}: level high, split pointer low). */
    public static long buckets(long lp) {
        return (1L << (lp >>> 32)) + (lp & 0xffffffffL);
    }

    public static long bucketOf(long h, long lp) {
        int level = (int) (lp >>> 32);
        long b = h & ((1L << level) - 1);
        if (b < (lp & 0xffffffffL)) {
            b = h & ((1L << (level + 1)) - 1);
        }
        return b;
    }

    /** True when {@code lp} is a linear-hashing state the map can be in. */
    public static boolean lpValid(long lp) {
        long level = lp >>> 32;
        return level >= INITIAL_LEVEL && level <= 40 && (lp & 0xffffffffL) < (1L << level) && buckets(lp) <= MAX_BUCKETS;
    }

    /** The stripe (lock and entry counter, {@code Cnt.c<i>}) of a key hash. */
    public static int stripe(long hash) {
        return (int) (hash & (STRIPES - 1));
    }

    public static final PType HNODE = PType.builder("store.HNode").pointer("next", "store.HNode").int64("hash")
            .int64("meta").pointer("entry", ENTRY_TARGET).build();
    public static final PField HNODE_NEXT = HNODE.field("next");
    public static final PField HNODE_HASH = HNODE.field("hash");
    /** The entry's header kept in the node: CRC32C in the high 32 bits, key length in the low 32 ({@link EntryDescriptor#meta}). */
    public static final PField HNODE_META = HNODE.field("meta");
    /** The entry's body: key bytes then value bytes. */
    public static final PField HNODE_ENTRY = HNODE.field("entry");

    public static final PType BKT = pointers("store.Bkt", "b", PAGE_BUCKETS, "store.HNode");
    public static final PField[] BKT_SLOT = fields(BKT, "b", PAGE_BUCKETS);
    public static final PType DIR2 = pointers("store.Dir2", "p", DIR2_FANOUT, "store.Bkt");
    public static final PField[] DIR2_SLOT = fields(DIR2, "p", DIR2_FANOUT);
    public static final PType DIR1 = pointers("store.Dir1", "d", DIR1_FANOUT, "store.Dir2");
    public static final PField[] DIR1_SLOT = fields(DIR1, "d", DIR1_FANOUT);

    public static final PType CNT = int64s("store.Cnt", "c", STRIPES);
    public static final PField[] CNT_SLOT = fields(CNT, "c", STRIPES);

    public static final PType HMAP = PType.builder("store.HMap").pointer("dir", "store.Dir1").pointer("counts", "store.Cnt")
            .int64("lp").build();
    public static final PField HMAP_DIR = HMAP.field("dir");
    public static final PField HMAP_COUNTS = HMAP.field("counts");
    /** Linear-hashing state: level in the high 32 bits, split pointer in the low 32. */
    public static final PField HMAP_LP = HMAP.field("lp");

    // ---------------------------------------------------------------- sorted map (skip list)
    public static final int SKIP_LEVELS = 10;
    public static final PType SNODE;
    public static final PField SNODE_ENTRY;
    public static final PField SNODE_LEVEL;
    public static final PField[] SNODE_NEXT;

    static {
        PType.Builder b = PType.builder("store.SNode").pointer("entry", ENTRY_TARGET).int64("level");
        for (int i = 0; i < SKIP_LEVELS; i++) {
            b.pointer("n" + i, "store.SNode");
        }
        SNODE = b.build();
        SNODE_ENTRY = SNODE.field("entry");
        SNODE_LEVEL = SNODE.field("level");
        SNODE_NEXT = fields(SNODE, "n", SKIP_LEVELS);
    }

    public static final PType SHDR = PType.builder("store.SHdr").pointer("head", "store.SNode").int64("size").int64("level").build();
    public static final PField SHDR_HEAD = SHDR.field("head");
    public static final PField SHDR_SIZE = SHDR.field("size");
    public static final PField SHDR_LEVEL = SHDR.field("level");

    // ---------------------------------------------------------------- list / deque
    public static final PType LNODE = PType.builder("store.LNode").pointer("prev", "store.LNode").pointer("next", "store.LNode")
            .pointer("entry", ENTRY_TARGET).build();
    public static final PField LNODE_PREV = LNODE.field("prev");
    public static final PField LNODE_NEXT = LNODE.field("next");
    public static final PField LNODE_ENTRY = LNODE.field("entry");
    public static final PType LHDR = PType.builder("store.LHdr").pointer("head", "store.LNode").pointer("tail", "store.LNode")
            .int64("size").build();
    public static final PField LHDR_HEAD = LHDR.field("head");
    public static final PField LHDR_TAIL = LHDR.field("tail");
    public static final PField LHDR_SIZE = LHDR.field("size");

    private static PType pointers(String name, String prefix, int n, String target) {
        PType.Builder b = PType.builder(name);
        for (int i = 0; i < n; i++) {
            b.pointer(prefix + i, target);
        }
        return b.build();
    }

    private static PType int64s(String name, String prefix, int n) {
        PType.Builder b = PType.builder(name);
        for (int i = 0; i < n; i++) {
            b.int64(prefix + i);
        }
        return b.build();
    }

    private static PField[] fields(PType t, String prefix, int n) {
        PField[] f = new PField[n];
        for (int i = 0; i < n; i++) {
            f[i] = t.field(prefix + i);
        }
        return f;
    }
}
