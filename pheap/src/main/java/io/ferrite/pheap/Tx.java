package io.ferrite.pheap;

import static io.ferrite.pheap.format.SlabTableDescriptor.STATE_LARGE_HEAD;

import io.ferrite.pheap.format.BlobHeaderDescriptor;
import io.ferrite.pheap.format.Le;
import io.ferrite.pheap.format.SlabHeaderDescriptor;
import io.ferrite.pheap.format.SlabTableDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A transaction: atomic and durable changes to one heap, used by one thread in a
 * try-with-resources block. Writes go to a write set in DRAM (reads inside the transaction see
 * them); {@link #commit()} appends one redo record, waits for the chosen {@link Durability}, then
 * applies the record in place. Leaving the block without {@code commit()}, or an exception,
 * aborts: nothing is applied and reserved objects go back to the allocator.
 *
 * <pre>{@code
 * try (Tx tx = heap.begin()) {
 *     Ref node = tx.allocate(NODE);
 *     tx.setLong(node, KEY, 7);
 *     tx.setRef(node, NEXT, other);
 *     tx.commit();
 * }
 * }</pre>
 * Isolation between transactions that touch the same objects is the caller's, as in PMDK.
 * A {@code Tx} object is reused by its thread for its next transaction: do not keep it.
 */
public final class Tx implements AutoCloseable {
    private static final int IDLE = 0;
    private static final int ACTIVE = 1;
    private static final byte K_VALUE = 0;
    private static final byte K_PTR = 1;
    private static final byte K_BYTES = 2;

    private final Heap heap;
    private final ThreadCtx ctx;
    private int state = IDLE;
    private Durability durability;
    private long txId;

    // write set: entries in insertion order + an open-addressing index by pool offset
    private long[] eOff = new long[32];
    private long[] eVal = new long[32];
    private int[] eLen = new int[32];
    private byte[] eKind = new byte[32];
    private int entries;
    private byte[] data = new byte[256];
    private int dataPos;
    private long[] hKey = new long[64];
    private int[] hIdx = new int[64];
    private int[] hGen = new int[64];
    private int gen = 1;

    // reservations and frees
    private SlabAllocator.SlabState[] aSlab = new SlabAllocator.SlabState[8];
    private int[] aSlot = new int[8];
    private int allocs;
    private SlabAllocator.SlabState[] fSlab = new SlabAllocator.SlabState[8];
    private int[] fSlot = new int[8];
    private int frees;

    Tx(Heap heap, ThreadCtx ctx) {
        this.heap = heap;
        this.ctx = ctx;
    }

    void start(Durability d, long id) {
        state = ACTIVE;
        durability = d;
        txId = id;
        entries = 0;
        dataPos = 0;
        allocs = 0;
        frees = 0;
        if (++gen == 0) {
            Arrays.fill(hGen, 0);
            gen = 1;
        }
    }

    public Heap heap() {
        return heap;
    }

    public Durability durability() {
        return durability;
    }

    public boolean isActive() {
        return state == ACTIVE;
    }

    private void ensureActive() {
        if (state != ACTIVE) {
            throw new IllegalStateException("transaction is not active (committed, aborted, or closed)");
        }
        if (Thread.currentThread() != ctx.thread) {
            throw new IllegalStateException("transaction of thread " + ctx.thread.getName() + " used by thread "
                    + Thread.currentThread().getName() + "; a Tx belongs to the thread that began it");
        }
    }

    // ------------------------------------------------------------------ write set

    private int lookup(long off) {
        int mask = hKey.length - 1;
        int h = Long.hashCode(off * 0x9E3779B97F4A7C15L) & mask;
        while (hGen[h] == gen) {
            if (hKey[h] == off) {
                return hIdx[h];
            }
            h = (h + 1) & mask;
        }
        return -1;
    }

    private void index(long off, int idx) {
        if ((entries + 1) * 2 > hKey.length) {
            rehash(hKey.length * 2);
        }
        int mask = hKey.length - 1;
        int h = Long.hashCode(off * 0x9E3779B97F4A7C15L) & mask;
        while (hGen[h] == gen) {
            h = (h + 1) & mask;
        }
        hGen[h] = gen;
        hKey[h] = off;
        hIdx[h] = idx;
    }

    private void rehash(int cap) {
        hKey = new long[cap];
        hIdx = new int[cap];
        hGen = new int[cap];
        gen = 1;
        for (int i = 0; i < entries; i++) {
            int mask = cap - 1;
            int h = Long.hashCode(eOff[i] * 0x9E3779B97F4A7C15L) & mask;
            while (hGen[h] == gen) {
                h = (h + 1) & mask;
            }
            hGen[h] = gen;
            hKey[h] = eOff[i];
            hIdx[h] = i;
        }
    }

    private int put(long off, byte kind, int len, long val) {
        int i = lookup(off);
        if (i >= 0) {
            eVal[i] = val;
            return i;
        }
        if (entries == eOff.length) {
            int n = entries * 2;
            eOff = Arrays.copyOf(eOff, n);
            eVal = Arrays.copyOf(eVal, n);
            eLen = Arrays.copyOf(eLen, n);
            eKind = Arrays.copyOf(eKind, n);
        }
        i = entries;
        eOff[i] = off;
        eVal[i] = val;
        eLen[i] = len;
        eKind[i] = kind;
        index(off, i);
        entries++;
        return i;
    }

    private void putBytes(long off, byte[] src, int srcOff, int len) {
        int i = lookup(off);
        if (i >= 0 && eLen[i] == len) {
            System.arraycopy(src, srcOff, data, (int) eVal[i], len);
            return;
        }
        if (dataPos + len > data.length) {
            data = Arrays.copyOf(data, Math.max(data.length * 2, dataPos + len));
        }
        System.arraycopy(src, srcOff, data, dataPos, len);
        if (i >= 0) {
            eVal[i] = dataPos;
            eLen[i] = len;
        } else {
            put(off, K_BYTES, len, dataPos);
        }
        dataPos += len;
    }

    // ------------------------------------------------------------------ checks

    private long at(Ref ref, PField f, FieldKind kind) {
        ensureActive();
        if (f.kind() != kind) {
            throw new IllegalArgumentException("field " + f + " is " + f.kind() + ", not " + kind);
        }
        PType t = ref.type();
        if (f.owner() != t && !f.owner().name().equals(t.name())) {
            throw new IllegalArgumentException("field " + f + " does not belong to " + ref);
        }
        return ref.offset() + f.offset();
    }

    // ------------------------------------------------------------------ allocation

    /** Allocates a zeroed object of {@code type} (registered on first use); durable with this transaction. */
    public Ref allocate(PType type) {
        ensureActive();
        TypeInfo t = heap.typeInfo(type);
        if (t.variable) {
            throw new IllegalArgumentException("type " + t.name + " has a variable size; use allocateBytes");
        }
        return new Ref(reserve(t, t.objectSize), type);
    }

    private long reserve(TypeInfo t, long size) {
        SlabAllocator.SlabState s;
        int slot;
        try {
            s = reserveOnce(t, size, false);
        } catch (HeapFullException full) {
            // the current slabs of ended threads, and the empty ones among them once retired,
            // serve this allocation before the heap counts as full or the pool grows
            try {
                heap.reapDeadThreads();
                heap.allocator().retirePending(ctx.sysWriter, heap::commitSystem);
                s = reserveOnce(t, size, true);
            } catch (HeapFullException stillFull) {
                abort();
                throw stillFull;
            }
        }
        slot = t.large ? 0 : ctx.slotOut[0];
        if (allocs == aSlab.length) {
            aSlab = Arrays.copyOf(aSlab, allocs * 2);
            aSlot = Arrays.copyOf(aSlot, allocs * 2);
        }
        aSlab[allocs] = s;
        aSlot[allocs++] = slot;
        return s.objectOffset(slot);
    }

    private SlabAllocator.SlabState reserveOnce(TypeInfo t, long size, boolean mayGrow) {
        return t.large ? heap.allocator().reserveLarge(t, size, mayGrow)
                : heap.allocator().reserveSmall(ctx.current(t.id), t, ctx.slotOut, ctx.sysWriter, heap::commitSystem, mayGrow);
    }

    /** Allocates a blob holding {@code bytes} (a built-in size class, or a large blob). */
    public Ref allocateBytes(byte[] bytes) {
        ensureActive();
        TypeInfo t = heap.registry().blobFor(bytes.length);
        long size = t.variable ? BlobHeaderDescriptor.objectSize(bytes.length) : t.objectSize;
        Ref r = new Ref(reserve(t, size), t.def);
        put(BlobHeaderDescriptor.lengthOffset(r.offset()), K_VALUE, 4, bytes.length);
        if (bytes.length > 0) {
            putBytes(BlobHeaderDescriptor.dataOffset(r.offset()), bytes, 0, bytes.length);
        }
        return r;
    }

    /** Allocates a blob holding the UTF-8 bytes of {@code s}. */
    public Ref allocateString(String s) {
        return allocateBytes(s.getBytes(StandardCharsets.UTF_8));
    }

    /** The bytes of a blob. */
    public byte[] getBytes(Ref blob) {
        ensureActive();
        if (!blob.type().isBlob()) {
            throw new IllegalArgumentException(blob + " is not a blob");
        }
        int i = lookup(BlobHeaderDescriptor.lengthOffset(blob.offset()));
        int len = i >= 0 ? (int) eVal[i] : heap.segment().get(Le.U32, BlobHeaderDescriptor.lengthOffset(blob.offset()));
        if (i < 0) {
            long capacity = BlobHeaderDescriptor.capacity(heap.allocator().slabOf(blob.offset()).objectSize);
            if (len < 0 || len > capacity) {
                throw new PoolCorruptedException("blob at pool offset " + blob.offset() + " of " + heap + " says it holds "
                        + Integer.toUnsignedString(len) + " bytes but has room for " + capacity, "run `ferrite check` on the pool");
            }
        }
        byte[] out = new byte[len];
        int j = lookup(BlobHeaderDescriptor.dataOffset(blob.offset()));
        if (j >= 0) {
            System.arraycopy(data, (int) eVal[j], out, 0, len);
        } else {
            MemorySegment.copy(heap.segment(), ValueLayout.JAVA_BYTE, BlobHeaderDescriptor.dataOffset(blob.offset()), out, 0, len);
        }
        return out;
    }

    public String getString(Ref blob) {
        return new String(getBytes(blob), StandardCharsets.UTF_8);
    }

    /** Frees an object when this transaction commits (its bytes are zeroed, its slot reused after). */
    public void free(Ref ref) {
        ensureActive();
        SlabAllocator.SlabState s = heap.allocator().slabOf(ref.offset());
        int slot = SlabAllocator.slotOf(s, ref.offset());
        boolean mine = false;
        for (int i = 0; i < allocs; i++) {
            mine |= aSlab[i] == s && aSlot[i] == slot;
        }
        if (!mine && !s.isSet(slot)) {
            throw new IllegalArgumentException(ref + " is not allocated (double free?)");
        }
        for (int i = 0; i < frees; i++) {
            if (fSlab[i] == s && fSlot[i] == slot) {
                throw new IllegalArgumentException(ref + " is freed twice in this transaction");
            }
        }
        if (frees == fSlab.length) {
            fSlab = Arrays.copyOf(fSlab, frees * 2);
            fSlot = Arrays.copyOf(fSlot, frees * 2);
        }
        fSlab[frees] = s;
        fSlot[frees++] = slot;
    }

    /** The pool's root object of {@code type}, created (zeroed) by its own small transaction if absent. */
    public Ref root(PType type) {
        ensureActive();
        return heap.root(type);
    }

    // ------------------------------------------------------------------ fields

    public long getLong(Ref ref, PField f) {
        long off = at(ref, f, FieldKind.INT64);
        int i = lookup(off);
        return i >= 0 ? eVal[i] : (long) f.handle().get(heap.segment(), ref.offset());
    }

    public void setLong(Ref ref, PField f, long v) {
        put(at(ref, f, FieldKind.INT64), K_VALUE, 8, v);
    }

    public int getInt(Ref ref, PField f) {
        long off = at(ref, f, FieldKind.INT32);
        int i = lookup(off);
        return i >= 0 ? (int) eVal[i] : (int) f.handle().get(heap.segment(), ref.offset());
    }

    public void setInt(Ref ref, PField f, int v) {
        put(at(ref, f, FieldKind.INT32), K_VALUE, 4, v);
    }

    public short getShort(Ref ref, PField f) {
        long off = at(ref, f, FieldKind.INT16);
        int i = lookup(off);
        return i >= 0 ? (short) eVal[i] : (short) f.handle().get(heap.segment(), ref.offset());
    }

    public void setShort(Ref ref, PField f, short v) {
        put(at(ref, f, FieldKind.INT16), K_VALUE, 2, v);
    }

    public byte getByte(Ref ref, PField f) {
        long off = at(ref, f, FieldKind.INT8);
        int i = lookup(off);
        return i >= 0 ? (byte) eVal[i] : (byte) f.handle().get(heap.segment(), ref.offset());
    }

    public void setByte(Ref ref, PField f, byte v) {
        put(at(ref, f, FieldKind.INT8), K_VALUE, 1, v);
    }

    public double getDouble(Ref ref, PField f) {
        long off = at(ref, f, FieldKind.DOUBLE);
        int i = lookup(off);
        return i >= 0 ? Double.longBitsToDouble(eVal[i]) : (double) f.handle().get(heap.segment(), ref.offset());
    }

    public void setDouble(Ref ref, PField f, double v) {
        put(at(ref, f, FieldKind.DOUBLE), K_VALUE, 8, Double.doubleToRawLongBits(v));
    }

    public float getFloat(Ref ref, PField f) {
        long off = at(ref, f, FieldKind.FLOAT);
        int i = lookup(off);
        return i >= 0 ? Float.intBitsToFloat((int) eVal[i]) : (float) f.handle().get(heap.segment(), ref.offset());
    }

    public void setFloat(Ref ref, PField f, float v) {
        put(at(ref, f, FieldKind.FLOAT), K_VALUE, 4, Float.floatToRawIntBits(v) & 0xffffffffL);
    }

    /** The object a pointer field points to, or null. */
    public Ref getRef(Ref ref, PField f) {
        long off = at(ref, f, FieldKind.POINTER);
        int i = lookup(off);
        long target = i >= 0 ? eVal[i] : heap.offsetOfAddress((long) f.handle().get(heap.segment(), ref.offset()), off);
        return target == 0 ? null : heap.refAt(target, f.target());
    }

    /** Points a pointer field at {@code target} (null clears it); the target's type must be the field's. */
    public void setRef(Ref ref, PField f, Ref target) {
        long off = at(ref, f, FieldKind.POINTER);
        if (target != null) {
            String want = f.target();
            PType tt = target.type();
            if (!(want.equals(tt.name()) || (PType.ANY_BLOB.equals(want) && tt.isBlob()))) {
                throw new IllegalArgumentException("field " + f + " points to " + want + ", not to " + target);
            }
        }
        put(off, K_PTR, 8, target == null ? 0 : target.offset());
    }

    /** A copy of a fixed-length byte array field. */
    public byte[] getBytes(Ref ref, PField f) {
        long off = at(ref, f, FieldKind.BYTES);
        byte[] out = new byte[f.length()];
        int i = lookup(off);
        if (i >= 0) {
            System.arraycopy(data, (int) eVal[i], out, 0, f.length());
        } else {
            MemorySegment.copy(heap.segment(), ValueLayout.JAVA_BYTE, off, out, 0, out.length);
        }
        return out;
    }

    /** Sets a byte array field; a shorter value is zero-padded. */
    public void setBytes(Ref ref, PField f, byte[] value) {
        long off = at(ref, f, FieldKind.BYTES);
        if (value.length > f.length()) {
            throw new IllegalArgumentException("field " + f + " holds " + f.length() + " bytes, got " + value.length);
        }
        byte[] v = value.length == f.length() ? value : Arrays.copyOf(value, f.length());
        putBytes(off, v, 0, v.length);
    }

    // ------------------------------------------------------------------ end

    /**
     * Makes every change of this transaction durable (per its {@link Durability}) and applied, as
     * one redo record. If the append fails, the transaction is aborted and the error rethrown.
     */
    public void commit() {
        ensureActive();
        if (entries == 0 && allocs == 0 && frees == 0) {
            finish();
            return;
        }
        RedoWriter w = ctx.txWriter.begin(txId);
        SlabAllocator alloc = heap.allocator();
        long word = -1;
        long mask = 0;
        for (int i = 0; i < allocs; i++) {
            SlabAllocator.SlabState s = aSlab[i];
            if (s.large()) {
                alloc.appendHeader(w, s.start, s.type, s.objectSize, 1);
                alloc.appendEntries(w, s.index, s.type, STATE_LARGE_HEAD, s.span);
                w.setBits(s.start + SlabHeaderDescriptor.BITMAP_OFFSET, 1L);
                continue;
            }
            long wo = s.bitmapWordOffset(aSlot[i]);
            if (wo != word) {
                if (word >= 0) {
                    w.setBits(word, mask);
                }
                word = wo;
                mask = 0;
            }
            mask |= 1L << aSlot[i];
        }
        if (word >= 0) {
            w.setBits(word, mask);
        }
        MemorySegment dataSeg = null;
        for (int i = 0; i < entries; i++) {
            switch (eKind[i]) {
                case K_VALUE -> w.writeValue(eOff[i], eVal[i], eLen[i]);
                case K_PTR -> w.writePointer(eOff[i], eVal[i]);
                default -> {
                    if (dataSeg == null) {
                        dataSeg = MemorySegment.ofArray(data);
                    }
                    w.write(eOff[i], dataSeg, eVal[i], eLen[i]);
                }
            }
        }
        // frees: adjacent objects' ZEROs and one word's CLEAR_BITS are merged
        long zFrom = -1;
        long zTo = -1;
        word = -1;
        mask = 0;
        for (int i = 0; i < frees; i++) {
            SlabAllocator.SlabState s = fSlab[i];
            if (s.large()) {
                w.zero(s.start, s.type.dataOffset + s.objectSize);
                w.zero(SlabTableDescriptor.entryOffset(heap.superblock().slabTableOffset(), s.index),
                        (long) s.span * SlabTableDescriptor.ENTRY_LENGTH);
                continue;
            }
            long obj = s.objectOffset(fSlot[i]);
            if (obj != zTo) {
                if (zFrom >= 0) {
                    w.zero(zFrom, zTo - zFrom);
                }
                zFrom = obj;
            }
            zTo = obj + s.objectSize;
            long wo = s.bitmapWordOffset(fSlot[i]);
            if (wo != word) {
                if (word >= 0) {
                    w.clearBits(word, mask);
                }
                word = wo;
                mask = 0;
            }
            mask |= 1L << fSlot[i];
        }
        if (zFrom >= 0) {
            w.zero(zFrom, zTo - zFrom);
        }
        if (word >= 0) {
            w.clearBits(word, mask);
        }
        w.finish();
        try {
            heap.commit(ctx, w, durability, fSlab, fSlot, frees);
        } catch (RuntimeException | Error e) {
            abort();
            throw e;
        }
        finish();
    }

    /** Drops every change; reserved objects go back to the allocator. Idempotent. */
    public void abort() {
        if (state != ACTIVE) {
            return;
        }
        SlabAllocator alloc = heap.allocator();
        for (int i = allocs - 1; i >= 0; i--) {
            SlabAllocator.SlabState s = aSlab[i];
            if (s.large()) {
                alloc.releaseLarge(s);
            } else if (s.release(aSlot[i])) {
                alloc.retireLater(s);
            }
        }
        finish();
    }

    private void finish() {
        state = IDLE;
        Arrays.fill(aSlab, 0, allocs, null);
        Arrays.fill(fSlab, 0, frees, null);
        allocs = 0;
        frees = 0;
    }

    /** Aborts unless committed. */
    @Override
    public void close() {
        abort();
    }
}
