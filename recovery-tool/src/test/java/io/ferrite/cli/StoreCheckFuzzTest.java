package io.ferrite.cli;

import static io.ferrite.store.StoreTypes.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.pheap.PField;
import io.ferrite.store.EntryDescriptor;
import io.ferrite.store.PersistentList;
import io.ferrite.store.PersistentMap;
import io.ferrite.store.PersistentSortedMap;
import io.ferrite.store.Store;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Store-level damage that the heap checks cannot see — every pointer still lands on an allocated
 * object of its declared type — made to a store written by the library: hash chains, skip-list
 * levels, list links and the directory made cyclic, entries moved to the wrong bucket, CRCs
 * broken, counts and sizes changed, keys out of order, names duplicated, a signature that does not
 * decode. {@code ferrite check} must exit 4 and name each one in a store finding; {@code --repair}
 * must leave such a pool byte for byte unchanged (store damage is reported, never "repaired").
 * The undamaged store checks clean, and a crashed one is checked on its replayed copy.
 *
 * <p>{@code -Dferrite.storefuzz.rounds=N} (default 8 rounds over every kind) and
 * {@code -Dferrite.storefuzz.seed=S} replay or widen a run; a failure names the seed and the mutation.
 */
class StoreCheckFuzzTest {
    static final int ROUNDS = Integer.getInteger("ferrite.storefuzz.rounds", 8);
    static final long SEED = Long.getLong("ferrite.storefuzz.seed", 20261202L);
    static final Duration BOUND = Duration.ofSeconds(20);
    static final long SIZE = 8L << 20;

    /** Reads and writes pool structures in a file image, as the library laid them out. */
    static final class Image {
        final byte[] b;
        final long base;

        Image(byte[] b, long base) {
            this.b = b;
            this.base = base;
        }

        ByteBuffer buf() {
            return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        }

        long i64(long obj, PField f) {
            return buf().getLong((int) (obj + f.offset()));
        }

        void setI64(long obj, PField f, long v) {
            buf().putLong((int) (obj + f.offset()), v);
        }

        long ptr(long obj, PField f) {
            long v = i64(obj, f);
            return v == 0 ? 0 : v - base;
        }

        void setPtr(long obj, PField f, long target) {
            setI64(obj, f, target == 0 ? 0 : base + target);
        }

        /** [data offset, length] of the blob at {@code off}. */
        long[] blob(long off) {
            return new long[] {off + EntryDescriptor.BLOB_DATA_OFFSET, buf().getInt((int) off) & 0xffffffffL};
        }

        String text(long blobOff) {
            long[] d = blob(blobOff);
            byte[] e = java.util.Arrays.copyOfRange(b, (int) d[0], (int) (d[0] + d[1]));
            return new String(e, EntryDescriptor.valueOffset(e), EntryDescriptor.valueLength(e), StandardCharsets.UTF_8);
        }

        /**
         * Flips one byte of the blob's data from {@code from} on (past an entry's CRC and key-length
         * words, whose damage reads as an impossible length first): a broken CRC.
         */
        void flipInBlob(long blobOff, int from, Random rnd) {
            long[] d = blob(blobOff);
            int at = (int) (d[0] + from + rnd.nextInt((int) d[1] - from));
            b[at] ^= (byte) (1 + rnd.nextInt(255));
        }

        Image copy() {
            return new Image(b.clone(), base);
        }
    }

    /** Where the base store's structures are. */
    static final class Layout {
        final List<Long> dents = new ArrayList<>();
        final TreeMap<String, Long> dentByName = new TreeMap<>();
        long hmap;
        long counts;
        /** Per non-empty bucket: {slot owner (page), slot index, nodes...}. */
        final List<long[]> chains = new ArrayList<>();
        final List<List<Long>> levels = new ArrayList<>();
        long shdr;
        long lhdr;
        final List<Long> listNodes = new ArrayList<>();

        Layout(Image im, long root) {
            for (long d = im.ptr(root, ROOT_DIR); d != 0; d = im.ptr(d, DENT_NEXT)) {
                dents.add(d);
                dentByName.put(im.text(im.ptr(d, DENT_NAME)), d);
            }
            hmap = im.ptr(dentByName.get("users"), DENT_HMAP);
            counts = im.ptr(hmap, HMAP_COUNTS);
            long lp = im.i64(hmap, HMAP_LP);
            long n = buckets(lp);
            long d1 = im.ptr(hmap, HMAP_DIR);
            for (long bkt = 0; bkt < n; bkt++) {
                int pi = (int) (bkt / PAGE_BUCKETS);
                long page = im.ptr(im.ptr(d1, DIR1_SLOT[pi / DIR2_FANOUT]), DIR2_SLOT[pi % DIR2_FANOUT]);
                int si = (int) (bkt % PAGE_BUCKETS);
                List<Long> nodes = new ArrayList<>(List.of(page, (long) si, bkt));
                for (long x = im.ptr(page, BKT_SLOT[si]); x != 0; x = im.ptr(x, HNODE_NEXT)) {
                    nodes.add(x);
                }
                if (nodes.size() > 3) {
                    chains.add(nodes.stream().mapToLong(Long::longValue).toArray());
                }
            }
            shdr = im.ptr(dentByName.get("ledger"), DENT_SMAP);
            long head = im.ptr(shdr, SHDR_HEAD);
            for (int i = 0; i < 2; i++) {
                List<Long> l = new ArrayList<>();
                for (long x = im.ptr(head, SNODE_NEXT[i]); x != 0; x = im.ptr(x, SNODE_NEXT[i])) {
                    l.add(x);
                }
                levels.add(l);
            }
            lhdr = im.ptr(dentByName.get("queue"), DENT_LIST);
            for (long x = im.ptr(lhdr, LHDR_HEAD); x != 0; x = im.ptr(x, LNODE_NEXT)) {
                listNodes.add(x);
            }
        }
    }

    /** One kind of damage: applies it to an image and returns the text the store finding must contain. */
    record Kind(String name, BiFunction<Image, Random, String> apply) {
    }

    static <T> T pick(List<T> l, Random rnd) {
        return l.get(rnd.nextInt(l.size()));
    }

    static List<Kind> kinds(Layout l) {
        List<Kind> k = new ArrayList<>();
        k.add(new Kind("skip list level 0 made cyclic", (im, rnd) -> {
            List<Long> l0 = l.levels.get(0);
            int j = 1 + rnd.nextInt(l0.size() - 1);
            im.setPtr(l0.get(j), SNODE_NEXT[0], l0.get(rnd.nextInt(j + 1)));
            return "the skip list loops";
        }));
        k.add(new Kind("hash chain made cyclic", (im, rnd) -> {
            long[] c = pick(l.chains, rnd);
            long last = c[c.length - 1];
            im.setPtr(last, HNODE_NEXT, c[3 + rnd.nextInt(c.length - 3)]);
            return "the chain of bucket " + c[2] + " leads back to node";
        }));
        k.add(new Kind("hash entry moved to the wrong bucket", (im, rnd) -> {
            long[] a = pick(l.chains, rnd);
            long[] b = pick(l.chains, rnd);
            while (b == a) {
                b = pick(l.chains, rnd);
            }
            long node = a[3];
            im.setPtr(a[0], BKT_SLOT[(int) a[1]], im.ptr(node, HNODE_NEXT));
            im.setPtr(node, HNODE_NEXT, im.ptr(b[0], BKT_SLOT[(int) b[1]]));
            im.setPtr(b[0], BKT_SLOT[(int) b[1]], node);
            return "is in bucket " + b[2] + " but its hash selects bucket " + a[2];
        }));
        k.add(new Kind("hash entry CRC broken", (im, rnd) -> {
            long[] c = pick(l.chains, rnd);
            im.flipInBlob(im.ptr(c[3 + rnd.nextInt(c.length - 3)], HNODE_ENTRY), 0, rnd);
            return "CRC32C mismatch";
        }));
        k.add(new Kind("stripe count changed", (im, rnd) -> {
            int s = rnd.nextInt(STRIPES);
            im.setI64(l.counts, CNT_SLOT[s], im.i64(l.counts, CNT_SLOT[s]) + 1 + rnd.nextInt(5));
            return "stripe " + s + " counts";
        }));
        k.add(new Kind("skip list level 1 made cyclic", (im, rnd) -> {
            List<Long> l1 = l.levels.get(1);
            int j = 1 + rnd.nextInt(l1.size() - 1);
            im.setPtr(l1.get(j), SNODE_NEXT[1], l1.get(rnd.nextInt(j + 1)));
            return "level 1 loops or is out of order";
        }));
        k.add(new Kind("skip list keys out of order", (im, rnd) -> {
            List<Long> l0 = l.levels.get(0);
            int i = rnd.nextInt(l0.size() - 1);
            int j = i + 1 + rnd.nextInt(l0.size() - i - 1);
            long ei = im.i64(l0.get(i), SNODE_ENTRY);
            im.setI64(l0.get(i), SNODE_ENTRY, im.i64(l0.get(j), SNODE_ENTRY));
            im.setI64(l0.get(j), SNODE_ENTRY, ei);
            return "level 0 is out of order";
        }));
        k.add(new Kind("sorted entry CRC broken", (im, rnd) -> {
            im.flipInBlob(im.ptr(pick(l.levels.get(0), rnd), SNODE_ENTRY), EntryDescriptor.HEADER_LENGTH, rnd);
            return "CRC32C mismatch";
        }));
        k.add(new Kind("sorted size changed", (im, rnd) -> {
            im.setI64(l.shdr, SHDR_SIZE, im.i64(l.shdr, SHDR_SIZE) - 1 - rnd.nextInt(3));
            return "but level 0 links";
        }));
        k.add(new Kind("list made cyclic", (im, rnd) -> {
            int j = rnd.nextInt(l.listNodes.size());
            im.setPtr(l.listNodes.get(j), LNODE_NEXT, l.listNodes.get(rnd.nextInt(j + 1)));
            return "the list loops";
        }));
        k.add(new Kind("list prev link broken", (im, rnd) -> {
            int j = 1 + rnd.nextInt(l.listNodes.size() - 1);
            im.setPtr(l.listNodes.get(j), LNODE_PREV, l.listNodes.get(j));
            return "(index " + j + ") links back to";
        }));
        k.add(new Kind("list size changed", (im, rnd) -> {
            im.setI64(l.lhdr, LHDR_SIZE, im.i64(l.lhdr, LHDR_SIZE) + 1 + rnd.nextInt(3));
            return "but the list links";
        }));
        k.add(new Kind("list entry CRC broken", (im, rnd) -> {
            im.flipInBlob(im.ptr(pick(l.listNodes, rnd), LNODE_ENTRY), EntryDescriptor.HEADER_LENGTH, rnd);
            return "CRC32C mismatch";
        }));
        k.add(new Kind("directory made cyclic", (im, rnd) -> {
            int j = 1 + rnd.nextInt(l.dents.size() - 1);
            im.setPtr(l.dents.get(j), DENT_NEXT, l.dents.get(rnd.nextInt(j + 1)));
            return "the directory loops";
        }));
        k.add(new Kind("directory name duplicated", (im, rnd) -> {
            int i = rnd.nextInt(l.dents.size());
            int j = (i + 1 + rnd.nextInt(l.dents.size() - 1)) % l.dents.size();
            im.setPtr(l.dents.get(j), DENT_NAME, im.ptr(l.dents.get(i), DENT_NAME));
            return "is in the directory twice";
        }));
        k.add(new Kind("signature undecodable", (im, rnd) -> {
            long sig = im.ptr(pick(l.dents, rnd), DENT_SIG);
            long[] d = im.blob(sig);
            byte[] old = java.util.Arrays.copyOfRange(im.b, (int) d[0], (int) (d[0] + d[1]));
            byte[] text = java.util.Arrays.copyOfRange(old, EntryDescriptor.valueOffset(old), old.length);
            text[0] = (byte) ('A' + rnd.nextInt(26));
            byte[] e = EntryDescriptor.build(null, text);
            System.arraycopy(e, 0, im.b, (int) d[0], e.length);
            return "does not decode for kind";
        }));
        k.add(new Kind("named value CRC broken", (im, rnd) -> {
            im.flipInBlob(im.ptr(l.dentByName.get("config"), DENT_VALUE), EntryDescriptor.HEADER_LENGTH, rnd);
            return "CRC32C mismatch";
        }));
        return k;
    }

    static Path buildStore(Path p, boolean crash) {
        Store.Context ctx = new Store.Context().heapOptions(TestPools.options());
        Store s = Store.create(p, SIZE, ctx);
        try {
            PersistentMap<String, String> users = s.map("users", String.class, String.class);
            for (int i = 0; i < 400; i++) {
                users.put("user-" + i, "value-" + i);
            }
            PersistentSortedMap<Long, String> ledger = s.sortedMap("ledger", Long.class, String.class);
            for (long i = 0; i < 120; i++) {
                ledger.put(i * 7, "line-" + i);
            }
            PersistentList<String> queue = s.list("queue", String.class);
            for (int i = 0; i < 30; i++) {
                queue.add("job-" + i);
            }
            s.setRoot("config", "mode=fast");
            if (crash) {
                users.put("after-checkpoint", "x");
                ledger.remove(14L);
                queue.pollFirst();
                s.heap().crash();
                return p;
            }
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        s.close();
        return p;
    }

    private static TestPools.Run bounded(String ctx, String... args) {
        return assertTimeoutPreemptively(BOUND, () -> TestPools.runCheck(args), () -> ctx + ": `ferrite check " + String.join(" ", args)
                + "` did not finish within " + BOUND);
    }

    @Test
    void storeDamageIsFoundAndLeftForTheOperator() throws IOException {
        Path basePool = buildStore(TestPools.fresh("store-fuzz-base"), false);
        Path work = TestPools.fresh("store-fuzz");
        try {
            long base;
            long root;
            try (Store s = Store.open(basePool, new Store.Context().heapOptions(TestPools.options()))) {
                base = s.heap().baseAddress();
                root = s.heap().root(ROOT).offset();
            }
            TestPools.Run clean = bounded("base store", "--no-progress", basePool.toString());
            assertEquals(0, clean.exit(), clean.toString());
            Image baseImage = new Image(Files.readAllBytes(basePool), base);
            Layout layout = new Layout(baseImage, root);
            assertTrue(layout.levels.get(1).size() >= 2 && layout.chains.size() >= 2, "the base store has level-1 nodes and chains");
            List<Kind> kinds = kinds(layout);
            Random rnd = new Random(SEED);
            int checked = 0;
            int repairs = 0;
            for (int round = 0; round < ROUNDS; round++) {
                for (Kind kind : kinds) {
                    Image im = baseImage.copy();
                    String want = kind.apply().apply(im, rnd);
                    CheckFuzzTest.write(work, im.b, im.b.length);
                    String ctx = "seed " + SEED + " round " + round + " (" + kind.name() + ")";
                    TestPools.Run r = bounded(ctx, "--no-progress", work.toString());
                    assertEquals(4, r.exit(), ctx + ": " + r);
                    assertTrue(r.out().lines().anyMatch(line -> line.contains("error: store") && line.contains(want)),
                            ctx + ": no store finding containing '" + want + "':\n" + r.out());
                    assertTrue(r.out().contains("--repair: reported only"), ctx + ": " + r.out());
                    // nodes a broken link cuts off look leaked: they are live data, never offered to --repair
                    assertFalse(r.out().contains("[--repair: free the unreachable objects]"), ctx + ": " + r.out());
                    assertFalse(r.err().contains("\tat "), ctx + ": " + r);
                    checked++;
                    if (round == 0) {
                        TestPools.Run rep = bounded(ctx, "--repair", "--no-progress", work.toString());
                        assertEquals(4, rep.exit(), ctx + " --repair: " + rep);
                        assertArrayEquals(im.b, Files.readAllBytes(work), ctx + ": --repair changed a pool with store damage");
                        repairs++;
                    }
                    TestPools.delete(work);
                }
            }
            assertTrue(clean.out().contains("store: 4 collections, 551 entries"), clean.out());
            System.out.printf("store check fuzz: %d damaged stores checked (%d kinds x %d rounds), each found, exit 4; --repair left"
                    + " %d of them unchanged; seed %d%n", checked, kinds.size(), ROUNDS, repairs, SEED);
        } finally {
            TestPools.delete(basePool);
            TestPools.delete(work);
        }
    }

    /**
     * The bank fuzz's random mutator (bit flips, random runs, zeroed blocks, truncation) over a
     * store, every other pool instead a few bit flips in the slabs the store's objects occupy:
     * never a crash or a hang.
     */
    @Test
    void checkSurvivesRandomlyDamagedStores() throws IOException {
        Path basePool = buildStore(TestPools.fresh("store-rfuzz-base"), false);
        Path work = TestPools.fresh("store-rfuzz");
        try {
            byte[] base = Files.readAllBytes(basePool);
            CheckFuzzTest.Regions regions = CheckFuzzTest.regions(base);
            Random rnd = new Random(SEED);
            int[] exits = new int[9];
            int storeFindings = 0;
            int pools = Math.max(1, ROUNDS * 40);
            for (int i = 0; i < pools; i++) {
                byte[] img = base.clone();
                String what = i % 2 == 0 ? CheckFuzzTest.mutate(img, regions, rnd) : flipInStoreSlabs(img, regions, rnd);
                long size = what.startsWith("truncate") ? Long.parseLong(what.substring(what.indexOf('@') + 1)) : img.length;
                CheckFuzzTest.write(work, img, size);
                String ctx = "seed " + SEED + " store pool " + i + " (" + what + ")";
                TestPools.Run r = bounded(ctx, "--no-progress", work.toString());
                assertTrue(r.exit() == 0 || r.exit() == 4 || r.exit() == 8, ctx + ": " + r);
                assertFalse(r.err().contains("internal error") || r.err().contains("\tat "), ctx + ": " + r);
                exits[r.exit()]++;
                storeFindings += r.out().contains("error: store") ? 1 : 0;
                TestPools.delete(work);
            }
            System.out.printf("store check random fuzz: %d mutated stores checked (exit 0: %d, 4: %d, 8: %d; %d with store findings),"
                    + " seed %d%n", pools, exits[0], exits[4], exits[8], storeFindings, SEED);
        } finally {
            TestPools.delete(basePool);
            TestPools.delete(work);
        }
    }

    /** One to three bit flips among the first 16 slabs (where the base store's objects are). */
    private static String flipInStoreSlabs(byte[] img, CheckFuzzTest.Regions regions, Random rnd) {
        long[] first3 = regions.ranges()[6];
        long start = first3[0];
        long len = Math.min(img.length - start, (first3[1] - first3[0]) / 3 * 16);
        StringBuilder sb = new StringBuilder("bit flips in the store's slabs:");
        for (int f = 1 + rnd.nextInt(3); f > 0; f--) {
            int at = (int) (start + (long) (rnd.nextDouble() * len));
            int bit = rnd.nextInt(8);
            img[at] ^= (byte) (1 << bit);
            sb.append(' ').append(at).append('.').append(bit);
        }
        return sb.toString();
    }

    @Test
    void aCrashedStoreIsCheckedOnItsReplayedCopy() {
        Path p = buildStore(TestPools.fresh("store-crash"), true);
        try {
            TestPools.Run r = bounded("crashed store", "--no-progress", p.toString());
            assertEquals(4, r.exit(), r.toString());
            assertTrue(r.out().contains("needs recovery"), r.out());
            assertTrue(r.out().contains("store: 4 collections, 550 entries"), r.out());
            assertFalse(r.out().contains("error:"), r.out());
        } finally {
            TestPools.delete(p);
        }
    }
}
