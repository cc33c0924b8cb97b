package io.ferrite.pheap;

import static io.ferrite.pheap.format.SlabTableDescriptor.*;

import io.ferrite.pheap.format.Le;
import io.ferrite.pheap.format.PoolValidation;
import io.ferrite.pheap.format.SlabHeaderDescriptor;
import io.ferrite.pheap.format.SlabTableDescriptor;
import io.ferrite.pheap.format.Superblock;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.function.Consumer;

/**
 * DRAM allocator state over the slabs: which slabs are free, and per slab a copy of its
 * allocation bitmap in which reservations of open transactions are already set.
 *
 * <p>Threading: each thread allocates from its own current slab per type (a per-slab monitor,
 * uncontended in the common case; no global lock on the allocation path). Taking a fresh slab
 * and large-object runs use one allocator lock. A slab's DRAM bit is set at reservation and
 * cleared only when an abort gives the slot back or after the freeing record is applied, so a
 * slot is never handed out twice.
 *
 * <p>Durability: none here. The bitmap on media changes only through redo records (slab
 * initialisation is a record of its own, committed synchronously before first use).
 */
final class SlabAllocator {
    private final MemorySegment seg;
    private final Superblock sb;
    private final String poolName;
    /** One per slab of the pool's maximum; indexes below {@link #count} are slabs of the pool. */
    private final SlabState[] slabs;
    /** Slabs in the pool now: grows, under {@link #lock}, when {@link #grower} adds slabs. */
    private volatile int count;
    private final Grower grower;
    private final BitSet free = new BitSet();
    private final Object lock = new Object();
    private int freeCount;

    /** One slab in use (small: shared by objects of one type; large: a run holding one object). */
    static final class SlabState {
        final int index;
        final TypeInfo type;
        final long start;
        final int span;
        final long objectSize;
        final int count;
        final long[] bits;
        int used;
        boolean owned;
        boolean queued;
        /** Empty and unowned: on its way back to the free slabs (skipped by allocation). */
        boolean retired;
        int hint;

        SlabState(int index, TypeInfo type, long start, int span, long objectSize, int count) {
            this.index = index;
            this.type = type;
            this.start = start;
            this.span = span;
            this.objectSize = objectSize;
            this.count = count;
            this.bits = new long[SlabHeaderDescriptor.bitmapWords(count)];
        }

        boolean large() {
            return span > 0;
        }

        long objectOffset(int slot) {
            return start + type.dataOffset + slot * objectSize;
        }

        long bitmapWordOffset(int slot) {
            return start + SlabHeaderDescriptor.bitmapWordOffset(slot);
        }

        /** Reserves a free slot, or -1 when full (then the caller stops owning the slab). */
        synchronized int reserve() {
            if (used == count) {
                owned = false;
                return -1;
            }
            int words = bits.length;
            int w = hint;
            for (int n = 0; n < words; n++, w = (w + 1 == words ? 0 : w + 1)) {
                long inv = ~bits[w];
                if (w == words - 1 && (count & 63) != 0) {
                    inv &= (1L << (count & 63)) - 1;
                }
                if (inv != 0) {
                    int b = Long.numberOfTrailingZeros(inv);
                    bits[w] |= 1L << b;
                    used++;
                    hint = w;
                    return (w << 6) + b;
                }
            }
            throw new IllegalStateException("slab " + index + " counts " + used + " of " + count + " used but has no free bit");
        }

        synchronized boolean isSet(int slot) {
            return (bits[slot >>> 6] & (1L << slot)) != 0;
        }

        /**
         * Gives a slot back (abort, or after a free is applied); queues the slab if nobody owns
         * it. Returns true when the slab became empty and unowned: the caller retires it.
         */
        synchronized boolean release(int slot) {
            long m = 1L << slot;
            if ((bits[slot >>> 6] & m) == 0) {
                throw new IllegalStateException("slot " + slot + " of slab " + index + " is not allocated");
            }
            bits[slot >>> 6] &= ~m;
            used--;
            if (!owned && used == 0 && !large()) {
                return retire();
            }
            if (!owned && !queued) {
                queued = true;
                type.available.add(this);
            }
            return false;
        }

        /** The owning thread is gone: queue the slab (or retire it if empty). Returns true to retire. */
        synchronized boolean disown() {
            owned = false;
            if (used == 0 && !large()) {
                return retire();
            }
            if (used < count && !queued) {
                queued = true;
                type.available.add(this);
            }
            return false;
        }

        /**
         * The one transition to retired (caller holds this monitor): true only for the call that
         * makes it, so that a slab is queued for retirement once. A second retire record for the
         * same slab would run after its index may have been reused, and zero a live slab.
         */
        private boolean retire() {
            if (retired) {
                return false;
            }
            retired = true;
            return true;
        }

        /** Makes the calling thread the slab's allocator; false if the slab is being retired. */
        synchronized boolean takeOwnership() {
            queued = false;
            if (retired) {
                return false;
            }
            owned = true;
            return true;
        }

        synchronized int usedCount() {
            return used;
        }
    }

    /**
     * Adds slabs to the pool when none is free: makes the pool durably larger and returns its new
     * slab count, or the count given when it cannot grow; throws {@link HeapFullException} when
     * growth failed (a full file system). Called with the allocator's lock held.
     */
    interface Grower {
        int grow(int slabCount, int slabsNeeded);
    }

    SlabAllocator(MemorySegment seg, Superblock sb, String poolName) {
        this(seg, sb, poolName, sb.slabCount(), null);
    }

    /** @param maxSlabs the slabs of the largest the pool may grow to; {@code grower} null: it does not grow */
    SlabAllocator(MemorySegment seg, Superblock sb, String poolName, long maxSlabs, Grower grower) {
        this.seg = seg;
        this.sb = sb;
        this.poolName = poolName;
        this.slabs = new SlabState[(int) Math.max(sb.slabCount(), maxSlabs)];
        this.count = sb.slabCount();
        this.grower = grower;
    }

    int slabCount() {
        return count;
    }

    /** Grows the pool to at least {@code bytes} through {@code g} ({@link Heap#grow}). */
    void growTo(PoolGrowth g, long bytes) {
        synchronized (lock) {
            int old = count;
            int n = Math.min(g.growToSize(old, bytes), slabs.length);
            if (n > old) {
                free.set(old, n);
                freeCount += n - old;
                count = n;
            }
        }
    }

    /** Grows the pool by at least {@code needed} slabs (caller holds {@link #lock}); false when it cannot. */
    private boolean grow(int needed) {
        if (grower == null) {
            return false;
        }
        int old = count;
        int n = Math.min(grower.grow(old, needed), slabs.length);
        if (n <= old) {
            return false;
        }
        free.set(old, n);
        freeCount += n - old;
        count = n;
        return true;
    }

    int freeSlabs() {
        synchronized (lock) {
            return freeCount;
        }
    }

    /**
     * Rebuilds the DRAM state from the slab table and the bitmaps: one pass over the table, a copy
     * and a {@link Long#bitCount} per bitmap word; objects are never touched.
     */
    long rebuild(TypeRegistry registry) {
        // the table's shape first: a large object's slabs all continuations naming it, bases in range
        String shape = PoolValidation.slabTableProblem(seg, sb);
        if (shape != null) {
            throw corrupt(shape);
        }
        long live = 0;
        long table = sb.slabTableOffset();
        for (int i = 0; i < count; i++) {
            long e = SlabTableDescriptor.entryOffset(table, i);
            int state = seg.get(Le.U32, e + STATE_OFFSET);
            int typeId = seg.get(Le.U32, e + TYPE_ID_OFFSET);
            switch (state) {
                case STATE_FREE -> {
                    free.set(i);
                    freeCount++;
                }
                case STATE_SMALL, STATE_LARGE_HEAD -> {
                    TypeInfo t = registry.byId(typeId);
                    long start = sb.slabOffset(i);
                    if (t == null) {
                        throw corrupt(e, "slab " + i + " holds type id " + typeId + ", which the registry does not know");
                    }
                    int span = state == STATE_LARGE_HEAD ? seg.get(Le.U32, e + SPAN_OFFSET) : 0;
                    if (t.large != (state == STATE_LARGE_HEAD)) {
                        throw corrupt(e, "slab " + i + " is " + stateName(state) + " but its type " + t + " is "
                                + (t.large ? "large (one object per run of slabs)" : "small (many objects per slab)"));
                    }
                    // slabTableProblem checked the span; the header must agree with the type
                    String h = PoolValidation.slabHeaderProblem(seg, sb, i, Math.max(1, span), typeId,
                            t.variable ? 0 : t.objectSize, t.objectCount);
                    if (h != null) {
                        throw corrupt(h);
                    }
                    int count = t.objectCount;
                    long size = seg.get(Le.U64, start + SlabHeaderDescriptor.OBJECT_SIZE_OFFSET);
                    SlabState s = new SlabState(i, t, start, span, size, count);
                    MemorySegment.copy(seg, Le.U64, start + SlabHeaderDescriptor.BITMAP_OFFSET, s.bits, 0, s.bits.length);
                    int used = 0;
                    for (long w : s.bits) {
                        used += Long.bitCount(w);
                    }
                    s.used = used;
                    live += used;
                    slabs[i] = s;
                    if (state == STATE_SMALL && used == 0) {
                        s.retired = true;
                        retiring.add(s);
                    } else if (state == STATE_SMALL && used < count) {
                        s.queued = true;
                        t.available.add(s);
                    }
                    if (span > 1) {
                        i += span - 1;
                    }
                }
                default -> throw corrupt(e, "slab " + i + " has state " + stateName(state) + " where the table's shape allows none");
            }
        }
        return live;
    }

    private PoolCorruptedException corrupt(long at, String what) {
        return corrupt("at pool offset " + at + ": " + what);
    }

    private PoolCorruptedException corrupt(String what) {
        return new PoolCorruptedException("slab metadata of pool " + poolName + " is damaged: " + what,
                "run `ferrite check " + poolName + "`");
    }

    /** The slab holding the object at {@code poolOffset}, checked to be an object start; else an exception. */
    SlabState slabOf(long poolOffset) {
        long rel = poolOffset - sb.slabAreaOffset();
        int idx = rel < 0 ? -1 : (int) (rel / sb.slabSize());
        SlabState s = idx >= 0 && idx < count ? slabs[idx] : null;
        if (s == null || poolOffset < s.start + s.type.dataOffset
                || (poolOffset - s.start - s.type.dataOffset) % s.objectSize != 0
                || (poolOffset - s.start - s.type.dataOffset) / s.objectSize >= s.count) {
            throw new IllegalArgumentException("pool offset " + poolOffset + " is not an object of pool " + poolName);
        }
        return s;
    }

    static int slotOf(SlabState s, long poolOffset) {
        return (int) ((poolOffset - s.start - s.type.dataOffset) / s.objectSize);
    }

    /**
     * Reserves a slot of small type {@code t} for the calling thread; returns its slab (the slot
     * is in {@code slotOut[0]}). May commit a slab-initialisation record through {@code system}.
     */
    SlabState reserveSmall(SlabState[] current, TypeInfo t, int[] slotOut, RedoWriter w, Consumer<RedoWriter> system) {
        return reserveSmall(current, t, slotOut, w, system, true);
    }

    /**
     * As above; with {@code mayGrow} false a pool without a free slab throws {@link
     * HeapFullException} rather than growing, so the caller can first take back what ended
     * threads hold ({@link Heap#reapDeadThreads}) and try again.
     */
    SlabState reserveSmall(SlabState[] current, TypeInfo t, int[] slotOut, RedoWriter w, Consumer<RedoWriter> system,
            boolean mayGrow) {
        SlabState s = current[t.id];
        if (s != null) {
            int slot = s.reserve();
            if (slot >= 0) {
                slotOut[0] = slot;
                return s;
            }
            current[t.id] = null;
        }
        while (true) {
            s = t.available.poll();
            if (s == null) {
                s = newSlab(t, w, system, mayGrow);
            } else if (!s.takeOwnership()) {
                continue;
            }
            int slot = s.reserve();
            if (slot >= 0) {
                current[t.id] = s;
                slotOut[0] = slot;
                return s;
            }
        }
    }

    private SlabState newSlab(TypeInfo t, RedoWriter w, Consumer<RedoWriter> system, boolean mayGrow) {
        int idx;
        synchronized (lock) {
            idx = free.nextSetBit(0);
            if (idx < 0 && mayGrow && grow(1)) {
                idx = free.nextSetBit(0);
            }
            if (idx < 0) {
                throw full(t, t.objectSize);
            }
            free.clear(idx);
            freeCount--;
        }
        boolean ok = false;
        try {
            long start = sb.slabOffset(idx);
            w.begin(0);
            appendHeader(w, start, t, t.objectSize, t.objectCount);
            appendEntries(w, idx, t, STATE_SMALL, 1);
            w.finish();
            system.accept(w);
            SlabState s = new SlabState(idx, t, start, 0, t.objectSize, t.objectCount);
            s.owned = true;
            slabs[idx] = s;
            ok = true;
            return s;
        } finally {
            if (!ok) {
                synchronized (lock) {
                    free.set(idx);
                    freeCount++;
                }
            }
        }
    }

    /** Redo operations that initialise a slab header (zeroed header region, geometry, empty bitmap). */
    void appendHeader(RedoWriter w, long start, TypeInfo t, long objectSize, int count) {
        int dataOffset = SlabHeaderDescriptor.dataOffset(count);
        w.zero(start, dataOffset);
        MemorySegment h = MemorySegment.ofArray(new long[SlabHeaderDescriptor.BITMAP_OFFSET / 8]);
        h.set(Le.U32, SlabHeaderDescriptor.MAGIC_OFFSET, SlabHeaderDescriptor.MAGIC);
        h.set(Le.U16, SlabHeaderDescriptor.VERSION_OFFSET, SlabHeaderDescriptor.VERSION);
        h.set(Le.U32, SlabHeaderDescriptor.TYPE_ID_OFFSET, t.id);
        h.set(Le.U32, SlabHeaderDescriptor.OBJECT_COUNT_OFFSET, count);
        h.set(Le.U64, SlabHeaderDescriptor.OBJECT_SIZE_OFFSET, objectSize);
        h.set(Le.U32, SlabHeaderDescriptor.DATA_OFFSET_OFFSET, dataOffset);
        h.set(Le.U32, SlabHeaderDescriptor.BITMAP_WORDS_OFFSET, SlabHeaderDescriptor.bitmapWords(count));
        w.write(start, h, 0, SlabHeaderDescriptor.BITMAP_OFFSET);
    }

    /** Redo operations that set the table entries of slabs [head, head+span) and the head's recorded base. */
    void appendEntries(RedoWriter w, int head, TypeInfo t, int headState, int span) {
        MemorySegment e = MemorySegment.ofArray(new long[span * ENTRY_LENGTH / 8]);
        for (int i = 0; i < span; i++) {
            long o = (long) i * ENTRY_LENGTH;
            e.set(Le.U32, o + TYPE_ID_OFFSET, t.id);
            e.set(Le.U32, o + STATE_OFFSET, i == 0 ? headState : STATE_LARGE_CONT);
            e.set(Le.U32, o + SPAN_OFFSET, i == 0 ? span : head);
        }
        long at = SlabTableDescriptor.entryOffset(sb.slabTableOffset(), head);
        w.write(at, e, 0, span * ENTRY_LENGTH);
        for (int i = 0; i < span; i++) {
            w.writeBase(at + (long) i * ENTRY_LENGTH + RECORDED_BASE_OFFSET);
        }
    }

    /** Empty small slabs waiting to be given back (a redo record each; see {@link #retirePending}). */
    private final java.util.concurrent.ConcurrentLinkedQueue<SlabState> retiring = new java.util.concurrent.ConcurrentLinkedQueue<>();

    void retireLater(SlabState s) {
        retiring.add(s);
    }

    boolean hasRetiring() {
        return !retiring.isEmpty();
    }

    /**
     * Gives empty small slabs back to the free slabs: one redo record per slab zeroes its header
     * region and table entry (its objects are zero already), then the slab is free in DRAM.
     * Called with no transaction record in progress on this thread and no heap lock held.
     */
    void retirePending(RedoWriter w, Consumer<RedoWriter> system) {
        SlabState s;
        while ((s = retiring.poll()) != null) {
            w.begin(0);
            w.zero(s.start, s.type.dataOffset);
            w.zero(SlabTableDescriptor.entryOffset(sb.slabTableOffset(), s.index), ENTRY_LENGTH);
            w.finish();
            try {
                system.accept(w);
            } catch (RuntimeException | Error e) {
                retiring.add(s);
                throw e;
            }
            slabs[s.index] = null;
            synchronized (lock) {
                free.set(s.index);
                freeCount++;
            }
        }
    }

    /** Reserves a run of free slabs for one large object of {@code size} bytes. */
    SlabState reserveLarge(TypeInfo t, long size) {
        return reserveLarge(t, size, true);
    }

    /** As above; {@code mayGrow} as in {@link #reserveSmall(SlabState[], TypeInfo, int[], RedoWriter, Consumer, boolean)}. */
    SlabState reserveLarge(TypeInfo t, long size, boolean mayGrow) {
        int span = SlabHeaderDescriptor.largeSpan(sb.slabSize(), size);
        int head;
        synchronized (lock) {
            head = freeRun(span);
            while (head < 0 && mayGrow && grow(span - trailingFree())) {
                head = freeRun(span);
            }
            if (head < 0) {
                throw full(t, size);
            }
            free.clear(head, head + span);
            freeCount -= span;
        }
        SlabState s = new SlabState(head, t, sb.slabOffset(head), span, size, 1);
        s.bits[0] = 1;
        s.used = 1;
        s.owned = true;
        slabs[head] = s;
        return s;
    }

    /** Gives a large run back (abort of its allocation, or after its free is applied). */
    void releaseLarge(SlabState s) {
        slabs[s.index] = null;
        synchronized (lock) {
            free.set(s.index, s.index + s.span);
            freeCount += s.span;
        }
    }

    /** First slab of a free run of {@code span} slabs, or -1 (caller holds {@link #lock}). */
    private int freeRun(int span) {
        int n = count;
        for (int i = free.nextSetBit(0); i >= 0 && i < n; ) {
            int end = Math.min(free.nextClearBit(i), n);
            if (end - i >= span) {
                return i;
            }
            i = end >= n ? -1 : free.nextSetBit(end);
        }
        return -1;
    }

    /** Free slabs at the end of the pool, which a growth extends into one run (caller holds {@link #lock}). */
    private int trailingFree() {
        int n = count;
        int last = n == 0 ? -1 : free.previousClearBit(n - 1);
        return n - 1 - last;
    }

    private HeapFullException full(TypeInfo t, long size) {
        int largestRun = 0;
        int n = count;
        for (int i = free.nextSetBit(0); i >= 0 && i < n; ) {
            int end = Math.min(free.nextClearBit(i), n);
            largestRun = Math.max(largestRun, end - i);
            i = end >= n ? -1 : free.nextSetBit(end);
        }
        return new HeapFullException(String.format("heap full: cannot allocate %,d bytes of type %s in pool %s:"
                + " %d of %d slabs of %,d bytes free (largest free run %d slabs)", size, t.name, poolName, freeCount,
                n, sb.slabSize(), largestRun), size, freeCount, n);
    }

    /** Live objects and slabs in use, for statistics. */
    long[] usage() {
        long live = 0;
        long used = 0;
        for (SlabState s : slabs) {
            if (s != null) {
                live += s.usedCount();
                used += Math.max(1, s.span);
            }
        }
        return new long[] {live, used};
    }

    /** Every slab in use (tests, the checker). */
    SlabState[] slabs() {
        return java.util.Arrays.copyOf(slabs, count);
    }
}
