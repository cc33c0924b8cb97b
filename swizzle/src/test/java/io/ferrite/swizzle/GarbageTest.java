package io.ferrite.swizzle;

import static io.ferrite.swizzle.Pointers.WORD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.FerriteException;
import io.ferrite.media.Media;
import io.ferrite.swizzle.BadPointer.Problem;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Garbage in pointer fields: verification reports each bad word with slab, object and field and
 * the right reason; swizzling leaves garbage alone (no crash, counted as suspect), moves every
 * good pointer, and verification still reports the same words afterwards.
 */
class GarbageTest {
    static final int SLAB_SIZE = 4096;
    static final int SLABS = 40;

    record Planted(int slab, int index, int field, long wordOffset, long original, Problem expected) {
    }

    @Test
    void garbageIsReportedAndSurvivesSwizzling() {
        for (long seed = 100; seed < 130; seed++) {
            run(seed);
        }
    }

    private void run(long seed) {
        Random rnd = new Random(seed);
        long size = TestPool.sizeFor(SLAB_SIZE, SLABS);
        long b0 = Checks.randomBase(rnd);
        try (Media m = Media.inMemory(size)) {
            TestPool p = TestPool.random(m, b0, SLAB_SIZE, SLABS, rnd);
            long[] expected = p.logical();
            MemorySegment seg = m.segment();
            List<long[]> objects = p.objects();
            List<long[]> withPointers = objects.stream().filter(o -> !p.pointerMap(p.slabType((int) o[0])).isEmpty()).toList();
            Map<Long, Planted> planted = new HashMap<>();
            for (int g = 0; g < 40; g++) {
                long[] o = withPointers.get(rnd.nextInt(withPointers.size()));
                int s = (int) o[0];
                int i = (int) o[1];
                PointerMap map = p.pointerMap(p.slabType(s));
                int f = rnd.nextInt(map.count());
                long at = p.objectOffset(s, i) + map.offset(f);
                if (planted.containsKey(at)) {
                    continue;
                }
                long[] garbage = garbage(rnd, p, objects, map.targetType(f), b0, size);
                if (garbage == null) {
                    continue;
                }
                planted.put(at, new Planted(s, i, f, at, seg.get(WORD, at), Problem.values()[(int) garbage[1]]));
                seg.set(WORD, at, garbage[0]);
            }
            String ctx = "seed=" + seed;
            VerifyReport before = PointerVerifier.verify(p);
            assertFlagged(p, planted, before, true, ctx + " before swizzling");

            long b1 = Checks.pickBase(rnd, b0, size);
            TestPool moved = TestPool.attach(m, b1);
            SwizzleReport r = Swizzler.swizzle(moved, 1 + (int) (seed % 2));
            assertTrue(b1 == b0 || r.pointers() > 0, ctx + ": " + r);
            VerifyReport after = PointerVerifier.verify(moved);
            assertFlagged(moved, planted, after, false, ctx + String.format(" after swizzling 0x%x -> 0x%x", b0, b1));

            // put the good values back (at the new base): the rest of the graph moved intact
            for (Planted pl : planted.values()) {
                seg.set(WORD, pl.wordOffset(), pl.original() == 0 ? 0 : pl.original() - b0 + b1);
            }
            Checks.assertIntact(moved, expected, ctx + " good pointers");
        }
    }

    private static void assertFlagged(TestPool p, Map<Long, Planted> planted, VerifyReport report, boolean exactKinds,
            String ctx) {
        assertEquals(planted.size(), report.problemCount(), ctx + ": " + report + " " + report.problems());
        for (BadPointer b : report.problems()) {
            Planted pl = planted.get(b.wordOffset());
            assertTrue(pl != null, ctx + ": unexpected " + b);
            assertEquals(pl.slab(), b.slab(), ctx + ": " + b);
            assertEquals(pl.index(), b.objectIndex(), ctx + ": " + b);
            assertEquals(p.pointerMap(p.slabType(pl.slab())).name(pl.field()), b.field(), ctx + ": " + b);
            assertEquals(p.segment().get(WORD, b.wordOffset()), b.value(), ctx + ": " + b);
            if (exactKinds) {
                assertEquals(pl.expected(), b.problem(), ctx + ": " + b);
            }
        }
    }

    /** {value, expected problem ordinal}, or null when this pool has no such target. */
    private static long[] garbage(Random rnd, TestPool p, List<long[]> objects, int declared, long base, long size) {
        switch (rnd.nextInt(8)) {
            case 0 -> { // far outside any base a test uses
                long v = rnd.nextBoolean() ? 8 + 8L * rnd.nextInt(1000) : (0x7f00_0000_0000L + 8L * rnd.nextInt(1 << 20));
                return new long[] {v, Problem.OUTSIDE_POOL.ordinal()};
            }
            case 1 -> { // tagged: past the pool, or into the pool's metadata
                long v = rnd.nextBoolean() ? Pointers.tagged(size + 8L * rnd.nextInt(1 << 20)) : Pointers.tagged(16);
                return new long[] {v, Problem.TAGGED_LEFT_OVER.ordinal()};
            }
            case 2 -> { // the middle of an object
                long[] t = objects.get(rnd.nextInt(objects.size()));
                return new long[] {base + p.objectOffset((int) t[0], (int) t[1]) + 8, Problem.NOT_OBJECT_START.ordinal()};
            }
            case 3 -> { // the pool's metadata, or the bitmap of a slab in use
                long[] t = objects.get(rnd.nextInt(objects.size()));
                long v = rnd.nextBoolean() ? base + 64 : base + p.slabsOffset() + t[0] * SLAB_SIZE;
                return new long[] {v, Problem.NOT_OBJECT_START.ordinal()};
            }
            case 4 -> { // a free slot
                List<long[]> free = new ArrayList<>();
                for (int s = 0; s < p.slabCount(); s++) {
                    if (p.slabType(s) >= 0) {
                        for (int i = 0; i < p.objectCount(s); i++) {
                            if (!p.isAllocated(s, i)) {
                                free.add(new long[] {s, i});
                            }
                        }
                    }
                }
                if (free.isEmpty()) {
                    return null;
                }
                long[] t = free.get(rnd.nextInt(free.size()));
                return new long[] {base + p.objectOffset((int) t[0], (int) t[1]), Problem.NOT_ALLOCATED.ordinal()};
            }
            case 5 -> { // a free slab
                for (int s = 0; s < p.slabCount(); s++) {
                    if (p.slabType(s) == SwizzleView.FREE) {
                        return new long[] {base + p.objectsOffset(s), Problem.NOT_ALLOCATED.ordinal()};
                    }
                }
                return null;
            }
            case 6 -> { // an object of another type than declared
                if (declared == PointerMap.ANY_TYPE) {
                    return null;
                }
                List<long[]> other = objects.stream().filter(o -> p.slabType((int) o[0]) != declared).toList();
                long[] t = other.get(rnd.nextInt(other.size()));
                return new long[] {base + p.objectOffset((int) t[0], (int) t[1]), Problem.WRONG_TYPE.ordinal()};
            }
            default -> { // inside a large object's run, at a continuation slab
                for (int s = 0; s < p.slabCount(); s++) {
                    if (p.slabType(s) == SwizzleView.CONTINUATION) {
                        return new long[] {base + p.slabsOffset() + (long) s * SLAB_SIZE + 64,
                            Problem.NOT_OBJECT_START.ordinal()};
                    }
                }
                return null;
            }
        }
    }

    @Test
    void invalidRecordedBaseWordIsRefusedBeforeAnyStore() {
        refusedBeforeAnyStore(0x1234_5678L, (p, victim) -> {
            VerifyReport r = PointerVerifier.verify(p);
            assertEquals(1, r.problemCount(), r.problems().toString());
            assertEquals(Problem.RECORDED_BASE_INVALID, r.problems().get(0).problem());
            assertEquals(victim, r.problems().get(0).slab());
        });
    }

    /**
     * A valid AT word whose base leaves no room for the pool below 2^63: a tagged word of that slab
     * (bit 63 set) would then fall inside [base, base + size) and be taken for an absolute pointer.
     */
    @Test
    void recordedBaseNear2To63IsRefusedBeforeAnyStore() {
        refusedBeforeAnyStore(RecordedBaseDescriptor.at(Long.MAX_VALUE & RecordedBaseDescriptor.BASE_MASK), (p, victim) -> {
        });
    }

    private void refusedBeforeAnyStore(long word, java.util.function.ObjIntConsumer<TestPool> then) {
        Random rnd = new Random(7);
        long size = TestPool.sizeFor(SLAB_SIZE, SLABS);
        long b0 = Checks.randomBase(rnd);
        try (Media m = Media.inMemory(size); Media copy = Media.inMemory(size)) {
            TestPool p = TestPool.random(m, b0, SLAB_SIZE, SLABS, rnd);
            int victim = -1;
            for (int s = 0; s < SLABS && victim < 0; s++) {
                if (p.slabType(s) >= 0 && !p.pointerMap(p.slabType(s)).isEmpty()) {
                    victim = s;
                }
            }
            m.segment().set(WORD, p.recordedBaseOffset(victim), word);
            copy.segment().copyFrom(m.segment());
            FerriteException e = assertThrows(FerriteException.class,
                    () -> Swizzler.swizzle(TestPool.attach(m, b0 + (1L << 30)), 2));
            assertTrue(e.getMessage().contains("slab " + victim) && e.getMessage().contains("ferrite check"), e.getMessage());
            assertEquals(-1, m.segment().mismatch(copy.segment()), "nothing may be written");
            then.accept(p, victim);
        }
    }

    @Test
    void verificationReadsAnUnswizzledPoolAtAnyAddressAndFlagsHalfDoneSlabs() {
        Random rnd = new Random(11);
        long size = TestPool.sizeFor(SLAB_SIZE, SLABS);
        long b0 = Checks.randomBase(rnd);
        try (Media m = Media.inMemory(size)) {
            TestPool p = TestPool.random(m, b0, SLAB_SIZE, SLABS, rnd);
            long[] expected = p.logical();
            VerifyReport elsewhere = PointerVerifier.verify(TestPool.attach(m, b0 + 5 * Checks.PAGE));
            assertTrue(elsewhere.isClean(), elsewhere.problems().toString());
            assertTrue(elsewhere.slabsNotAtBase() > 0, elsewhere.toString());
            assertTrue(elsewhere.nonNull() > 0, elsewhere.toString());

            long b1 = b0 + 3 * Checks.PAGE; // overlapping: two-pass slabs
            assertTrue(StopMedia.swizzleAndStop(m, b1, 6, 1));
            VerifyReport half = PointerVerifier.verify(TestPool.attach(m, b1));
            assertTrue(half.problemCount() > 0);
            for (BadPointer b : half.problems()) {
                assertEquals(Problem.SWIZZLE_INCOMPLETE, b.problem(), b.toString());
                assertTrue(b.slabLevel());
            }
            SwizzleReport r = Swizzler.swizzle(TestPool.attach(m, b1), 1);
            assertTrue(r.pointers() > 0);
            Checks.assertIntact(TestPool.attach(m, b1), expected, "resumed");
        }
    }
}
