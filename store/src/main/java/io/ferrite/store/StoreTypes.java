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
 */
final class StoreTypes {
    private StoreTypes() {
    }

    static final String ENTRY_TARGET = PType.ANY_BLOB;

    // ---------------------------------------------------------------- directory
    static final PType ROOT = PType.builder("store.Root").pointer("dir", "store.Dent").int64("version").build();
    static final PField ROOT_DIR = ROOT.field("dir");
    static final PField ROOT_VERSION = ROOT.field("version");
    /** The store format this build writes and reads. */
    static final long FORMAT_VERSION = 1;

    static final PType DENT = PType.builder("store.Dent").pointer("next", "store.Dent").pointer("name", ENTRY_TARGET)
            .pointer("sig", ENTRY_TARGET).int64("kind").pointer("hmap", "store.HMap").pointer("smap", "store.SHdr")
            .pointer("list", "store.LHdr").pointer("value", ENTRY_TARGET).build();
    static final PField DENT_NEXT = DENT.field("next");
    static final PField DENT_NAME = DENT.field("name");
    static final PField DENT_SIG = DENT.field("sig");
    static final PField DENT_KIND = DENT.field("kind");
    static final PField DENT_HMAP = DENT.field("hmap");
    static final PField DENT_SMAP = DENT.field("smap");
    static final PField DENT_LIST = DENT.field("list");
    static final PField DENT_VALUE = DENT.field("value");

    // ---------------------------------------------------------------- hash map (linear hashing)
    static final int STRIPES = 64;
    static final int DIR1_FANOUT = 64;
    static final int DIR2_FANOUT = 64;
    static final int PAGE_BITS = 8;
    static final int PAGE_BUCKETS = 1 << PAGE_BITS;
    /** Most buckets a map can have: DIR1 × DIR2 × page (2^20); past it chains grow longer. */
    static final long MAX_BUCKETS = (long) DIR1_FANOUT * DIR2_FANOUT * PAGE_BUCKETS;
    static final int INITIAL_LEVEL = PAGE_BITS;

    static final PType HNODE = PType.builder("store.HNode").pointer("next", "store.HNode").int64("hash")
            .int64("meta").pointer("entry", ENTRY_TARGET).build();
    static final PField HNODE_NEXT = HNODE.field("next");
    static final PField HNODE_HASH = HNODE.field("hash");
    /** The entry's header kept in the node: CRC32C in the high 32 bits, key length in the low 32 ({@link EntryDescriptor#meta}). */
    static final PField HNODE_META = HNODE.field("meta");
    /** The entry's body: key bytes then value bytes. */
    static final PField HNODE_ENTRY = HNODE.field("entry");

    static final PType BKT = pointers("store.Bkt", "b", PAGE_BUCKETS, "store.HNode");
    static final PField[] BKT_SLOT = fields(BKT, "b", PAGE_BUCKETS);
    static final PType DIR2 = pointers("store.Dir2", "p", DIR2_FANOUT, "store.Bkt");
    static final PField[] DIR2_SLOT = fields(DIR2, "p", DIR2_FANOUT);
    static final PType DIR1 = pointers("store.Dir1", "d", DIR1_FANOUT, "store.Dir2");
    static final PField[] DIR1_SLOT = fields(DIR1, "d", DIR1_FANOUT);

    static final PType CNT = int64s("store.Cnt", "c", STRIPES);
    static final PField[] CNT_SLOT = fields(CNT, "c", STRIPES);

    static final PType HMAP = PType.builder("store.HMap").pointer("dir", "store.Dir1").pointer("counts", "store.Cnt")
            .int64("lp").build();
    static final PField HMAP_DIR = HMAP.field("dir");
    static final PField HMAP_COUNTS = HMAP.field("counts");
    /** Linear-hashing state: level in the high 32 bits, split pointer in the low 32. */
    static final PField HMAP_LP = HMAP.field("lp");

    // ---------------------------------------------------------------- sorted map (skip list)
    static final int SKIP_LEVELS = 10;
    static final PType SNODE;
    static final PField SNODE_ENTRY;
    static final PField SNODE_LEVEL;
    static final PField[] SNODE_NEXT;

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

    static final PType SHDR = PType.builder("store.SHdr").pointer("head", "store.SNode").int64("size").int64("level").build();
    static final PField SHDR_HEAD = SHDR.field("head");
    static final PField SHDR_SIZE = SHDR.field("size");
    static final PField SHDR_LEVEL = SHDR.field("level");

    // ---------------------------------------------------------------- list / deque
    static final PType LNODE = PType.builder("store.LNode").pointer("prev", "store.LNode").pointer("next", "store.LNode")
            .pointer("entry", ENTRY_TARGET).build();
    static final PField LNODE_PREV = LNODE.field("prev");
    static final PField LNODE_NEXT = LNODE.field("next");
    static final PField LNODE_ENTRY = LNODE.field("entry");
    static final PType LHDR = PType.builder("store.LHdr").pointer("head", "store.LNode").pointer("tail", "store.LNode")
            .int64("size").build();
    static final PField LHDR_HEAD = LHDR.field("head");
    static final PField LHDR_TAIL = LHDR.field("tail");
    static final PField LHDR_SIZE = LHDR.field("size");

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
