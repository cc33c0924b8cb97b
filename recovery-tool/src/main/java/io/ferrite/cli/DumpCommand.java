package io.ferrite.cli;

import io.ferrite.pheap.format.BlobHeaderDescriptor;
import io.ferrite.pheap.format.Le;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ferrite dump}: the objects of a pool, decoded from its persisted registry only. */
@Command(name = "dump", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Print the objects of a pool, decoded from the type registry persisted in the pool: no",
            "application classes are needed (like pmempool dump, but typed).",
            "",
            "Without options, every allocated object of every application type, in slab order. Pointer",
            "fields show their target as TYPE@OFFSET (a pool offset), blobs (strings, byte arrays) show",
            "their contents inline: UTF-8 text when it is text, hex otherwise. --type lists the objects of one",
            "type (built-in blob types too, e.g. ferrite.blob.32); --root walks the object graph from the",
            "root object, --depth levels deep, showing each object once: a pointer to an object already",
            "shown prints as a reference marked (shown above). --limit counts the objects shown in either",
            "mode. Names and text read from the pool are printed with control characters escaped.",
            "",
            "--store prints the logical view of an object store instead: each named root and collection",
            "with its kind and codecs, then its entries as `key -> value` (a list's as `[i] value`),",
            "decoded where the codec is native (strings quoted, numbers, byte[] as hex) and shown as",
            "`kryo#ID <N bytes>` otherwise. Collections in name order, hash-map entries in the order of",
            "their encoded keys, sorted maps in key order, lists head to tail: two stores with the same",
            "contents print the same dump. --collection NAME shows one; --limit N shows at most N entries",
            "of each.",
            "",
            "A pool that was not closed cleanly is shown as recovery would leave it (the log replayed in a",
            "private copy); the file is never written."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:the objects were printed",
            "4:the pool is damaged so that some objects could not be decoded (run ferrite check)",
            "8:usage or operational error (missing file, not a pool, unknown type)"},
        footerHeading = "%nExamples:%n",
        footer = {
            "  ferrite dump /dev/shm/orders.pool",
            "  ferrite dump --type Account --limit 10 /dev/shm/orders.pool",
            "  ferrite dump --root --depth 3 --json /dev/shm/orders.pool",
            "  ferrite dump --store --collection users --limit 20 /dev/shm/users.pool"})
final class DumpCommand implements Callable<Integer> {
    static final int MAX_INLINE_BYTES = 64;
    static final int MAX_INLINE_CHARS = 256;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "POOL", description = "The pool file.")
    Path pool;

    @Option(names = "--type", paramLabel = "TYPE", description = "Only objects of this type (a name from `ferrite info`).")
    String type;

    @Option(names = "--root", description = "Walk the object graph from the root object instead of listing slabs.")
    boolean root;

    @Option(names = "--depth", paramLabel = "N", description = "With --root: how many pointer levels to expand (default: ${DEFAULT-VALUE}).")
    int depth = 3;

    @Option(names = "--limit", paramLabel = "N", description = "Print at most N objects (default: all).")
    long limit = Long.MAX_VALUE;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Option(names = "--store", description = "The logical view of an object store: named roots and collections with their entries.")
    boolean store;

    @Option(names = "--collection", paramLabel = "NAME", description = "With --store: only the named root or collection NAME.")
    String collection;

    private PoolModel m;
    private MemorySegment seg;
    private boolean damaged;
    /** Objects already shown (pool offsets): --root shows each once, whatever the number of paths to it. */
    private final Set<Long> shown = new HashSet<>();
    /** Objects shown so far, against --limit. */
    private long count;

    @Override
    public Integer call() {
        if (depth < 0 || limit < 0) {
            throw ToolException.usage("--depth and --limit must not be negative (depth=" + depth + " limit=" + limit + ")",
                    "see `ferrite dump --help`");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (PoolImage img = PoolImage.open(pool, false); Recovered rec = Recovered.of(img)) {
            seg = rec.image;
            if (rec.note != null) {
                spec.commandLine().getErr().println("ferrite dump: " + rec.note);
            }
            m = PoolModel.decode(seg, img.sb);
            if (!m.registryOk) {
                throw ToolException.damaged("the type registry of " + pool + " is damaged: " + m.findings.get(0).message(),
                        "run `ferrite check " + pool + "`");
            }
            damaged = !m.damage().isEmpty() || rec.problem != null;
            if (store || collection != null) {
                return storeView(out, rec);
            }
            if (rec.replayed > 0 && !json) {
                spec.commandLine().getErr().println("ferrite dump: " + pool + " was not closed cleanly; showing it with "
                        + rec.replayed + " log records replayed in memory (`ferrite recover " + pool + "` makes that durable)");
            }
            PoolModel.Type only = null;
            if (type != null) {
                only = m.byName.get(type);
                if (only == null) {
                    throw ToolException.usage("pool " + pool + " has no type '" + type + "'; its types: "
                            + m.types.stream().map(PoolModel.Type::name).toList(), "see `ferrite info " + pool + "`");
                }
            }
            Json.Arr objs = Json.arr();
            if (root) {
                if (m.rootType() == null) {
                    throw ToolException.usage("pool " + pool + " has no root object", "use `ferrite dump " + pool + "` to list all objects");
                }
                if (m.rootProblem != null) {
                    throw ToolException.damaged("pool " + pool + ": " + m.rootProblem, "run `ferrite check " + pool + "`");
                }
                int[] rl = m.locate(m.rootOffset);
                if (rl == null || !m.slabs[rl[0]].allocated(rl[1]) || m.slabs[rl[0]].typeId != m.rootType().id()) {
                    throw ToolException.damaged("the root object of " + pool + " (type " + m.rootType().name() + ", pool offset "
                            + m.rootOffset + ") is not an allocated object of that type", "run `ferrite check " + pool + "`");
                }
                if (limit > 0) {
                    objs.add(object(m.rootOffset, depth));
                }
            } else {
                for (PoolModel.Slab s : m.slabs) {
                    if (!s.ok || count >= limit) {
                        continue;
                    }
                    PoolModel.Type t = m.byId.get(s.typeId);
                    if (only != null ? t != only : t.blob()) {
                        continue;
                    }
                    for (int i = 0; i < s.count && count < limit; i++) {
                        if (s.allocated(i)) {
                            objs.add(object(s.objectOffset(i), 0));
                        }
                    }
                }
            }
            Json.Obj o = Json.obj().put("pool", pool.toString()).put("root", m.rootType() == null ? null : m.rootType().name()
                    + "@" + m.rootOffset).put("objects", objs);
            if (json) {
                out.println(o);
            } else {
                for (Object x : objs.items) {
                    text(out, (Json.Obj) x, "", "");
                }
                out.println("(" + count + " objects)");
            }
            out.flush();
            if (damaged) {
                List<Finding> damage = m.damage();
                String first = damage.isEmpty() ? rec.problem != null ? rec.problem : "some pointers do not decode"
                        : damage.get(0).message() + (damage.size() > 1 ? " (and " + (damage.size() - 1) + " more)" : "");
                spec.commandLine().getErr().println("ferrite dump: " + pool + " is damaged (" + Json.printable(first) + "): some"
                        + " objects may be missing or wrong; run `ferrite check " + pool + "`");
            }
            return damaged ? Ferrite.EXIT_ERRORS_LEFT : Ferrite.EXIT_CLEAN;
        }
    }

    /** {@code --store}: the logical dump (see {@link StoreDump}). */
    private int storeView(PrintWriter out, Recovered rec) {
        if (root || type != null) {
            throw ToolException.usage("--store cannot be combined with --root or --type", "see `ferrite dump --help`");
        }
        if (!StoreChecker.isStore(m)) {
            throw ToolException.usage("pool " + pool + " is not an object store (its root is " + (m.rootType() == null ? "not set"
                    : "a " + m.rootType().name()) + ")", "use `ferrite dump " + pool + "` to list its objects");
        }
        StoreDump d = new StoreDump(m, seg);
        List<StoreDump.Collection> cs = d.collections(collection);
        if (collection != null && cs.isEmpty()) {
            throw ToolException.usage("store " + pool + " has no root or collection named '" + Json.printable(collection) + "'; its names: "
                    + new StoreDump(m, seg).collections(null).stream().map(StoreDump.Collection::name).toList(),
                    "see `ferrite dump --store " + pool + "`");
        }
        if (json) {
            Json.Arr arr = Json.arr();
            for (StoreDump.Collection c : cs) {
                Json.Obj o = Json.obj().put("name", c.name()).put("kind", c.kind());
                if (c.codecs().length == 2) {
                    o.put("keyCodec", c.codecs()[0]).put("valueCodec", c.codecs()[1]);
                } else {
                    o.put("codec", c.codecs()[0]);
                }
                o.put("size", c.entries().size());
                Json.Arr es = Json.arr();
                for (int i = 0; i < c.entries().size() && i < limit; i++) {
                    String[] e = c.entries().get(i);
                    es.add(e[0] == null ? Json.obj().put("value", e[1]) : Json.obj().put("key", e[0]).put("value", e[1]));
                }
                o.put("entries", es);
                o.put("truncated", c.entries().size() > limit);
                arr.add(o);
            }
            out.println(Json.obj().put("pool", pool.toString()).put("store", arr));
        } else {
            for (StoreDump.Collection c : cs) {
                int n = c.entries().size();
                String codecs = c.codecs().length == 2 ? c.codecs()[0] + " -> " + c.codecs()[1] : c.codecs()[0];
                String count = c.kind().equals("value") ? "" : ", " + n + (c.kind().equals("list") ? " elements" : " entries");
                out.println(c.kind() + " " + c.name() + " (" + codecs + ")" + count);
                for (int i = 0; i < n && i < limit; i++) {
                    String[] e = c.entries().get(i);
                    out.println("  " + (e[0] != null ? e[0] + " -> " + e[1] : c.kind().equals("list") ? "[" + i + "] " + e[1] : e[1]));
                }
                if (n > limit) {
                    out.println("  ... (" + (n - limit) + " more; --limit " + limit + ")");
                }
            }
            out.println("(" + cs.size() + (cs.size() == 1 ? " name" : " names") + ")");
        }
        out.flush();
        if (d.problems > 0 || damaged) {
            spec.commandLine().getErr().println("ferrite dump: " + pool + " is damaged (" + Json.printable(d.firstProblem != null ? d.firstProblem
                    : "see ferrite check") + (d.problems > 1 ? ", and " + (d.problems - 1) + " more" : "") + "): some entries may be missing;"
                    + " run `ferrite check " + pool + "`");
            return Ferrite.EXIT_ERRORS_LEFT;
        }
        return Ferrite.EXIT_CLEAN;
    }

    private String ref(PoolModel.Type t, long off) {
        return t.name() + "@" + off;
    }

    /** One object as JSON: type, offset, slab, slot, fields (pointers expanded {@code levels} deep). */
    private Json.Obj object(long off, int levels) {
        count++;
        shown.add(off);
        PoolModel.Slab s = m.slabAt(off);
        int[] loc = m.locate(off);
        PoolModel.Type t = m.byId.get(s.typeId);
        Json.Obj o = Json.obj().put("type", t.name()).put("offset", off).put("slab", loc[0]).put("slot", loc[1]);
        if (t.blob()) {
            o.put("value", blobValue(off, s));
            return o;
        }
        Json.Obj fields = Json.obj();
        for (PoolModel.Field f : t.fields()) {
            long at = off + f.offset();
            fields.put(f.name(), switch (f.kind()) {
                case 1 -> (Object) seg.get(Le.U8, at);
                case 2 -> seg.get(Le.U16, at);
                case 3 -> seg.get(Le.U32, at);
                case 4 -> seg.get(Le.U64, at);
                case 5 -> seg.get(Le.F32, at);
                case 6 -> seg.get(Le.F64, at);
                case PoolModel.KIND_BYTES -> hex(at, f.length());
                default -> pointer(s, at, levels);
            });
        }
        o.put("fields", fields);
        return o;
    }

    private Object pointer(PoolModel.Slab from, long at, int levels) {
        long v = seg.get(Le.U64, at);
        if (v == 0) {
            return null;
        }
        long off = m.targetOffset(from, v);
        int[] loc = off < 0 ? null : m.locate(off);
        if (loc == null || !m.slabs[loc[0]].allocated(loc[1])) {
            damaged = true;
            return Json.obj().put("bad", String.format("0x%x", v));
        }
        PoolModel.Slab ts = m.slabs[loc[0]];
        PoolModel.Type tt = m.byId.get(ts.typeId);
        if (tt.blob()) {
            return Json.obj().put("ref", ref(tt, off)).put("value", blobValue(off, ts));
        }
        if (levels > 0 && shown.contains(off)) {
            return Json.obj().put("ref", ref(tt, off)).put("shown", "above");
        }
        if (levels > 0 && count < limit) {
            return object(off, levels - 1);
        }
        return Json.obj().put("ref", ref(tt, off));
    }

    private Object blobValue(long off, PoolModel.Slab s) {
        long len = Integer.toUnsignedLong(seg.get(Le.U32, BlobHeaderDescriptor.lengthOffset(off)));
        long max = BlobHeaderDescriptor.capacity(s.objectSize);
        if (len > max) {
            damaged = true;
            return "<bad blob length " + len + ", capacity " + max + ">";
        }
        byte[] b = new byte[(int) len];
        MemorySegment.copy(seg, Le.U8, BlobHeaderDescriptor.dataOffset(off), b, 0, b.length);
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
            if (text.chars().allMatch(c -> c >= 0x20 || c == '\n' || c == '\t')) {
                return text.length() <= MAX_INLINE_CHARS ? text
                        : text.substring(0, MAX_INLINE_CHARS) + "... (" + b.length + " bytes)";
            }
        } catch (CharacterCodingException e) {
            // not text: hex below
        }
        return hexOf(b, b.length);
    }

    private String hex(long at, int len) {
        byte[] b = new byte[Math.min(len, MAX_INLINE_BYTES)];
        MemorySegment.copy(seg, Le.U8, at, b, 0, b.length);
        return hexOf(b, len);
    }

    private static String hexOf(byte[] b, int total) {
        int shown = Math.min(b.length, MAX_INLINE_BYTES);
        String h = "0x" + HexFormat.of().formatHex(b, 0, shown);
        return total > shown ? h + "... (" + total + " bytes)" : h;
    }

    private static void text(PrintWriter out, Json.Obj o, String indent, String lead) {
        var f = o.fields;
        out.print(lead + Json.printable((String) f.get("type")) + "@" + f.get("offset") + " (slab " + f.get("slab") + " slot " + f.get("slot") + ")");
        if (f.containsKey("value")) {
            out.println(" = " + show(f.get("value")));
            return;
        }
        out.println(" {");
        for (var e : ((Json.Obj) f.get("fields")).fields.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Json.Obj p && p.fields.containsKey("fields")) {
                text(out, p, indent + "  ", indent + "  " + Json.printable(e.getKey()) + " -> ");
            } else if (v instanceof Json.Obj r && r.fields.containsKey("ref")) {
                out.println(indent + "  " + Json.printable(e.getKey()) + " " + show(v));
            } else {
                out.println(indent + "  " + Json.printable(e.getKey()) + " = " + show(v));
            }
        }
        out.println(indent + "}");
    }

    private static String show(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Json.Obj p) {
            if (p.fields.containsKey("bad")) {
                return "<bad pointer " + p.fields.get("bad") + ">";
            }
            return "-> " + Json.printable((String) p.fields.get("ref")) + (p.fields.containsKey("shown") ? " (shown above)" : "")
                    + (p.fields.containsKey("value") ? " " + show(p.fields.get("value")) : "");
        }
        if (v instanceof String s && !s.startsWith("0x") && !s.startsWith("<")) {
            StringBuilder sb = new StringBuilder();
            Json.string(sb, s);
            return sb.toString();
        }
        return Json.printable(String.valueOf(v));
    }
}
