package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.FerriteException;
import io.ferrite.media.Media;
import io.ferrite.pheap.format.Le;
import io.ferrite.pheap.format.SlabHeaderDescriptor;
import io.ferrite.pheap.format.SlabTableDescriptor;
import io.ferrite.pheap.format.Superblock;
import io.ferrite.pheap.format.SuperblockDescriptor;
import io.ferrite.pheap.format.TypeDescriptor;
import io.ferrite.pheap.format.TypeRegistryDescriptor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A structure-aware fuzz of {@link Heap#open}: every field of the superblock, the registry header,
 * two type descriptors, the slab table entries in use and their slab headers is set, one at a time,
 * to boundary values (0, 1, -1, 2^31 - 1, 2^31, 2^32 - 1, 2^63 - 1, -2^63, the pool size, offsets of
 * other regions, the old value ± 8 and doubled, 2^63 - old), with the checksums resealed so that the value
 * reaches the checks behind them. Each mutant is copied into fresh media at another address, so
 * every open that gets that far swizzles. An open either succeeds (and then verification and a
 * walk of the ring run without an exception other than a FerriteException) or fails with a
 * FerriteException that names the pool and a `ferrite` command; never another exception, an
 * OutOfMemoryError or a hang.
 */
class HostilePoolFuzzTest {
    private final Map<String, Integer> outcomes = new TreeMap<>();

    @Test
    void everyFieldSetToBoundaryValuesIsOpenedOrRefusedCleanly() {
        long t0 = System.nanoTime();
        MemorySegment image; // long[]-backed: the descriptors' layouts are aligned
        Superblock sb;
        List<Long> ring;
        try (Media m = Media.inMemory(Pools.SIZE)) {
            try (Heap h = Heap.create(m, Pools.options())) {
                ring = HostilePoolTest.ring(h, 200);
                try (Tx tx = h.begin()) {
                    tx.allocateBytes(new byte[100_000]); // a large object: a head and continuation slabs
                    tx.allocateString("short blob");
                    tx.commit();
                }
                sb = h.superblock();
            }
            image = MemorySegment.ofArray(new long[(int) (Pools.SIZE / 8)]);
            image.copyFrom(m.segment());
        }
        int mutants = 0;
        for (Field f : fields(image, sb)) {
            for (long v : values(f, image, sb)) {
                mutate(image, sb, ring, f, v);
                mutants++;
            }
        }
        System.out.printf("Heap.open fuzz: %,d mutants of %s checked in %.1f s: %s%n", mutants, "every structure field",
                (System.nanoTime() - t0) / 1e9, outcomes);
        assertTrue(mutants >= 2000, "mutants: " + mutants);
    }

    /** One field: where it is, its width, and which checksum covers it. */
    record Field(String name, long offset, int width, Seal seal, long sealAt) {
    }

    enum Seal { SUPERBLOCK, REGISTRY, DESCRIPTOR, NONE }

    private static List<Field> fields(MemorySegment s, Superblock sb) {
        List<Field> l = new ArrayList<>();
        int[][] sbFields = {
                {SuperblockDescriptor.FORMAT_VERSION_OFFSET, 4}, {SuperblockDescriptor.FLAGS_OFFSET, 4},
                {SuperblockDescriptor.SEQUENCE_OFFSET, 8}, {SuperblockDescriptor.POOL_SIZE_OFFSET, 8},
                {SuperblockDescriptor.SLAB_SIZE_OFFSET, 4}, {SuperblockDescriptor.SLAB_COUNT_OFFSET, 4},
                {SuperblockDescriptor.REGISTRY_OFFSET_OFFSET, 8}, {SuperblockDescriptor.REGISTRY_LENGTH_OFFSET, 8},
                {SuperblockDescriptor.SLAB_TABLE_OFFSET_OFFSET, 8}, {SuperblockDescriptor.SLAB_TABLE_LENGTH_OFFSET, 8},
                {SuperblockDescriptor.LOG_OFFSET_OFFSET, 8}, {SuperblockDescriptor.LOG_LENGTH_OFFSET, 8},
                {SuperblockDescriptor.SLAB_AREA_OFFSET_OFFSET, 8}, {SuperblockDescriptor.BASE_ADDRESS_OFFSET, 8},
                {SuperblockDescriptor.CHECKPOINT_LSN_OFFSET, 8}, {SuperblockDescriptor.TERM_OFFSET, 8}};
        for (int[] f : sbFields) {
            l.add(new Field("superblock+" + f[0], f[0], f[1], Seal.SUPERBLOCK, 0));
        }
        long reg = sb.registryOffset();
        int[][] regFields = {{TypeRegistryDescriptor.VERSION_OFFSET, 4}, {TypeRegistryDescriptor.TYPE_COUNT_OFFSET, 4},
                {TypeRegistryDescriptor.USED_BYTES_OFFSET, 8}, {TypeRegistryDescriptor.ROOT_TYPE_ID_OFFSET, 4},
                {TypeRegistryDescriptor.ROOT_OFFSET_OFFSET, 8}};
        for (int[] f : regFields) {
            l.add(new Field("registry+" + f[0], reg + f[0], f[1], Seal.REGISTRY, reg));
        }
        for (String type : List.of("HNode", "HRoot", "ferrite.blob")) {
            long at = HostilePoolTest.descriptorOf(s, sb, type);
            int[][] tf = {{TypeDescriptor.LENGTH_OFFSET, 4}, {TypeDescriptor.TYPE_ID_OFFSET, 4}, {TypeDescriptor.FLAGS_OFFSET, 4},
                    {TypeDescriptor.SIZE_OFFSET, 8}, {TypeDescriptor.ALIGNMENT_OFFSET, 4},
                    {TypeDescriptor.FIELD_COUNT_OFFSET, 2}, {TypeDescriptor.NAME_LENGTH_OFFSET, 2}};
            for (int[] f : tf) {
                l.add(new Field(type + "+" + f[0], at + f[0], f[1], Seal.DESCRIPTOR, at));
            }
            int nl = Short.toUnsignedInt(s.get(Le.U16, at + TypeDescriptor.NAME_LENGTH_OFFSET));
            long p = at + TypeDescriptor.HEADER_LENGTH + TypeDescriptor.align8(nl);
            int nf = Short.toUnsignedInt(s.get(Le.U16, at + TypeDescriptor.FIELD_COUNT_OFFSET));
            for (int i = 0; i < nf; i++) {
                int[][] ff = {{TypeDescriptor.FIELD_KIND_OFFSET, 2}, {TypeDescriptor.FIELD_NAME_LENGTH_OFFSET, 2},
                        {TypeDescriptor.FIELD_OFFSET_OFFSET, 4}, {TypeDescriptor.FIELD_LENGTH_OFFSET, 4},
                        {TypeDescriptor.FIELD_TARGET_LENGTH_OFFSET, 2}};
                for (int[] f : ff) {
                    l.add(new Field(type + ".field" + i + "+" + f[0], p + f[0], f[1], Seal.DESCRIPTOR, at));
                }
                int fnl = Short.toUnsignedInt(s.get(Le.U16, p + TypeDescriptor.FIELD_NAME_LENGTH_OFFSET));
                int tnl = Short.toUnsignedInt(s.get(Le.U16, p + TypeDescriptor.FIELD_TARGET_LENGTH_OFFSET));
                p += TypeDescriptor.FIELD_HEADER_LENGTH + TypeDescriptor.align8(fnl + tnl);
            }
        }
        int firstFree = -1;
        for (int i = 0; i < sb.slabCount(); i++) {
            long e = SlabTableDescriptor.entryOffset(sb.slabTableOffset(), i);
            int state = s.get(Le.U32, e + SlabTableDescriptor.STATE_OFFSET);
            if (state == SlabTableDescriptor.STATE_FREE) {
                if (firstFree >= 0) {
                    continue;
                }
                firstFree = i;
            }
            int[][] ef = {{SlabTableDescriptor.TYPE_ID_OFFSET, 4}, {SlabTableDescriptor.STATE_OFFSET, 4},
                    {SlabTableDescriptor.RECORDED_BASE_OFFSET, 8}, {SlabTableDescriptor.SPAN_OFFSET, 4}};
            for (int[] f : ef) {
                l.add(new Field("slab" + i + ".entry+" + f[0], e + f[0], f[1], Seal.NONE, 0));
            }
            if (state == SlabTableDescriptor.STATE_SMALL || state == SlabTableDescriptor.STATE_LARGE_HEAD) {
                long start = sb.slabOffset(i);
                int[][] hf = {{SlabHeaderDescriptor.MAGIC_OFFSET, 4}, {SlabHeaderDescriptor.VERSION_OFFSET, 2},
                        {SlabHeaderDescriptor.TYPE_ID_OFFSET, 4}, {SlabHeaderDescriptor.OBJECT_COUNT_OFFSET, 4},
                        {SlabHeaderDescriptor.OBJECT_SIZE_OFFSET, 8}, {SlabHeaderDescriptor.DATA_OFFSET_OFFSET, 4},
                        {SlabHeaderDescriptor.BITMAP_WORDS_OFFSET, 4}, {SlabHeaderDescriptor.BITMAP_OFFSET, 8}};
                for (int[] f : hf) {
                    l.add(new Field("slab" + i + ".header+" + f[0], start + f[0], f[1], Seal.NONE, 0));
                }
            }
        }
        return l;
    }

    private static long get(MemorySegment s, long at, int width) {
        return switch (width) {
            case 2 -> Short.toUnsignedLong(s.get(Le.U16_UNALIGNED, at));
            case 4 -> Integer.toUnsignedLong(s.get(Le.U32_UNALIGNED, at));
            default -> s.get(Le.U64_UNALIGNED, at);
        };
    }

    private static Set<Long> values(Field f, MemorySegment image, Superblock sb) {
        long old = get(image, f.offset, f.width);
        Set<Long> v = new LinkedHashSet<>(List.of(0L, 1L, -1L, (long) Integer.MAX_VALUE, 1L << 31, (1L << 32) - 1,
                Long.MAX_VALUE, Long.MIN_VALUE, sb.poolSize(), sb.poolSize() + 1, sb.registryOffset(), sb.slabTableOffset(),
                sb.logOffset(), sb.slabAreaOffset(), Long.MAX_VALUE - sb.poolSize() + 1, old + 8, old - 8, old * 2,
                Long.MAX_VALUE - old + 1));
        v.remove(old);
        return v;
    }

    private void mutate(MemorySegment image, Superblock sb, List<Long> ring, Field f, long value) {
        String what = f.name + " := " + value + " (0x" + Long.toHexString(value) + ")";
        try (Media m = Media.inMemory(image.byteSize())) {
            MemorySegment s = m.segment();
            s.copyFrom(image);
            if (f.seal == Seal.SUPERBLOCK) {
                for (long slot : new long[] {SuperblockDescriptor.A_OFFSET, SuperblockDescriptor.B_OFFSET}) {
                    put(s, slot + f.offset, f.width, value);
                    s.set(Le.U32, slot + SuperblockDescriptor.CRC_OFFSET, SuperblockDescriptor.computeCrc(s, slot));
                }
            } else {
                put(s, f.offset, f.width, value);
                if (f.seal == Seal.REGISTRY) {
                    s.set(Le.U32, f.sealAt + TypeRegistryDescriptor.CRC_OFFSET, TypeRegistryDescriptor.computeCrc(s, f.sealAt));
                } else if (f.seal == Seal.DESCRIPTOR) {
                    int len = s.get(Le.U32, f.sealAt + TypeDescriptor.LENGTH_OFFSET);
                    if (len >= TypeDescriptor.HEADER_LENGTH && f.sealAt + len <= sb.slabTableOffset()) {
                        s.set(Le.U32, f.sealAt + TypeDescriptor.CRC_OFFSET, TypeDescriptor.computeCrc(s, f.sealAt, len));
                    }
                }
            }
            String outcome;
            try (Heap h = Heap.open(m, Pools.options())) {
                outcome = "opened";
                try {
                    h.verifyPointers();
                    for (long o : ring) {
                        h.getRef(h.ref(o), HostilePoolTest.NEXT);
                    }
                } catch (FerriteException | IllegalArgumentException e) {
                    outcome = "opened, then refused a bad pointer";
                }
            } catch (FerriteException e) {
                String msg = e.getMessage();
                assertTrue(msg.contains("`ferrite "), what + ": the error names no ferrite command: " + msg);
                // in-memory media: the heap names "<memory pool ...>", the log "<memory>" (a file pool: its path)
                assertTrue(msg.contains("<memory"), what + ": the error names no pool: " + msg);
                outcome = "refused (" + e.getClass().getSimpleName() + ")";
            } catch (RuntimeException | Error e) {
                throw new AssertionError(what + ": escaped as " + e, e);
            }
            outcomes.merge(outcome, 1, Integer::sum);
        }
    }

    private static void put(MemorySegment s, long at, int width, long value) {
        switch (width) {
            case 2 -> s.set(Le.U16_UNALIGNED, at, (short) value);
            case 4 -> s.set(Le.U32_UNALIGNED, at, (int) value);
            default -> s.set(Le.U64_UNALIGNED, at, value);
        }
    }
}
