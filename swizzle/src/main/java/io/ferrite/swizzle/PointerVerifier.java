package io.ferrite.swizzle;

import static io.ferrite.swizzle.Pointers.OFFSET_MASK;
import static io.ferrite.swizzle.Pointers.WORD;

import io.ferrite.swizzle.BadPointer.Problem;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks every pointer of a pool: each non-null pointer must land on the start of an allocated
 * object whose type is the field's declared target. What {@code ferrite check} calls.
 *
 * <p>Read-only and safe on any input: a pointer is resolved to a pool offset by arithmetic and
 * bounds-checked against the slab table before anything at its target (only the allocation bit)
 * is read; no pointer is ever followed. Pointers are interpreted with the base their slab's
 * recorded-base word names, so a pool can be checked through a read-only mapping at any address
 * without swizzling it first.
 */
public final class PointerVerifier {
    /** Problems kept in a report by default; more are counted, not listed. */
    public static final int MAX_REPORTED_DEFAULT = 10_000;

    private PointerVerifier() {
    }

    public static VerifyReport verify(SwizzleView view) {
        return verify(view, MAX_REPORTED_DEFAULT);
    }

    /** Verifies, keeping at most {@code maxReported} problems in the report. */
    public static VerifyReport verify(SwizzleView view, int maxReported) {
        return new Run(view, maxReported).run();
    }

    private static final class Run {
        private static final int NO_HEAD = -1;
        private static final int BAD_HEAD = -2;

        private final SwizzleView view;
        private final MemorySegment seg;
        private final long size;
        private final int maxReported;
        private final List<BadPointer> problems = new ArrayList<>();
        private final int[] headOf;
        private long problemCount;

        Run(SwizzleView view, int maxReported) {
            this.view = view;
            this.seg = view.segment();
            this.size = seg.byteSize();
            this.maxReported = maxReported;
            this.headOf = new int[view.slabCount()];
        }

        private void report(int slab, int index, String field, long wordOffset, long value, Problem p, String detail) {
            problemCount++;
            if (problems.size() < maxReported) {
                problems.add(new BadPointer(slab, index, field, wordOffset, value, p, detail));
            }
        }

        VerifyReport run() {
            int n = view.slabCount();
            java.util.Arrays.fill(headOf, NO_HEAD);
            for (int s = 0; s < n; s++) {
                int type = view.slabType(s);
                if (type == SwizzleView.FREE) {
                    continue;
                }
                if (type == SwizzleView.CONTINUATION) {
                    if (headOf[s] == NO_HEAD) {
                        report(s, -1, null, -1, type, Problem.SLAB_TABLE, "a continuation slab that no run covers");
                        headOf[s] = BAD_HEAD;
                    }
                    continue;
                }
                String problem = type < 0 ? "type id " + type + " is neither a type nor FREE nor CONTINUATION"
                        : Geometry.problem(view, s, type, view.pointerMap(type));
                if (problem != null) {
                    report(s, -1, null, -1, type, Problem.SLAB_TABLE, problem);
                    headOf[s] = BAD_HEAD;
                    continue;
                }
                int span = view.slabSpan(s);
                for (int i = 0; i < span; i++) {
                    if (i > 0 && view.slabType(s + i) != SwizzleView.CONTINUATION) {
                        report(s, -1, null, -1, type, Problem.SLAB_TABLE, "run of " + span + " slabs, but slab " + (s + i)
                                + " is not a continuation");
                        break;
                    }
                    headOf[s + i] = s;
                }
            }
            long base = view.base();
            long poolBase = view.poolBase();
            long slabs = 0;
            long objects = 0;
            long pointers = 0;
            long nonNull = 0;
            long notAtBase = 0;
            for (int s = 0; s < n; s++) {
                if (headOf[s] != s) {
                    continue;
                }
                PointerMap map = view.pointerMap(view.slabType(s));
                if (map.isEmpty()) {
                    continue;
                }
                slabs++;
                long wordAt = view.recordedBaseOffset(s);
                long w = seg.get(WORD, wordAt);
                int state = RecordedBaseDescriptor.state(w);
                long b = RecordedBaseDescriptor.base(w);
                long from1;
                long from2;
                boolean taggedOk;
                switch (state) {
                    case RecordedBaseDescriptor.STATE_AT -> {
                        from1 = b;
                        from2 = b;
                        taggedOk = false;
                        if (b != base) {
                            notAtBase++;
                        }
                    }
                    case RecordedBaseDescriptor.STATE_SHIFT -> {
                        from1 = poolBase;
                        from2 = b;
                        taggedOk = true;
                        report(s, -1, null, wordAt, w, Problem.SWIZZLE_INCOMPLETE, RecordedBaseDescriptor.describe(w)
                                + " from pool base " + String.format("0x%x", poolBase));
                    }
                    case RecordedBaseDescriptor.STATE_MIXED -> {
                        from1 = b;
                        from2 = b;
                        taggedOk = true;
                        report(s, -1, null, wordAt, w, Problem.SWIZZLE_INCOMPLETE, RecordedBaseDescriptor.describe(w));
                    }
                    default -> {
                        report(s, -1, null, wordAt, w, Problem.RECORDED_BASE_INVALID,
                                String.format("word 0x%x at offset %d", w, wordAt));
                        continue;
                    }
                }
                long objects0 = view.objectsOffset(s);
                long objectSize = view.objectSize(s);
                int count = view.objectCount(s);
                for (int i = 0; i < count; i++) {
                    if (!view.isAllocated(s, i)) {
                        continue;
                    }
                    objects++;
                    long obj = objects0 + i * objectSize;
                    for (int f = 0; f < map.count(); f++) {
                        long at = obj + map.offset(f);
                        long v = seg.get(WORD, at);
                        pointers++;
                        if (v == Pointers.NULL) {
                            continue;
                        }
                        nonNull++;
                        long off;
                        if (v < 0) {
                            if (!taggedOk) {
                                report(s, i, map.name(f), at, v, Problem.TAGGED_LEFT_OVER, String.format(
                                        "bit 63 set (pool offset 0x%x) in a slab at %s", v & OFFSET_MASK,
                                        RecordedBaseDescriptor.describe(w)));
                                continue;
                            }
                            off = v & OFFSET_MASK;
                        } else if (Long.compareUnsigned(v - from1, size) < 0) {
                            off = v - from1;
                        } else if (Long.compareUnsigned(v - from2, size) < 0) {
                            off = v - from2;
                        } else {
                            report(s, i, map.name(f), at, v, Problem.OUTSIDE_POOL, String.format(
                                    "the pool spans [0x%x, 0x%x) for %s", from2, from2 + size,
                                    RecordedBaseDescriptor.describe(w)));
                            continue;
                        }
                        checkTarget(s, i, map.name(f), at, v, off, map.targetType(f));
                    }
                }
            }
            return new VerifyReport(problems, problemCount, slabs, objects, pointers, nonNull, notAtBase);
        }

        private void checkTarget(int s, int i, String field, long at, long v, long off, int declared) {
            if (off >= size) {
                report(s, i, field, at, v, Problem.OUTSIDE_POOL, "pool offset " + off + " is past the pool's " + size
                        + " bytes");
                return;
            }
            long slabsOffset = view.slabsOffset();
            long slabSize = view.slabSize();
            long rel = off - slabsOffset;
            if (rel < 0 || rel / slabSize >= headOf.length) {
                report(s, i, field, at, v, Problem.NOT_OBJECT_START, "pool offset " + off
                        + " is outside the slabs (pool metadata)");
                return;
            }
            int ts = (int) (rel / slabSize);
            int h = headOf[ts];
            if (h == NO_HEAD) {
                report(s, i, field, at, v, Problem.NOT_ALLOCATED, "pool offset " + off + " is in free slab " + ts);
                return;
            }
            if (h == BAD_HEAD) {
                report(s, i, field, at, v, Problem.NOT_OBJECT_START, "pool offset " + off + " is in slab " + ts
                        + ", whose slab-table entry is inconsistent");
                return;
            }
            long objects0 = view.objectsOffset(h);
            long objectSize = view.objectSize(h);
            long d = off - objects0;
            if (d < 0 || d % objectSize != 0 || d / objectSize >= view.objectCount(h)) {
                report(s, i, field, at, v, Problem.NOT_OBJECT_START, "pool offset " + off + " in slab " + h
                        + " is not the start of one of its " + view.objectCount(h) + " slots of " + objectSize + " bytes");
                return;
            }
            int idx = (int) (d / objectSize);
            if (!view.isAllocated(h, idx)) {
                report(s, i, field, at, v, Problem.NOT_ALLOCATED, "slot " + idx + " of slab " + h + " is free");
                return;
            }
            int type = view.slabType(h);
            if (declared != PointerMap.ANY_TYPE && type != declared && !view.targetAccepts(declared, type)) {
                report(s, i, field, at, v, Problem.WRONG_TYPE, "slot " + idx + " of slab " + h + " holds "
                        + view.typeName(type) + ", the field points to " + view.typeName(declared));
            }
        }
    }
}
