package io.ferrite.cli;

import static io.ferrite.store.StoreTypes.*;

import io.ferrite.pheap.PField;
import io.ferrite.pheap.format.BlobHeaderDescriptor;
import io.ferrite.pheap.format.Le;
import io.ferrite.store.Codec;
import io.ferrite.store.Codecs;
import io.ferrite.store.EntryDescriptor;
import io.ferrite.store.StoreTypes;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The logical view of an object store ({@code ferrite dump --store}): every named root and
 * collection with its kind and codecs, and its entries as {@code key -> value}, decoded where
 * the codec is native (strings quoted, numbers, {@code byte[]} as hex) and shown as
 * {@code CODEC <n bytes>} otherwise ({@code kryo#100 <23 bytes>}). Reads the image through
 * {@link PoolModel} and the store's format description ({@link StoreTypes},
 * {@link EntryDescriptor}); never writes, needs no application class.
 *
 * <p><b>Order is deterministic</b>, so two stores with the same contents print the same dump
 * whatever their history (what replication tests compare): collections by name; hash-map
 * entries by their encoded key bytes (unsigned), not bucket order, which depends on the split
 * history; sorted maps in their skip-list order; lists head to tail.
 *
 * <p>Bounded on a damaged pool: a pointer is followed only to an allocated object of its declared
 * type and each node is visited once; what cannot be read is counted in {@link #problems} and
 * named in {@link #firstProblem} (the command then exits 4 and points at {@code ferrite check}).
 */
final class StoreDump {
    private static final long BAD = -1;
    private static final int MAX_HEX = 64;

    private final PoolModel m;
    private final MemorySegment img;
    private final Set<Long> seen = new HashSet<>();
    long problems;
    String firstProblem;

    StoreDump(PoolModel m, MemorySegment img) {
        this.m = m;
        this.img = img;
    }

    /** One collection or named value: its name, kind word, codec names, and its entries (key or null, value). */
    record Collection(String name, String kind, String[] codecs, List<String[]> entries) {
    }

    /** Every entry of the directory, sorted by name; only {@code only} when it is not null. */
    List<Collection> collections(String only) {
        List<Collection> out = new ArrayList<>();
        long from = m.rootOffset;
        for (long d = ptr(m.rootOffset, ROOT_DIR); d != 0; from = d, d = ptr(d, DENT_NEXT)) {
            if (d == BAD || !seen.add(d)) {
                problem("the directory link from " + from + " is broken or loops");
                break;
            }
            byte[] ne = entry(d, DENT_NAME);
            byte[] se = entry(d, DENT_SIG);
            if (ne == null || se == null) {
                problem("directory entry " + d + " has a damaged name or signature");
                continue;
            }
            String name = text(ne);
            if (only != null && !only.equals(name)) {
                continue;
            }
            int kind = (int) i64(d, DENT_KIND);
            String sig = text(se);
            String[] codecs = StoreTypes.codecsOf(kind, sig);
            if (codecs == null) {
                problem("directory entry '" + name + "' has signature '" + sig + "' that does not decode for kind " + kind);
                continue;
            }
            List<String[]> entries = new ArrayList<>();
            switch (kind) {
                case KIND_MAP -> hashMap(ptr(d, DENT_HMAP), codecs, entries);
                case KIND_SORTED -> sortedMap(ptr(d, DENT_SMAP), codecs, entries);
                case KIND_LIST -> list(ptr(d, DENT_LIST), codecs, entries);
                default -> {
                    byte[] v = entry(d, DENT_VALUE);
                    if (v == null) {
                        problem("the value of '" + name + "' is damaged");
                    } else {
                        entries.add(new String[] {null, show(codecs[0], v, EntryDescriptor.valueOffset(v), EntryDescriptor.valueLength(v))});
                    }
                }
            }
            out.add(new Collection(name, sig.substring(0, sig.indexOf(' ')), codecs, entries));
        }
        out.sort(Comparator.comparing(Collection::name));
        return out;
    }

    private void hashMap(long hdr, String[] codecs, List<String[]> out) {
        if (hdr <= 0) {
            problem("a hash map's header is missing");
            return;
        }
        long lp = i64(hdr, HMAP_LP);
        long d1 = ptr(hdr, HMAP_DIR);
        if (!StoreTypes.lpValid(lp) || d1 <= 0) {
            problem("hash map " + hdr + ": impossible state or missing directory");
            return;
        }
        long n = StoreTypes.buckets(lp);
        List<byte[]> raw = new ArrayList<>();
        for (long pi = 0; pi * PAGE_BUCKETS < n; pi++) {
            long d2 = ptr(d1, DIR1_SLOT[(int) (pi / DIR2_FANOUT)]);
            long page = d2 <= 0 ? BAD : ptr(d2, DIR2_SLOT[(int) (pi % DIR2_FANOUT)]);
            if (page <= 0) {
                problem("hash map " + hdr + ": bucket page " + pi + " is missing");
                continue;
            }
            for (int si = 0; si < PAGE_BUCKETS && pi * PAGE_BUCKETS + si < n; si++) {
                PField link = BKT_SLOT[si];
                for (long x = ptr(page, link), prev = page; x != 0; prev = x, x = ptr(x, HNODE_NEXT)) {
                    if (x == BAD || !seen.add(x)) {
                        problem("hash map " + hdr + ": the chain after " + prev + " is broken or loops");
                        break;
                    }
                    long e = ptr(x, HNODE_ENTRY);
                    byte[] body = e > 0 ? blob(e) : null;
                    byte[] entry = body == null ? null : EntryDescriptor.join(i64(x, HNODE_META), body);
                    if (entry == null || EntryDescriptor.problem(entry) != null) {
                        problem("hash map " + hdr + ": the entry of node " + x + " is damaged");
                        continue;
                    }
                    raw.add(entry);
                }
            }
        }
        raw.sort((a, b) -> Arrays.compareUnsigned(a, EntryDescriptor.KEY_OFFSET, EntryDescriptor.valueOffset(a), b,
                EntryDescriptor.KEY_OFFSET, EntryDescriptor.valueOffset(b)));
        for (byte[] e : raw) {
            out.add(pair(codecs, e));
        }
    }

    private void sortedMap(long hdr, String[] codecs, List<String[]> out) {
        long head = hdr <= 0 ? BAD : ptr(hdr, SHDR_HEAD);
        if (head <= 0) {
            problem("a sorted map's header or head node is missing");
            return;
        }
        for (long x = ptr(head, SNODE_NEXT[0]), prev = head; x != 0; prev = x, x = ptr(x, SNODE_NEXT[0])) {
            if (x == BAD || !seen.add(x)) {
                problem("sorted map " + hdr + ": the level-0 link after " + prev + " is broken or loops");
                return;
            }
            byte[] e = entry(x, SNODE_ENTRY);
            if (e == null) {
                problem("sorted map " + hdr + ": the entry of node " + x + " is damaged");
                continue;
            }
            out.add(pair(codecs, e));
        }
    }

    private void list(long hdr, String[] codecs, List<String[]> out) {
        if (hdr <= 0) {
            problem("a list's header is missing");
            return;
        }
        for (long x = ptr(hdr, LHDR_HEAD), prev = hdr; x != 0; prev = x, x = ptr(x, LNODE_NEXT)) {
            if (x == BAD || !seen.add(x)) {
                problem("list " + hdr + ": the link after " + prev + " is broken or loops");
                return;
            }
            byte[] e = entry(x, LNODE_ENTRY);
            if (e == null) {
                problem("list " + hdr + ": the entry of node " + x + " is damaged");
                continue;
            }
            out.add(new String[] {null, show(codecs[0], e, EntryDescriptor.valueOffset(e), EntryDescriptor.valueLength(e))});
        }
    }

    private String[] pair(String[] codecs, byte[] e) {
        return new String[] {show(codecs[0], e, EntryDescriptor.KEY_OFFSET, EntryDescriptor.keyLength(e)),
            show(codecs[1], e, EntryDescriptor.valueOffset(e), EntryDescriptor.valueLength(e))};
    }

    /** Bytes shown by their codec: native ones decoded, others as {@code CODEC <n bytes>}. */
    static String show(String codecName, byte[] b, int off, int len) {
        Codec<?> c = Codecs.nativeNamed(codecName);
        if (c == Codecs.BYTES) {
            return "0x" + HexFormat.of().formatHex(b, off, off + Math.min(len, MAX_HEX)) + (len > MAX_HEX ? "... <" + len + " bytes>" : "");
        }
        if (c != null) {
            try {
                Object v = c.decode(b, off, len);
                if (v instanceof String s) {
                    StringBuilder sb = new StringBuilder();
                    Json.string(sb, s);
                    return sb.toString();
                }
                return Json.printable(String.valueOf(v));
            } catch (RuntimeException e) {
                return codecName + " <" + len + " bytes, does not decode>";
            }
        }
        return Json.printable(codecName) + " <" + len + " bytes>";
    }

    private void problem(String what) {
        problems++;
        if (firstProblem == null) {
            firstProblem = what;
        }
    }

    // ------------------------------------------------------------------ reading the image

    private long i64(long obj, PField f) {
        return img.get(Le.U64_UNALIGNED, obj + f.offset());
    }

    /** The target of pointer {@code f}: 0 for null, BAD unless an allocated object of the declared type. */
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

    private byte[] blob(long off) {
        int[] at = m.locate(off);
        long len = img.get(Le.U32_UNALIGNED, BlobHeaderDescriptor.lengthOffset(off)) & 0xffffffffL;
        if (len > BlobHeaderDescriptor.capacity(m.slabs[at[0]].objectSize)) {
            return null;
        }
        byte[] b = new byte[(int) len];
        MemorySegment.copy(img, Le.U8, BlobHeaderDescriptor.dataOffset(off), b, 0, (int) len);
        return b;
    }

    /** A checked entry blob, or null. */
    private byte[] entry(long obj, PField f) {
        long e = ptr(obj, f);
        byte[] b = e > 0 ? blob(e) : null;
        return b == null || EntryDescriptor.problem(b) != null ? null : b;
    }

    private static String text(byte[] e) {
        return Json.printable(new String(e, EntryDescriptor.valueOffset(e), EntryDescriptor.valueLength(e), StandardCharsets.UTF_8));
    }
}
