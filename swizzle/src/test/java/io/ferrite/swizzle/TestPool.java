package io.ferrite.swizzle;

import static io.ferrite.swizzle.Pointers.WORD;

import io.ferrite.media.Media;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A small synthetic pool that implements {@link SwizzleView} over a {@link Media}, laid out the
 * way the heap lays out its own (a slab table with recorded-base words, slabs of one type with an
 * allocation bitmap, large objects spanning several slabs, a pointer-free blob type):
 *
 * <pre>
 * 0    magic (8) | pool base P (8) | slab count (4) | slab size (4) | ...
 * 64   slab table: per slab 32 bytes [type i32][span i32][recorded-base word u64][16 reserved]
 * S    slabs (S = the first multiple of the slab size after the table), each:
 *      [allocation bitmap, whole 64-byte lines][objects of one size]
 * </pre>
 *
 * Types: NODE(48 B: key, next->NODE, any->*, blob->BLOB, big->BIG, pad), PAIR(24 B: left->*, key,
 * right->PAIR), BLOB(40 B, no pointers), BIG(one object per run of {@value #BIG_SPAN} slabs, pointers
 * in every slab of the run), CELL (64 B: left->CELL, right->CELL; benchmarks). The view may present any page-aligned {@link #base()} (swizzling only
 * does arithmetic with it), so crash tests can relocate an in-memory image anywhere.
 */
final class TestPool implements SwizzleView {
    static final long MAGIC = 0x4c4f4f5054534554L;
    static final long POOL_BASE_OFFSET = 8;
    static final long SLAB_COUNT_OFFSET = 16;
    static final long SLAB_SIZE_OFFSET = 20;
    static final long TABLE_OFFSET = 64;
    static final int ENTRY = 32;
    static final int ENTRY_TYPE = 0;
    static final int ENTRY_SPAN = 4;
    static final int ENTRY_BASE = 8;
    /** Bitmap bytes per slab: one bit per 8 bytes of slab would be plenty; one per 64 bytes, in whole lines. */
    static int bitmapBytes(int slabSize) {
        return Math.max(64, (slabSize / 64 / 8 + 63) / 64 * 64);
    }
    static final int BIG_SPAN = 3;

    static final int NODE = 0;
    static final int PAIR = 1;
    static final int BLOB = 2;
    static final int BIG = 3;
    /** 64 bytes with two pointers: the benchmark's object. */
    static final int CELL = 4;
    static final String[] TYPE_NAMES = {"Node", "Pair", "Blob", "Big", "Cell"};

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private final Media media;
    private final MemorySegment seg;
    private final long base;
    private final int slabCount;
    private final int slabSize;
    private final long slabsOffset;
    private final int[] types;
    private final int[] spans;
    private final PointerMap[] maps;

    private TestPool(Media media, long base) {
        this.media = media;
        this.seg = media.segment();
        this.base = base;
        if (seg.get(WORD, 0) != MAGIC) {
            throw new IllegalStateException("not a test pool");
        }
        this.slabCount = seg.get(INT, SLAB_COUNT_OFFSET);
        this.slabSize = seg.get(INT, SLAB_SIZE_OFFSET);
        this.slabsOffset = slabsOffset(slabSize, slabCount);
        this.types = new int[slabCount];
        this.spans = new int[slabCount];
        for (int s = 0; s < slabCount; s++) {
            types[s] = seg.get(INT, TABLE_OFFSET + (long) s * ENTRY + ENTRY_TYPE);
            spans[s] = seg.get(INT, TABLE_OFFSET + (long) s * ENTRY + ENTRY_SPAN);
        }
        this.maps = maps(slabSize);
    }

    static PointerMap[] maps(int slabSize) {
        long bigSize = bigObjectSize(slabSize);
        return new PointerMap[] {
            PointerMap.builder().pointer("next", 8, NODE).pointer("any", 16, PointerMap.ANY_TYPE)
                    .pointer("blob", 24, BLOB).pointer("big", 32, BIG).build(),
            PointerMap.builder().pointer("left", 0, PointerMap.ANY_TYPE).pointer("right", 16, PAIR).build(),
            PointerMap.NONE,
            PointerMap.builder().pointer("first", 8, PointerMap.ANY_TYPE).pointer("second", slabSize, NODE)
                    .pointer("third", slabSize + 8, PointerMap.ANY_TYPE).pointer("fourth", 2L * slabSize + 16, BIG)
                    .pointer("last", bigSize - 8, PointerMap.ANY_TYPE).build(),
            PointerMap.builder().pointer("left", 0, CELL).pointer("right", 8, CELL).build(),
        };
    }

    static long objectSizeOf(int type, int slabSize) {
        return switch (type) {
            case NODE -> 48;
            case PAIR -> 24;
            case BLOB -> 40;
            case BIG -> bigObjectSize(slabSize);
            case CELL -> 64;
            default -> throw new IllegalArgumentException("type " + type);
        };
    }

    static long bigObjectSize(int slabSize) {
        return (long) BIG_SPAN * slabSize - bitmapBytes(slabSize);
    }

    static long slabsOffset(int slabSize, int slabCount) {
        long tableEnd = TABLE_OFFSET + (long) slabCount * ENTRY;
        return (tableEnd + slabSize - 1) / slabSize * slabSize;
    }

    static long sizeFor(int slabSize, int slabCount) {
        return slabsOffset(slabSize, slabCount) + (long) slabCount * slabSize;
    }

    /** Writes an empty pool (every slab free) whose pointers assume {@code poolBase}. */
    static TestPool format(Media media, long poolBase, int slabSize, int slabCount) {
        MemorySegment s = media.segment();
        if (s.byteSize() < sizeFor(slabSize, slabCount)) {
            throw new IllegalArgumentException("media too small");
        }
        s.fill((byte) 0);
        s.set(WORD, 0, MAGIC);
        s.set(WORD, POOL_BASE_OFFSET, poolBase);
        s.set(INT, SLAB_COUNT_OFFSET, slabCount);
        s.set(INT, SLAB_SIZE_OFFSET, slabSize);
        for (int i = 0; i < slabCount; i++) {
            s.set(INT, TABLE_OFFSET + (long) i * ENTRY + ENTRY_TYPE, FREE);
            s.set(INT, TABLE_OFFSET + (long) i * ENTRY + ENTRY_SPAN, 1);
        }
        return new TestPool(media, poolBase);
    }

    /** A pool holding {@link #randomGraph a random graph} whose pointers assume {@code poolBase}. */
    static TestPool random(Media media, long poolBase, int slabSize, int slabCount, Random rnd) {
        TestPool p = format(media, poolBase, slabSize, slabCount);
        p.randomGraph(rnd);
        return p;
    }

    /** The pool in {@code media}, viewed as mapped at {@code base}. */
    static TestPool attach(Media media, long base) {
        return new TestPool(media, base);
    }

    /** Gives slab {@code s} a type (a BIG run takes {@value #BIG_SPAN} slabs); its word becomes AT(base). */
    void formatSlab(int s, int type) {
        int span = type == BIG ? BIG_SPAN : 1;
        for (int i = 0; i < span; i++) {
            int t = i == 0 ? type : CONTINUATION;
            seg.set(INT, TABLE_OFFSET + (long) (s + i) * ENTRY + ENTRY_TYPE, t);
            seg.set(INT, TABLE_OFFSET + (long) (s + i) * ENTRY + ENTRY_SPAN, i == 0 ? span : 1);
            types[s + i] = t;
            spans[s + i] = i == 0 ? span : 1;
        }
        seg.set(WORD, recordedBaseOffset(s), RecordedBaseDescriptor.at(base));
    }

    void setAllocated(int s, int index, boolean allocated) {
        long at = slabsOffset + (long) s * slabSize + (index >>> 6) * 8L;
        long w = seg.get(WORD, at);
        seg.set(WORD, at, allocated ? w | 1L << index : w & ~(1L << index));
    }

    long objectOffset(int s, int index) {
        return objectsOffset(s) + index * objectSize(s);
    }

    /** Writes field {@code f} of (s, i) to point at (ts, ti) in the slab's current form; ts = -1 for null. */
    void setPointer(int s, int i, int f, int ts, int ti) {
        long target = ts < 0 ? -1 : objectOffset(ts, ti);
        seg.set(WORD, objectOffset(s, i) + maps[types[s]].offset(f),
                Pointers.encodeFor(recordedBase(s), target));
    }

    void setPoolBaseRaw(long p) {
        seg.set(WORD, POOL_BASE_OFFSET, p);
    }

    /** A key that depends only on (slab, index): non-pointer data that swizzling must not touch. */
    static long key(int s, int i) {
        long z = (s * 0x9E3779B97F4A7C15L) ^ (i + 0x632BE59BD9B4E019L);
        z = (z ^ (z >>> 31)) * 0xBF58476D1CE4E5B9L;
        return z ^ (z >>> 29);
    }

    void writeKey(int s, int i) {
        long obj = objectOffset(s, i);
        long k = key(s, i);
        switch (types[s]) {
            case NODE -> {
                seg.set(WORD, obj, k);
                seg.set(WORD, obj + 40, ~k);
            }
            case PAIR -> seg.set(WORD, obj + 8, k);
            case BLOB -> {
                for (int w = 0; w < 5; w++) {
                    seg.set(WORD, obj + 8L * w, k + w);
                }
            }
            case BIG -> {
                seg.set(WORD, obj, k);
                seg.set(WORD, obj + 2L * slabSize, ~k); // in the third slab, between pointers
            }
            case CELL -> seg.set(WORD, obj + 16, k);
            default -> throw new IllegalStateException();
        }
    }

    // ---- the view ----

    @Override
    public Media media() {
        return media;
    }

    @Override
    public MemorySegment segment() {
        return seg;
    }

    @Override
    public long base() {
        return base;
    }

    @Override
    public long poolBase() {
        return seg.get(WORD, POOL_BASE_OFFSET);
    }

    @Override
    public void persistPoolBase(long p) {
        seg.set(WORD, POOL_BASE_OFFSET, p);
        media.persist(POOL_BASE_OFFSET, 8);
    }

    @Override
    public int slabCount() {
        return slabCount;
    }

    @Override
    public long slabsOffset() {
        return slabsOffset;
    }

    @Override
    public long slabSize() {
        return slabSize;
    }

    @Override
    public int slabType(int slab) {
        return types[slab];
    }

    @Override
    public int slabSpan(int slab) {
        return spans[slab];
    }

    @Override
    public long recordedBaseOffset(int slab) {
        return TABLE_OFFSET + (long) slab * ENTRY + ENTRY_BASE;
    }

    @Override
    public long objectsOffset(int slab) {
        return slabsOffset + (long) slab * slabSize + bitmapBytes(slabSize);
    }

    @Override
    public long objectSize(int slab) {
        return objectSizeOf(types[slab], slabSize);
    }

    @Override
    public int objectCount(int slab) {
        return types[slab] == BIG ? 1 : (int) Math.min(bitmapBytes(slabSize) * 8L, (slabSize - bitmapBytes(slabSize)) / objectSize(slab));
    }

    @Override
    public boolean isAllocated(int slab, int index) {
        return (allocationBits(slab, index & ~63) >>> (index & 63) & 1) != 0;
    }

    @Override
    public long allocationBits(int slab, int firstIndex) {
        return seg.get(WORD, slabsOffset + (long) slab * slabSize + (firstIndex >>> 6) * 8L);
    }

    @Override
    public PointerMap pointerMap(int typeId) {
        return maps[typeId];
    }

    @Override
    public String typeName(int typeId) {
        return typeId >= 0 && typeId < TYPE_NAMES.length ? TYPE_NAMES[typeId] : "type " + typeId;
    }

    // ---- the logical graph ----

    /** Every allocated object as (slab, index); heads only. */
    List<long[]> objects() {
        List<long[]> out = new ArrayList<>();
        for (int s = 0; s < slabCount; s++) {
            if (types[s] < 0) {
                continue;
            }
            for (int i = 0; i < objectCount(s); i++) {
                if (isAllocated(s, i)) {
                    out.add(new long[] {s, i});
                }
            }
        }
        return out;
    }

    /**
     * The pool as a base-independent array: per allocated object its id (slab &lt;&lt; 32 | index),
     * its key data, and per pointer field the id of the target (-1 for null). Fails when a pointer
     * does not resolve, or a slab is not in state AT.
     */
    long[] logical() {
        long words = 0;
        for (int s = 0; s < slabCount; s++) {
            if (types[s] >= 0) {
                long live = 0;
                for (int g = 0; g < objectCount(s); g += 64) {
                    live += Long.bitCount(allocationBits(s, g) & (objectCount(s) - g >= 64 ? -1L : (1L << (objectCount(s) - g)) - 1));
                }
                words += live * (2 + maps[types[s]].count());
            }
        }
        long[] out = new long[(int) words + 16];
        int n = 0;
        for (int s = 0; s < slabCount; s++) {
            if (types[s] < 0) {
                continue;
            }
            long w = recordedBase(s);
            PointerMap map = maps[types[s]];
            if (!map.isEmpty() && RecordedBaseDescriptor.state(w) != RecordedBaseDescriptor.STATE_AT) {
                throw new AssertionError("slab " + s + " is " + RecordedBaseDescriptor.describe(w));
            }
            long b = RecordedBaseDescriptor.base(w);
            for (int i = 0; i < objectCount(s); i++) {
                if (!isAllocated(s, i)) {
                    continue;
                }
                if (n + 16 > out.length) {
                    out = Arrays.copyOf(out, out.length * 2);
                }
                long obj = objectOffset(s, i);
                out[n++] = (long) s << 32 | i;
                out[n++] = keyData(s, obj);
                for (int f = 0; f < map.count(); f++) {
                    long v = seg.get(WORD, obj + map.offset(f));
                    out[n++] = v == 0 ? -1 : resolve(v - b, s, i, map.name(f), v);
                }
            }
        }
        return Arrays.copyOf(out, n);
    }

    private long keyData(int s, long obj) {
        return switch (types[s]) {
            case NODE -> seg.get(WORD, obj) ^ seg.get(WORD, obj + 40) * 3;
            case PAIR -> seg.get(WORD, obj + 8);
            case BLOB -> {
                long h = 0;
                for (int w = 0; w < 5; w++) {
                    h = h * 31 + seg.get(WORD, obj + 8L * w);
                }
                yield h;
            }
            case BIG -> seg.get(WORD, obj) ^ seg.get(WORD, obj + 2L * slabSize) * 3;
            case CELL -> seg.get(WORD, obj + 16);
            default -> throw new IllegalStateException();
        };
    }

    private long resolve(long off, int s, int i, String field, long v) {
        long rel = off - slabsOffset;
        if (off < 0 || rel < 0 || rel >= (long) slabCount * slabSize) {
            throw new AssertionError(String.format("slab %d obj %d %s = 0x%x: offset %d outside the slabs", s, i, field, v, off));
        }
        int ts = (int) (rel / slabSize);
        long d = off - objectsOffset(ts);
        if (types[ts] < 0 || d < 0 || d % objectSize(ts) != 0) {
            throw new AssertionError(String.format("slab %d obj %d %s = 0x%x: offset %d is no object start", s, i, field, v, off));
        }
        return (long) ts << 32 | (d / objectSize(ts));
    }

    // ---- random graphs ----

    /**
     * Fills a formatted pool with a random graph: slabs of every type (one or two BIG runs, some
     * free slabs), about 70% of slots allocated, pointers across slabs, into BIG runs and blobs,
     * nulls, self-pointers and cycles. Persists everything.
     */
    void randomGraph(Random rnd) {
        int s = 0;
        int bigs = 1 + rnd.nextInt(2);
        while (s < slabCount) {
            int r = rnd.nextInt(10);
            if (bigs > 0 && s + BIG_SPAN <= slabCount && (r == 0 || slabCount - s < 2 * BIG_SPAN)) {
                formatSlab(s, BIG);
                s += BIG_SPAN;
                bigs--;
                continue;
            }
            int type = r < 4 ? NODE : r < 7 ? PAIR : r < 9 ? BLOB : FREE;
            if (type != FREE) {
                formatSlab(s, type);
            }
            s++;
        }
        List<List<long[]>> byType = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            byType.add(new ArrayList<>());
        }
        for (int sl = 0; sl < slabCount; sl++) {
            if (types[sl] < 0) {
                continue;
            }
            int n = objectCount(sl);
            for (int i = 0; i < n; i++) {
                if (n == 1 || rnd.nextInt(10) < 7) {
                    setAllocated(sl, i, true);
                    writeKey(sl, i);
                    byType.get(types[sl]).add(new long[] {sl, i});
                }
            }
        }
        List<long[]> all = new ArrayList<>();
        byType.forEach(all::addAll);
        for (long[] o : all) {
            int sl = (int) o[0];
            int i = (int) o[1];
            PointerMap map = maps[types[sl]];
            for (int f = 0; f < map.count(); f++) {
                List<long[]> pool = map.targetType(f) == PointerMap.ANY_TYPE ? all : byType.get(map.targetType(f));
                int r = rnd.nextInt(20);
                if (r < 3 || pool.isEmpty()) {
                    setPointer(sl, i, f, -1, 0);
                } else if (r == 3 && (map.targetType(f) == PointerMap.ANY_TYPE || map.targetType(f) == types[sl])) {
                    setPointer(sl, i, f, sl, i);
                } else {
                    long[] t = pool.get(rnd.nextInt(pool.size()));
                    setPointer(sl, i, f, (int) t[0], (int) t[1]);
                }
            }
        }
        media.persist(0, seg.byteSize());
    }

    /** Rewrites {@code count} random pointer fields to random well-typed targets (at the current form). */
    void mutate(Random rnd, int count) {
        List<long[]> all = objects();
        List<long[]> withPointers = all.stream().filter(o -> !maps[types[(int) o[0]]].isEmpty()).toList();
        for (int c = 0; c < count && !withPointers.isEmpty(); c++) {
            long[] o = withPointers.get(rnd.nextInt(withPointers.size()));
            PointerMap map = maps[types[(int) o[0]]];
            int f = rnd.nextInt(map.count());
            int want = map.targetType(f);
            List<long[]> pool = all.stream().filter(t -> want == PointerMap.ANY_TYPE || types[(int) t[0]] == want).toList();
            if (pool.isEmpty() || rnd.nextInt(8) == 0) {
                setPointer((int) o[0], (int) o[1], f, -1, 0);
            } else {
                long[] t = pool.get(rnd.nextInt(pool.size()));
                setPointer((int) o[0], (int) o[1], f, (int) t[0], (int) t[1]);
            }
        }
        media.persist(0, seg.byteSize());
    }
}
