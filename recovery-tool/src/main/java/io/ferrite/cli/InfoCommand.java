package io.ferrite.cli;

import io.ferrite.media.LibPmem;
import io.ferrite.media.MediaOptions;
import io.ferrite.pheap.format.Superblock;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ferrite info}: everything the pool says about itself, read-only. */
@Command(name = "info", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Describe a pool without changing a byte (like pmempool info or pg_controldata).",
            "",
            "Maps the pool read-only and prints: both superblocks (which is valid and which is in force),",
            "the format version, UUID, size and regions, the media and the flush backend a writer would use,",
            "the types of the persisted registry with their layouts, slab usage per type, the root object,",
            "the log (head, tail, durable and checkpoint LSN, records to replay), the term, the clean-close",
            "flag and who holds the writer lock. Replication slots and the last drain report read \"none\"",
            "until replication is built.",
            "",
            "A pool that is open in another process can be inspected: the output is then a live snapshot."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:the pool was described",
            "4:the pool is damaged so that part of it could not be described (run ferrite check)",
            "8:usage or operational error (missing file, not a pool, newer format version)"},
        footerHeading = "%nExamples:%n",
        footer = {
            "  ferrite info /dev/shm/orders.pool",
            "  ferrite info --json /dev/shm/orders.pool | jq .log"})
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "POOL", description = "The pool file.")
    Path pool;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (PoolImage img = PoolImage.open(pool, false)) {
            Optional<String> holder = LockProbe.holder(pool);
            try (Recovered rec = Recovered.of(img)) {
                if (rec.note != null) {
                    spec.commandLine().getErr().println("ferrite info: " + rec.note);
                }
                PoolModel m = PoolModel.decode(rec.image, img.sb);
                Json.Obj o = describe(img, rec, m, holder);
                if (json) {
                    out.println(o);
                } else {
                    text(out, o);
                }
                out.flush();
                List<Finding> damage = m.damage();
                boolean damaged = !damage.isEmpty() || rec.problem != null;
                if (damaged && holder.isPresent()) {
                    // A live writer changes the pool while it is read: a torn snapshot is not damage.
                    spec.commandLine().getErr().println("ferrite info: " + pool + " is open by a writer; this snapshot may be"
                            + " inconsistent (" + Json.printable(rec.problem != null ? rec.problem : damage.get(0).message()) + ")");
                    return Ferrite.EXIT_CLEAN;
                }
                if (damaged) {
                    spec.commandLine().getErr().println("ferrite info: " + pool + " is damaged (" + Json.printable(rec.problem != null
                            ? rec.problem : damage.get(0).message()) + "); run `ferrite check " + pool + "`");
                }
                return damaged ? Ferrite.EXIT_ERRORS_LEFT : Ferrite.EXIT_CLEAN;
            }
        }
    }

    /** The backend a writer opening this pool would get (the same rule as the media layer's auto). */
    static String writerBackend(String fs, boolean pmem) {
        String prop = System.getProperty(MediaOptions.BACKEND_PROP_NAME);
        if (prop != null && !prop.equals("auto")) {
            return prop + " (set by -D" + MediaOptions.BACKEND_PROP_NAME + ")";
        }
        boolean lib = LibPmem.load().isPresent();
        if (lib && (pmem || fs.startsWith("tmpfs"))) {
            return "libpmem (auto: libpmem present, " + (pmem ? "DAX" : "tmpfs") + ")";
        }
        return "msync (auto: " + (lib ? "not DAX or tmpfs" : "libpmem not installed") + ")";
    }

    static Json.Obj describe(PoolImage img, Recovered rec, PoolModel m, Optional<String> holder) {
        Superblock sb = img.sb;
        Json.Obj o = Json.obj();
        o.put("pool", img.path.toString());
        o.put("formatVersion", sb.formatVersion());
        o.put("uuid", sb.poolId().toString());
        o.put("size", sb.poolSize());
        o.put("maxSize", sb.maxSize());
        o.put("fileSize", img.fileSize);
        o.put("created", Instant.ofEpochMilli(sb.created()).toString());
        o.put("media", Json.obj().put("fileSystem", img.media.fileSystem())
                .put("persistentMemory", img.media.isPersistentMemory())
                .put("writerBackend", writerBackend(img.media.fileSystem(), img.media.isPersistentMemory()))
                .put("inspection", "read-only mapping"));
        Json.Arr sbs = Json.arr();
        for (PoolImage.Slot s : img.slots) {
            Json.Obj j = Json.obj().put("copy", s.name()).put("offset", s.offset()).put("valid", s.problem() == null)
                    .put("current", s.index() == img.current);
            if (s.problem() != null) {
                j.put("problem", s.problem());
            } else {
                j.put("sequence", s.sb().sequence()).put("checkpointLsn", s.sb().checkpointLsn()).put("cleanClose", s.sb().cleanClose());
            }
            sbs.add(j);
        }
        o.put("superblocks", sbs);
        o.put("baseAddress", String.format("0x%x", sb.baseAddress()));
        o.put("term", sb.term());
        o.put("cleanClose", sb.cleanClose());
        o.put("writerLock", holder.map(h -> (Object) ("held by " + h)).orElse("free"));
        o.put("regions", Json.obj()
                .put("registry", Json.obj().put("offset", sb.registryOffset()).put("length", sb.registryLength()))
                .put("slabTable", Json.obj().put("offset", sb.slabTableOffset()).put("length", sb.slabTableLength()))
                .put("log", Json.obj().put("offset", sb.logOffset()).put("length", sb.logLength()))
                .put("slabs", Json.obj().put("offset", sb.slabAreaOffset()).put("count", sb.slabCount()).put("slabSize", sb.slabSize())));
        LogScan l = rec.log;
        Json.Obj lj = Json.obj();
        if (l.headerProblem != null) {
            lj.put("problem", l.headerProblem);
        } else {
            lj.put("capacity", l.capacity).put("maxRecordSize", l.maxRecordSize).put("epoch", l.epoch)
                    .put("headLsn", l.headLsn).put("tailLsn", l.tailLsn).put("durableLsn", l.tailLsn)
                    .put("checkpointLsn", sb.checkpointLsn()).put("records", l.records).put("recordsToReplay", rec.replayed)
                    .put("end", l.tornLsn >= 0 ? l.stopReason : "clean");
        }
        o.put("log", lj);
        Map<Integer, long[]> usage = m.usage();
        Json.Arr types = Json.arr();
        for (PoolModel.Type t : m.types) {
            Json.Obj tj = Json.obj().put("id", t.id()).put("name", t.name());
            tj.put("kind", t.variable() ? "blob (variable size)" : t.blob() ? "blob" : "struct");
            tj.put("size", t.size());
            tj.put("perSlab", t.large() ? 0 : t.objectCount());
            Json.Arr fs = Json.arr();
            for (PoolModel.Field f : t.fields()) {
                Json.Obj fj = Json.obj().put("name", f.name()).put("kind", f.kindName()).put("offset", f.offset())
                        .put("length", f.length());
                if (f.target() != null) {
                    fj.put("target", f.target());
                }
                fs.add(fj);
            }
            tj.put("fields", fs);
            long[] u = usage.getOrDefault(t.id(), new long[3]);
            tj.put("slabs", u[0]).put("objects", u[1]).put("capacity", u[2]);
            types.add(tj);
        }
        o.put("types", types);
        o.put("slabs", Json.obj().put("total", sb.slabCount()).put("free", m.freeSlabs()).put("inUse", sb.slabCount() - m.freeSlabs()));
        o.put("used", (long) (sb.slabCount() - m.freeSlabs()) * sb.slabSize());
        PoolModel.Type rt = m.rootType();
        o.put("root", rt == null ? null : rt.name() + "@" + m.rootOffset);
        o.put("replication", Json.obj().put("slots", "none (replication not built yet)")
                .put("lastDrainReport", "none (replication not built yet)"));
        if (!m.findings.isEmpty()) {
            Json.Arr p = Json.arr();
            m.findings.forEach(f -> p.add(f.line()));
            o.put("problems", p);
        }
        return o;
    }

    private static void text(PrintWriter out, Json.Obj o) {
        Map<String, Object> f = o.fields;
        out.printf("pool %s%n", f.get("pool"));
        out.printf("  format version %s, UUID %s, %,d bytes (file %,d), created %s%n", f.get("formatVersion"), f.get("uuid"),
                (Long) f.get("size"), (Long) f.get("fileSize"), f.get("created"));
        Map<String, Object> sl0 = ((Json.Obj) f.get("slabs")).fields;
        long size = (Long) f.get("size");
        long max = (Long) f.get("maxSize");
        out.printf("  size %,d bytes, maximum %,d (%s), used %,d bytes (%s of %s slabs)%n", size, max,
                max > size ? "grows on its own; `ferrite grow` grows it now" : "fixed", (Long) f.get("used"), sl0.get("inUse"),
                sl0.get("total"));
        Map<String, Object> media = ((Json.Obj) f.get("media")).fields;
        out.printf("  media: %s, %s; a writer would flush with %s%n", media.get("fileSystem"),
                Boolean.TRUE.equals(media.get("persistentMemory")) ? "real persistent memory (DAX)"
                        : "not persistent memory (emulated: durable only as far as the file system is)", media.get("writerBackend"));
        for (Object s : ((Json.Arr) f.get("superblocks")).items) {
            Map<String, Object> sf = ((Json.Obj) s).fields;
            out.printf("  superblock %s (offset %s): %s%n", sf.get("copy"), sf.get("offset"), Boolean.TRUE.equals(sf.get("valid"))
                    ? "valid, sequence " + sf.get("sequence") + ", checkpoint LSN " + sf.get("checkpointLsn")
                    + (Boolean.TRUE.equals(sf.get("current")) ? "  <- in force" : "") : "INVALID: " + sf.get("problem"));
        }
        out.printf("  base address %s, term %s, clean close: %s, writer lock: %s%n", f.get("baseAddress"), f.get("term"),
                Boolean.TRUE.equals(f.get("cleanClose")) ? "yes" : "NO (crashed, or open now)", f.get("writerLock"));
        Map<String, Object> r = ((Json.Obj) f.get("regions")).fields;
        out.printf("  regions: registry %s, slab table %s, log %s, slabs %s%n", region(r.get("registry")), region(r.get("slabTable")),
                region(r.get("log")), slabsText(r.get("slabs")));
        Map<String, Object> l = ((Json.Obj) f.get("log")).fields;
        if (l.containsKey("problem")) {
            out.printf("  log: DAMAGED: %s%n", l.get("problem"));
        } else {
            out.printf("  log: capacity %,d, epoch %s, head %s, tail %s, durable %s, checkpoint %s; %s records, %s to replay; end: %s%n",
                    (Long) l.get("capacity"), l.get("epoch"), l.get("headLsn"), l.get("tailLsn"), l.get("durableLsn"),
                    l.get("checkpointLsn"), l.get("records"), l.get("recordsToReplay"), l.get("end"));
        }
        Map<String, Object> sl = ((Json.Obj) f.get("slabs")).fields;
        out.printf("  slabs: %s in use, %s free of %s%n", sl.get("inUse"), sl.get("free"), sl.get("total"));
        out.printf("  root: %s%n", f.get("root") == null ? "none" : Json.printable((String) f.get("root")));
        Json.Arr types = (Json.Arr) f.get("types");
        out.printf("  types (%d):%n", types.size());
        for (Object t : types.items) {
            Map<String, Object> tf = ((Json.Obj) t).fields;
            String fields = compactFields(((Json.Arr) tf.get("fields")).items);
            out.printf("    #%-3s %s, %s, %s bytes%s: {%s}%n", tf.get("id"), Json.printable((String) tf.get("name")), tf.get("kind"),
                    tf.get("size"),
                    ((Long) tf.get("slabs")) > 0 ? String.format(", %s objects in %s slab(s)", tf.get("objects"), tf.get("slabs")) : "",
                    fields);
        }
        Map<String, Object> rep = ((Json.Obj) f.get("replication")).fields;
        out.printf("  replication slots: %s%n  last drain report: %s%n", rep.get("slots"), rep.get("lastDrainReport"));
        if (f.get("problems") instanceof Json.Arr p) {
            out.printf("  problems (%d):%n", p.size());
            p.items.forEach(x -> out.printf("    %s%n", Json.printable((String) x)));
        }
    }

    private static String region(Object o) {
        Map<String, Object> f = ((Json.Obj) o).fields;
        return f.get("offset") + "+" + f.get("length");
    }

    private static String slabsText(Object o) {
        Map<String, Object> f = ((Json.Obj) o).fields;
        return f.get("offset") + "+" + f.get("count") + "x" + f.get("slabSize");
    }

    /**
     * The fields of a type for the text output, a run of repeated fields shown once: fields named
     * PREFIX0, PREFIX1, ... of the same kind and target at evenly spaced offsets (3 or more) print
     * as {@code PREFIX[0..N-1] KIND->TARGET @FIRST (N x STRIDE bytes)}, so a 256-pointer bucket
     * type takes one entry, not 256. The JSON output lists every field.
     */
    static String compactFields(java.util.List<Object> items) {
        int n = items.size();
        String[] prefix = new String[n];
        long[] index = new long[n];
        String[] rest = new String[n];
        long[] offset = new long[n];
        for (int i = 0; i < n; i++) {
            Map<String, Object> ff = ((Json.Obj) items.get(i)).fields;
            String name = Json.printable((String) ff.get("name"));
            int d = name.length();
            while (d > 0 && Character.isDigit(name.charAt(d - 1))) {
                d--;
            }
            boolean numbered = d < name.length() && name.length() - d <= 9 && (name.charAt(d) != '0' || d == name.length() - 1);
            prefix[i] = numbered ? name.substring(0, d) : null;
            index[i] = numbered ? Long.parseLong(name.substring(d)) : -1;
            StringBuilder r = new StringBuilder().append(ff.get("kind"));
            if ("bytes".equals(ff.get("kind"))) {
                r.append('[').append(ff.get("length")).append(']');
            }
            if (ff.get("target") != null) {
                r.append("->").append(Json.printable((String) ff.get("target")));
            }
            rest[i] = r.toString();
            offset[i] = ((Number) ff.get("offset")).longValue();
            if (!numbered) {
                prefix[i] = name;
            }
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < n; ) {
            int j = i + 1;
            if (index[i] >= 0) {
                while (j < n && index[j] == index[j - 1] + 1 && prefix[j].equals(prefix[i]) && rest[j].equals(rest[i])
                        && (j == i + 1 || offset[j] - offset[j - 1] == offset[i + 1] - offset[i])) {
                    j++;
                }
            }
            out.append(out.isEmpty() ? "" : "; ");
            if (j - i >= 3) {
                out.append(prefix[i]).append('[').append(index[i]).append("..").append(index[j - 1]).append("] ").append(rest[i])
                        .append(" @").append(offset[i]).append(" (").append(j - i).append(" x ").append(offset[i + 1] - offset[i])
                        .append(" bytes)");
                i = j;
            } else {
                out.append(prefix[i]).append(index[i] >= 0 ? String.valueOf(index[i]) : "").append(' ').append(rest[i]).append(" @")
                        .append(offset[i]);
                i++;
            }
        }
        return out.toString();
    }
}
