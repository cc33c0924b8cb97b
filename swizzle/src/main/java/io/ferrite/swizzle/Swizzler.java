package io.ferrite.swizzle;

import static io.ferrite.swizzle.Pointers.OFFSET_MASK;
import static io.ferrite.swizzle.Pointers.TAG;
import static io.ferrite.swizzle.Pointers.WORD;
import static io.ferrite.swizzle.RecordedBaseDescriptor.STATE_AT;
import static io.ferrite.swizzle.RecordedBaseDescriptor.STATE_INVALID;
import static io.ferrite.swizzle.RecordedBaseDescriptor.STATE_SHIFT;
import static io.ferrite.swizzle.RecordedBaseDescriptor.STATE_MIXED;

import io.ferrite.FerriteException;
import io.ferrite.media.Media;
import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.jfr.FlightRecorder;

/**
 * Rewrites every pointer of a pool so that it assumes {@link SwizzleView#base()}: slab by slab,
 * from the slab table and the pointer maps only (no object headers, no graph walk), in parallel
 * over batches of slabs. Crash-safe and idempotent without an undo log: every slab's
 * recorded-base word says at every moment in which forms its pointer words are, and each
 * transition is one aligned 8-byte store made durable in the right order. The protocol and its
 * argument are in docs/swizzling.md.
 *
 * <p>A pointer word that is none of the forms its slab's state admits (garbage) is left as it is
 * and counted in {@link SwizzleReport#suspectWords()}; it is never followed.
 * {@link PointerVerifier} reports it with its slab, object and field.
 */
public final class Swizzler {
    private static final System.Logger LOG = System.getLogger("io.ferrite.swizzle");

    private static final int ONE = 1;      // SHIFT(C): pool base P -> C in one pass
    private static final int TWO = 2;      // anything else: MIXED(B), to tagged, MIXED(C), to C
    private static final int MIXED_C = 3;  // MIXED(C) found: finish the second pass
    private static final int FINAL = 4;    // no pointers: only the word
    private static final long SUSPECT = 1L << 32; // per-word result of a pass: suspect (high half)

    private Swizzler() {
    }

    /** Swizzles with the default options (all cores). */
    public static SwizzleReport swizzle(SwizzleView view) {
        return swizzle(view, SwizzleOptions.defaults());
    }

    /** Swizzles on {@code parallelism} threads. */
    public static SwizzleReport swizzle(SwizzleView view, int parallelism) {
        return swizzle(view, SwizzleOptions.defaults().parallelism(parallelism));
    }

    /**
     * Brings every slab to AT(base) and the pool base to {@code base}. Returns at once, with a
     * report of nothing done, when the pool already is there. Must run before anything else
     * reads or writes pointers in the pool; the view must not change meanwhile.
     *
     * @throws FerriteException when the slab table is inconsistent (a slab outside the pool, a
     *         recorded-base word that is no valid word on a slab with pointers); nothing has been
     *         written then. When a rewriting thread fails, every slab is still in a valid state
     *         and a later swizzle resumes.
     */
    public static SwizzleReport swizzle(SwizzleView view, SwizzleOptions options) {
        SwizzleOptions o = options.copy().conclude();
        // Loading an event class costs ~0.1 s the first time: only when JFR runs at all.
        Object event = FlightRecorder.isInitialized() ? SwizzleEvent.started() : null;
        long t0 = System.nanoTime();
        Plan plan = plan(view, o);
        SwizzleReport report;
        if (plan.work.length == 0) {
            long fences = 0;
            if (plan.poolBase != plan.base) {
                view.persistPoolBase(plan.base);
                fences++;
            }
            report = new SwizzleReport(plan.startPoolBase, plan.base, 0, 0, 0, 0, 0, 0, 0, fences + plan.fences,
                    System.nanoTime() - t0, 0);
        } else {
            report = run(view, plan, o.parallelism(), t0);
        }
        if (event != null) {
            SwizzleEvent.commit(event, view.describe(), report);
        }
        if (!report.nothingToDo()) {
            LOG.log(report.suspectWords() == 0 ? Level.INFO : Level.WARNING, () -> view.describe() + ": " + report
                    + (report.suspectWords() == 0 ? "" : " (run `ferrite check` to list the suspect words)"));
        }
        return report;
    }

    /** What to do, decided from the slab table before any store. */
    private record Plan(long base, long size, long startPoolBase, long poolBase, boolean disjoint, int[] work,
            int[] batchStarts, int maxBatch, long fences, long flushChunk) {
    }

    private static Plan plan(SwizzleView view, SwizzleOptions o) {
        MemorySegment seg = view.segment();
        long size = seg.byteSize();
        long base = view.base();
        if (base <= 0 || (base & ~RecordedBaseDescriptor.BASE_MASK) != 0 || base > Long.MAX_VALUE - size) {
            throw new FerriteException(String.format("%s: cannot swizzle to base 0x%x: it must be a positive, "
                    + "page-aligned address with room for %,d bytes", view.describe(), base, size),
                    "this is a bug in the caller of Swizzler");
        }
        int n = view.slabCount();
        int[] work = new int[n];
        long[] atBases = new long[n];
        int nw = 0;
        int na = 0;
        boolean anyShift = false;
        for (int s = 0; s < n; s++) {
            int type = view.slabType(s);
            if (type == SwizzleView.FREE || type == SwizzleView.CONTINUATION) {
                continue;
            }
            if (type < 0) {
                throw slabError(view, s, "type id " + type + " is neither a type nor FREE nor CONTINUATION");
            }
            PointerMap map = view.pointerMap(type);
            String problem = Geometry.problem(view, s, type, map);
            if (problem != null) {
                throw slabError(view, s, problem);
            }
            long w = seg.get(WORD, view.recordedBaseOffset(s));
            if (w == RecordedBaseDescriptor.at(base)) {
                continue;
            }
            int state = RecordedBaseDescriptor.state(w);
            if (!map.isEmpty()) {
                if (state == STATE_INVALID) {
                    throw slabError(view, s, String.format("recorded-base word 0x%x at offset %d is not valid, so the "
                            + "form of its pointers is unknown", w, view.recordedBaseOffset(s)));
                }
                if (state == STATE_SHIFT) {
                    anyShift = true;
                } else if (state == STATE_AT) {
                    atBases[na++] = RecordedBaseDescriptor.base(w);
                }
            }
            work[nw++] = s;
        }
        long startPoolBase = view.poolBase();
        long poolBase = startPoolBase;
        boolean poolBaseValid = poolBase > 0 && (poolBase & ~RecordedBaseDescriptor.BASE_MASK) == 0
                && poolBase <= Long.MAX_VALUE - size;
        long fences = 0;
        if (anyShift && !poolBaseValid) {
            throw new FerriteException(String.format("%s: slabs are half-way through a one-pass swizzle but the pool "
                    + "base 0x%x is not a valid base", view.describe(), poolBase), "run `ferrite check` on the pool");
        }
        if (nw > 0 || poolBase != base) {
            // A crashed run may have left stores that are visible in the mapping but not yet
            // persistent. Persist the recorded-base words this run relies on before acting on them.
            Media media = view.media();
            for (int s = 0; s < n; s++) {
                if (view.slabType(s) >= 0) {
                    media.flush(view.recordedBaseOffset(s), RecordedBaseDescriptor.LENGTH);
                }
            }
            media.fence();
            fences++;
        }
        if (nw > 0 && (poolBaseValid || (!anyShift && na > 0))) {
            // When no slab depends on P (none in SHIFT), P may move: to the base most slabs are at,
            // so that they move in one pass. Either way P is persisted again before SHIFT relies on it.
            if (!anyShift && na > 0) {
                poolBase = mode(atBases, na);
                poolBaseValid = true;
            }
            view.persistPoolBase(poolBase);
            fences++;
        }
        boolean disjoint = poolBaseValid && (poolBase + size <= base || base + size <= poolBase);
        work = Arrays.copyOf(work, nw);
        int[] starts = new int[nw + 1];
        int nb = 0;
        int maxBatch = 0;
        long bytes = 0;
        int begin = 0;
        for (int i = 0; i < nw; i++) {
            bytes += view.slabSpan(work[i]) * view.slabSize();
            if (bytes >= o.batchBytes() || i == nw - 1) {
                starts[nb++] = begin;
                maxBatch = Math.max(maxBatch, i + 1 - begin);
                begin = i + 1;
                bytes = 0;
            }
        }
        starts[nb] = nw;
        return new Plan(base, size, startPoolBase, poolBase, disjoint, work, Arrays.copyOf(starts, nb + 1), maxBatch,
                fences, o.flushChunkBytes());
    }

    private static long mode(long[] values, int n) {
        long[] v = Arrays.copyOf(values, n);
        Arrays.sort(v);
        long best = v[0];
        int bestRun = 0;
        for (int i = 0; i < n;) {
            int j = i;
            while (j < n && v[j] == v[i]) {
                j++;
            }
            if (j - i > bestRun) {
                bestRun = j - i;
                best = v[i];
            }
            i = j;
        }
        return best;
    }

    private static FerriteException slabError(SwizzleView view, int slab, String problem) {
        return new FerriteException(view.describe() + ": slab " + slab + ": " + problem
                + "; nothing was swizzled", "run `ferrite check` on the pool");
    }

    private static SwizzleReport run(SwizzleView view, Plan plan, int parallelism, long t0) {
        int batches = plan.batchStarts.length - 1;
        int threads = Math.min(parallelism, batches);
        AtomicInteger next = new AtomicInteger();
        Worker[] workers = new Worker[threads];
        for (int i = 0; i < threads; i++) {
            workers[i] = new Worker(view, plan, next);
        }
        if (threads == 1) {
            workers[0].run();
        } else {
            Thread[] ts = new Thread[threads];
            for (int i = 0; i < threads; i++) {
                ts[i] = Thread.ofPlatform().name("ferrite-swizzle-" + i).daemon().start(workers[i]);
            }
            boolean interrupted = false;
            for (Thread t : ts) {
                while (true) {
                    try {
                        t.join();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true; // the workers must finish: the pool is not usable half-way
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        long slabs = 0;
        long one = 0;
        long two = 0;
        long objects = 0;
        long pointers = 0;
        long bytes = 0;
        long suspect = 0;
        long fences = plan.fences;
        for (Worker w : workers) {
            if (w.failure != null) {
                throw new FerriteException(String.format("%s: swizzling to 0x%x failed at slab %d: %s", view.describe(),
                        plan.base, w.failedSlab, w.failure), "every slab is still in a valid state: open the pool again to "
                        + "resume, or run `ferrite check`", w.failure);
            }
            slabs += w.slabs;
            one += w.onePass;
            two += w.twoPass;
            objects += w.objects;
            pointers += w.rewritten;
            bytes += w.bytes;
            suspect += w.suspect;
            fences += w.fences;
        }
        if (plan.poolBase != plan.base) {
            // Every slab is AT(base) and durable (each worker fenced its last stores): P may move.
            view.persistPoolBase(plan.base);
            fences++;
        }
        return new SwizzleReport(plan.startPoolBase, plan.base, slabs, one, two, objects, pointers, bytes, suspect, fences,
                System.nanoTime() - t0, threads);
    }

    /** One rewriting thread: takes batches of slabs until none is left. Allocation-free per slab. */
    private static final class Worker implements Runnable {
        private final SwizzleView view;
        private final Media media;
        private final MemorySegment seg;
        private final long size;
        private final long base;
        private final long poolBase;
        private final boolean disjoint;
        private final long flushChunk;
        private final int[] work;
        private final int[] batchStarts;
        private final AtomicInteger next;
        private final int[] kinds;
        private final long[] from1;
        private final long[] from2;
        private boolean fencePending;
        // results
        long slabs;
        long onePass;
        long twoPass;
        long objects;
        long rewritten;
        long bytes;
        long suspect;
        long fences;
        Throwable failure;
        int failedSlab = -1;

        Worker(SwizzleView view, Plan plan, AtomicInteger next) {
            this.view = view;
            this.media = view.media();
            this.seg = view.segment();
            this.size = plan.size;
            this.base = plan.base;
            this.poolBase = plan.poolBase;
            this.disjoint = plan.disjoint;
            this.flushChunk = plan.flushChunk;
            this.work = plan.work;
            this.batchStarts = plan.batchStarts;
            this.next = next;
            this.kinds = new int[plan.maxBatch];
            this.from1 = new long[plan.maxBatch];
            this.from2 = new long[plan.maxBatch];
        }

        @Override
        public void run() {
            try {
                int b;
                while ((b = next.getAndIncrement()) < batchStarts.length - 1) {
                    batch(batchStarts[b], batchStarts[b + 1]);
                }
                if (fencePending) {
                    fence();
                }
            } catch (Throwable t) {
                failure = t;
                next.set(Integer.MAX_VALUE / 2); // the others stop after their batch
            }
        }

        private void fence() {
            media.fence();
            fences++;
            fencePending = false;
        }

        private void storeWord(int slab, long word) {
            long at = view.recordedBaseOffset(slab);
            seg.set(WORD, at, word);
            media.flush(at, RecordedBaseDescriptor.LENGTH);
        }

        private void batch(int begin, int end) {
            // 1. classify. AT(P) slabs that can move in one pass enter SHIFT(C); other AT(B) slabs
            //    enter MIXED(B) (same pointers, but tagged words now admitted).
            boolean stored = false;
            for (int i = begin; i < end; i++) {
                int s = work[i];
                failedSlab = s;
                int k = i - begin;
                long w = seg.get(WORD, view.recordedBaseOffset(s));
                int state = RecordedBaseDescriptor.state(w);
                long b = RecordedBaseDescriptor.base(w);
                if (view.pointerMap(view.slabType(s)).isEmpty()) {
                    kinds[k] = FINAL;
                } else if (state == STATE_AT && b == poolBase && disjoint) {
                    storeWord(s, RecordedBaseDescriptor.shift(base));
                    stored = true;
                    kinds[k] = ONE;
                } else if (state == STATE_SHIFT && b == base) {
                    kinds[k] = ONE;
                } else if (state == STATE_MIXED && b == base) {
                    kinds[k] = MIXED_C;
                } else {
                    if (state == STATE_AT) {
                        storeWord(s, RecordedBaseDescriptor.mixed(b));
                        stored = true;
                    }
                    kinds[k] = TWO;
                    from1[k] = state == STATE_SHIFT ? poolBase : b;
                    from2[k] = b;
                }
            }
            if (stored) {
                fence();
            }
            // 2. the data pass: SHIFT slabs straight to C, MIXED(C) slabs finish, the rest to tagged.
            boolean flushed = false;
            for (int i = begin; i < end; i++) {
                int s = work[i];
                failedSlab = s;
                int k = i - begin;
                switch (kinds[k]) {
                    case ONE -> {
                        flushed |= pass(s, poolBase, base, base, true);
                        onePass++;
                    }
                    case MIXED_C -> {
                        flushed |= pass(s, base, base, base, true);
                        twoPass++;
                    }
                    case TWO -> flushed |= pass(s, from1[k], from2[k], TAG, true);
                    default -> {
                    }
                }
            }
            if (flushed) {
                fence();
            }
            // 3. tagged slabs enter MIXED(C); 4. second pass to C.
            stored = false;
            for (int i = begin; i < end; i++) {
                if (kinds[i - begin] == TWO) {
                    failedSlab = work[i];
                    storeWord(work[i], RecordedBaseDescriptor.mixed(base));
                    stored = true;
                }
            }
            if (stored) {
                fence();
                flushed = false;
                for (int i = begin; i < end; i++) {
                    if (kinds[i - begin] == TWO) {
                        failedSlab = work[i];
                        flushed |= pass(work[i], base, base, base, false);
                        twoPass++;
                    }
                }
                if (flushed) {
                    fence();
                }
            }
            // 5. AT(C); made durable by the next fence of this thread (the next batch's, or the last).
            for (int i = begin; i < end; i++) {
                failedSlab = work[i];
                storeWord(work[i], RecordedBaseDescriptor.at(base));
                slabs++;
            }
            fencePending = true;
        }

        /**
         * One pass over the pointer words of the allocated objects of {@code slab}: a word absolute
         * for {@code from1} or {@code from2} (equal, or disjoint ranges) becomes {@code offset + add}
         * (add = the new base: absolute; add = {@link Pointers#TAG}: tagged); a tagged word becomes
         * absolute when add is a base and stays when it is TAG; null stays; anything else is
         * suspect and stays. Flushes the range of the words visited; returns whether it flushed.
         * Moving P to C: (P, C, C). Finishing MIXED(C): (C, C, C). Tagging: (B1, B2, TAG).
         */
        private boolean pass(int slab, long from1, long from2, long add, boolean first) {
            final MemorySegment seg = this.seg;
            final long size = this.size;
            final long chunk = this.flushChunk;
            final long[] offs = view.pointerMap(view.slabType(slab)).offsetsArray();
            final int nf = offs.length;
            final long firstField = offs[0];
            final long lastField = offs[nf - 1];
            final long objects0 = view.objectsOffset(slab);
            final long objectSize = view.objectSize(slab);
            final int count = view.objectCount(slab);
            long lo = -1;
            long hi = -1;
            long flushFrom = -1;
            long visited = 0;
            long rewritten = 0;
            long suspect = 0;
            for (int group = 0; group < count; group += 64) {
                long bits = view.allocationBits(slab, group);
                if (count - group < 64) {
                    bits &= (1L << (count - group)) - 1;
                }
                if (bits == 0) {
                    continue;
                }
                long groupStart = objects0 + group * objectSize;
                visited += Long.bitCount(bits);
                if (lo < 0) {
                    lo = groupStart + Long.numberOfTrailingZeros(bits) * objectSize + firstField;
                    flushFrom = lo;
                }
                hi = groupStart + (63 - Long.numberOfLeadingZeros(bits)) * objectSize + lastField;
                // The loops below make no calls, so the segment's checks stay out of them.
                long r = 0;
                if (bits == -1L) {
                    for (long obj = groupStart, end = groupStart + 64 * objectSize; obj < end; obj += objectSize) {
                        for (int f = 0; f < nf; f++) {
                            r += word(seg, obj + offs[f], from1, from2, add, size);
                        }
                    }
                } else {
                    while (bits != 0) {
                        long obj = groupStart + Long.numberOfTrailingZeros(bits) * objectSize;
                        bits &= bits - 1;
                        for (int f = 0; f < nf; f++) {
                            r += word(seg, obj + offs[f], from1, from2, add, size);
                        }
                    }
                }
                rewritten += r & 0xFFFF_FFFFL;
                suspect += r >>> 32;
                if (hi - flushFrom >= chunk) {
                    // write back while the lines are still in the core's cache
                    media.flush(flushFrom, hi + Pointers.POINTER_LENGTH - flushFrom);
                    flushFrom = hi + Pointers.POINTER_LENGTH;
                }
            }
            return account(first, visited, add == TAG ? 0 : rewritten, suspect, objectSize, flushFrom, hi);
        }

        /** One pointer word (see {@link #pass}): returns 1 when rewritten, 1 &lt;&lt; 32 when suspect, else 0. */
        private static long word(MemorySegment seg, long a, long from1, long from2, long add, long size) {
            long v = seg.get(WORD, a);
            long o = v - from1;
            if (Long.compareUnsigned(o, size) < 0 || Long.compareUnsigned(o = v - from2, size) < 0) {
                long nv = o + add;
                if (nv != v) {
                    seg.set(WORD, a, nv);
                    return 1;
                }
                return 0;
            }
            if (v < 0) {
                long t = v & OFFSET_MASK;
                if (t >= size) {
                    return SUSPECT;
                }
                if (add != TAG) {
                    seg.set(WORD, a, t + add);
                    return 1;
                }
                return 0;
            }
            return v != 0 ? SUSPECT : 0;
        }

        /** Pointers count when they reach the new base (a two-pass slab's tagged words count once). */
        private boolean account(boolean first, long visited, long rewritten, long suspect, long objectSize, long lo,
                long hi) {
            this.rewritten += rewritten;
            if (first) { // objects, bytes and suspects count once although a two-pass slab is visited twice
                this.objects += visited;
                this.bytes += visited * objectSize;
                this.suspect += suspect;
            }
            if (lo < 0) {
                return false;
            }
            // Flush every word visited, written or not: a word this run found already converted may
            // have been stored by a crashed run without ever being flushed.
            media.flush(lo, hi + Pointers.POINTER_LENGTH - lo);
            return true;
        }
    }
}
