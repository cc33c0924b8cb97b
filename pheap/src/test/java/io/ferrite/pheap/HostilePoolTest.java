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
import io.ferrite.swizzle.RecordedBaseDescriptor;
import io.ferrite.swizzle.VerifyReport;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Damaged and hostile pools (issue 20): each test crafts the bytes of a pool that a crash, a bad
 * disk or an attacker could leave, and checks that {@link Heap#open} refuses it with an error that
 * names the pool, the structure and `ferrite check` — never a wrong write, a hang, an
 * OutOfMemoryError or an IndexOutOfBoundsException.
 */
class HostilePoolTest {
    static final PType NODE = PType.builder("HNode").int64("v").pointer("next", "HNode").build();
    static final PField V = NODE.field("v");
    static final PField NEXT = NODE.field("next");
    static final PType ROOT = PType.builder("HRoot").pointer("first", "HNode").int64("n").build();

    // ------------------------------------------------------------------ helpers

    /** Maps the pool file read-write, lets {@code edit} change its bytes, and syncs them. */
    static void edit(Pools p, Consumer<MemorySegment> edit) throws IOException {
        try (Arena a = Arena.ofConfined();
                FileChannel ch = FileChannel.open(p.path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment s = ch.map(FileChannel.MapMode.READ_WRITE, 0, ch.size(), a);
            edit.accept(s);
            s.force();
        }
    }

    /** Replaces both superblock copies by {@code f} applied to the current one (valid CRCs). */
    static void rewriteSuperblock(MemorySegment s, UnaryOperator<Superblock> f) {
        Superblock sb = PoolFiles.choose(s, s.byteSize(), "test");
        Superblock n = f.apply(sb);
        n.write(s, SuperblockDescriptor.A_OFFSET);
        n.write(s, SuperblockDescriptor.B_OFFSET);
    }

    static Superblock with(Superblock s, int version, long poolSize, long registryLength, long slabAreaOffset, long base) {
        return new Superblock(version, s.flags(), s.sequence(), s.poolId(), poolSize, s.slabSize(), s.slabCount(),
                s.registryOffset(), registryLength, s.slabTableOffset(), s.slabTableLength(), s.logOffset(), s.logLength(),
                slabAreaOffset, base, s.checkpointLsn(), s.term(), s.created());
    }

    /** Recomputes the registry header's checksum after a test changed a header field. */
    static void resealRegistryHeader(MemorySegment s, long reg) {
        s.set(Le.U32, reg + TypeRegistryDescriptor.CRC_OFFSET, TypeRegistryDescriptor.computeCrc(s, reg));
    }

    static int slabIndex(Superblock sb, long poolOffset) {
        return (int) ((poolOffset - sb.slabAreaOffset()) / sb.slabSize());
    }

    static long entry(Superblock sb, int slab) {
        return SlabTableDescriptor.entryOffset(sb.slabTableOffset(), slab);
    }

    static void assertClear(FerriteException e, Pools p, String... parts) {
        String m = e.getMessage() + " / " + e.hint();
        assertTrue(m.contains(p.path.toString()), "names the pool: " + m);
        assertTrue(m.contains("ferrite check"), "names the command: " + m);
        for (String part : parts) {
            assertTrue(m.contains(part), "says '" + part + "': " + m);
        }
    }

    /** A pool with a root and a ring of {@code n} nodes; returns the node offsets. */
    static List<Long> ring(Heap h, int n) {
        List<Long> offs = new ArrayList<>();
        try (Tx tx = h.begin()) {
            Ref root = tx.root(ROOT);
            List<Ref> rs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Ref r = tx.allocate(NODE);
                tx.setLong(r, V, i);
                rs.add(r);
                offs.add(r.offset());
            }
            for (int i = 0; i < n; i++) {
                tx.setRef(rs.get(i), NEXT, rs.get((i + 1) % n));
            }
            tx.setRef(root, ROOT.field("first"), rs.get(0));
            tx.commit();
        }
        return offs;
    }

    // ------------------------------------------------------------------ item 5: the pool's size, not the file's

    /**
     * A crash mid-swizzle left a slab in SHIFT(C): some pointers still absolute for the pool base P,
     * the rest already for C, with [P, P + pool size) and [C, C + pool size) disjoint. The file has
     * since grown to twice the pool size. Resuming must decode by the pool's size: under the file's,
     * the words already at C fall inside [P, P + file size) and are moved a second time.
     */
    @Test
    void aResumedSwizzleDecodesByThePoolSizeNotTheFileSize() {
        long size = Pools.SIZE;
        List<Long> offs;
        Superblock sb;
        try (Media m0 = Media.inMemory(size); Media m1 = Media.inMemory(2 * size)) {
            try (Heap h = Heap.create(m0, Pools.options())) {
                offs = ring(h, 40);
                sb = h.superblock();
            }
            MemorySegment.copy(m0.segment(), 0, m1.segment(), 0, size);
            long b0 = sb.baseAddress();
            long c = m1.baseAddress();
            long p = c - size; // disjoint from C under the pool size, overlapping under the file size
            MemorySegment s = m1.segment();
            long nextOff = NEXT.offset();
            for (int i = 0; i < offs.size(); i++) {
                long at = offs.get(i) + nextOff;
                long target = s.get(Le.U64, at) - b0;
                s.set(Le.U64, at, (i % 2 == 0 ? p : c) + target);
            }
            int slab = slabIndex(sb, offs.get(0));
            for (long o : offs) {
                assertEquals(slab, slabIndex(sb, o), "the ring lies in one slab");
            }
            long rootSlabWord = -1;
            // the root's slab keeps its pointer for P: AT(P) is not moved until the SHIFT slabs are done
            for (int i = 0; i < sb.slabCount(); i++) {
                long e = entry(sb, i) + SlabTableDescriptor.RECORDED_BASE_OFFSET;
                long w = s.get(Le.U64, e);
                if (s.get(Le.U32, entry(sb, i) + SlabTableDescriptor.STATE_OFFSET) == SlabTableDescriptor.STATE_FREE) {
                    continue;
                }
                if (i == slab) {
                    s.set(Le.U64, e, RecordedBaseDescriptor.shift(c));
                } else {
                    rootSlabWord = w;
                    s.set(Le.U64, e, RecordedBaseDescriptor.at(p));
                }
            }
            assertNotEquals(-1, rootSlabWord);
            // the root's pointer (and any other pointer outside the ring's slab) assumes P now
            long reg = sb.registryOffset();
            long rootOff = s.get(Le.U64, reg + TypeRegistryDescriptor.ROOT_OFFSET_OFFSET);
            long first = rootOff + ROOT.field("first").offset();
            s.set(Le.U64, first, s.get(Le.U64, first) - b0 + p);
            // as a crash leaves it: recovery clears the clean-close flag before it swizzles
            rewriteSuperblock(s, x -> with(x.next(x.checkpointLsn(), false), x.formatVersion(), x.poolSize(), x.registryLength(),
                    x.slabAreaOffset(), p));
            try (Heap h = Heap.open(m1, Pools.options())) {
                VerifyReport vr = h.verifyPointers();
                int wrong = 0;
                for (int i = 0; i < offs.size(); i++) {
                    Ref r = h.ref(offs.get(i));
                    long want = h.address(h.ref(offs.get((i + 1) % offs.size())));
                    if (h.getLong(r, NEXT) != want) {
                        wrong++;
                    }
                }
                assertEquals(0, wrong, wrong + " of " + offs.size() + " pointers wrong after resuming the swizzle; " + vr);
                assertTrue(vr.isClean(), vr.toString());
            }
        }
    }

    // ------------------------------------------------------------------ item 6: offsets above 2 GiB

    @Test
    void aTypeWithFieldsPast2GiBIsRefusedAtDeclaration() {
        PType.Builder b = PType.builder("Huge").bytes("a", Integer.MAX_VALUE - 7).bytes("b", 8).pointer("p", "Huge");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build,
                "a pointer at offset 2^31 would be truncated to a negative int");
        assertTrue(e.getMessage().contains("Huge"), e.getMessage());
    }

    @Test
    void aPersistedTypeWithFieldsPast2GiBIsRefusedAtOpen() throws IOException {
        PType small = PType.builder("Huge").bytes("a", 8).bytes("b", 8).pointer("p", "Huge").build();
        try (Pools p = new Pools("huge")) {
            Superblock sb;
            try (Heap h = p.create()) {
                h.register(small);
                sb = h.superblock();
            }
            edit(p, s -> {
                long at = descriptorOf(s, sb, "Huge");
                int len = s.get(Le.U32, at + TypeDescriptor.LENGTH_OFFSET);
                int nl = Short.toUnsignedInt(s.get(Le.U16, at + TypeDescriptor.NAME_LENGTH_OFFSET));
                long f0 = at + TypeDescriptor.HEADER_LENGTH + TypeDescriptor.align8(nl);
                // field a: 2^31 - 8 bytes; b at 2^31 - 8; p at 2^31 (truncated to a negative int)
                s.set(Le.U32, f0 + TypeDescriptor.FIELD_LENGTH_OFFSET, Integer.MAX_VALUE - 7);
                s.set(Le.U64, at + TypeDescriptor.SIZE_OFFSET, (1L << 31) + 8);
                s.set(Le.U32, at + TypeDescriptor.CRC_OFFSET, TypeDescriptor.computeCrc(s, at, len));
            });
            FerriteException e = assertThrows(FerriteException.class, p::open);
            assertClear(e, p, "type registry", "Huge");
        }
    }

    /** Pool offset of the registry descriptor of type {@code name}. */
    static long descriptorOf(MemorySegment s, Superblock sb, String name) {
        long reg = sb.registryOffset();
        int n = s.get(Le.U32, reg + TypeRegistryDescriptor.TYPE_COUNT_OFFSET);
        long at = reg + TypeRegistryDescriptor.HEADER_LENGTH;
        for (int i = 0; i < n; i++) {
            int nl = Short.toUnsignedInt(s.get(Le.U16, at + TypeDescriptor.NAME_LENGTH_OFFSET));
            byte[] b = s.asSlice(at + TypeDescriptor.NAME_OFFSET, nl).toArray(Le.U8);
            if (new String(b, java.nio.charset.StandardCharsets.UTF_8).equals(name)) {
                return at;
            }
            at += s.get(Le.U32, at + TypeDescriptor.LENGTH_OFFSET);
        }
        throw new AssertionError("no type " + name);
    }

    // ------------------------------------------------------------------ item 7: slab header geometry

    /** A closed pool holding a root and a ring of nodes in one slab. */
    record RingPool(Superblock sb, List<Long> offs, int slab, long start) {
        static RingPool create(Pools p, int n) {
            try (Heap h = p.create()) {
                List<Long> offs = ring(h, n);
                Superblock sb = h.superblock();
                int slab = slabIndex(sb, offs.get(0));
                return new RingPool(sb, offs, slab, sb.slabOffset(slab));
            }
        }
    }

    @Test
    void aSlabHeaderWithAWrongDataOffsetIsRefusedAtOpen() throws IOException {
        try (Pools p = new Pools("dataoff")) {
            RingPool r = RingPool.create(p, 10);
            // 64 bytes early: the objects still fit in the slab, each pointer word read is the one before
            edit(p, s -> s.set(Le.U32, r.start + SlabHeaderDescriptor.DATA_OFFSET_OFFSET,
                    s.get(Le.U32, r.start + SlabHeaderDescriptor.DATA_OFFSET_OFFSET) - 64));
            FerriteException e = assertThrows(FerriteException.class, () -> Heap.open(p.path, Pools.options().forceRelocation(true)),
                    "a relocating open would rewrite the words 64 bytes before every pointer");
            assertClear(e, p, "slab " + r.slab, "data offset");
        }
    }

    @Test
    void aSlabHeaderWithAWrongBitmapSizeIsRefusedAtOpen() throws IOException {
        try (Pools p = new Pools("bitmap")) {
            RingPool r = RingPool.create(p, 10);
            edit(p, s -> s.set(Le.U32, r.start + SlabHeaderDescriptor.BITMAP_WORDS_OFFSET, 1));
            FerriteException e = assertThrows(FerriteException.class, p::open);
            assertClear(e, p, "slab " + r.slab, "bitmap");
        }
    }

    @Test
    void theSwizzleViewTakesSlabGeometryFromTheType() throws IOException {
        try (Pools p = new Pools("viewgeom")) {
            RingPool r = RingPool.create(p, 10);
            edit(p, s -> {
                s.set(Le.U32, r.start + SlabHeaderDescriptor.DATA_OFFSET_OFFSET, 4096);
                try (Media m = Media.wrap(s)) {
                    PoolSwizzleView v = PoolSwizzleView.read(m);
                    assertEquals(r.offs.stream().mapToLong(Long::longValue).min().getAsLong(), v.objectsOffset(r.slab),
                            "object 0 of the slab is where the type's geometry puts it, whatever the header says");
                }
            });
        }
    }

    // ------------------------------------------------------------------ item 8: the root

    @Test
    void aRootIntoTheTypeRegistryIsRefusedAtOpen() throws IOException {
        try (Pools p = new Pools("rootreg")) {
            Superblock sb;
            try (Heap h = p.create()) {
                ring(h, 3);
                sb = h.superblock();
            }
            long reg = sb.registryOffset();
            edit(p, s -> {
                s.set(Le.U64, reg + TypeRegistryDescriptor.ROOT_OFFSET_OFFSET, reg + TypeRegistryDescriptor.HEADER_LENGTH);
                resealRegistryHeader(s, reg);
            });
            FerriteException e = assertThrows(FerriteException.class, p::open,
                    "Heap.root() would hand out a reference into the type registry");
            assertClear(e, p, "root");
        }
    }

    @Test
    void aRootOnAFreedSlotIsRefusedAtOpen() throws IOException {
        try (Pools p = new Pools("rootfree")) {
            Superblock sb;
            long free;
            try (Heap h = p.create()) {
                List<Long> offs = ring(h, 3);
                try (Tx tx = h.begin()) {
                    Ref r = tx.allocate(ROOT);
                    free = r.offset();
                    tx.free(r);
                    tx.commit();
                }
                sb = h.superblock();
            }
            long reg = sb.registryOffset();
            edit(p, s -> {
                s.set(Le.U64, reg + TypeRegistryDescriptor.ROOT_OFFSET_OFFSET, free);
                resealRegistryHeader(s, reg);
            });
            FerriteException e = assertThrows(FerriteException.class, p::open);
            assertClear(e, p, "root", "not allocated");
        }
    }

    @Test
    void aRegistryHeaderWithABadChecksumIsRefusedAtOpen() throws IOException {
        try (Pools p = new Pools("regcrc")) {
            Superblock sb;
            try (Heap h = p.create()) {
                ring(h, 3);
                sb = h.superblock();
            }
            long reg = sb.registryOffset();
            edit(p, s -> s.set(Le.U64, reg + TypeRegistryDescriptor.ROOT_OFFSET_OFFSET,
                    s.get(Le.U64, reg + TypeRegistryDescriptor.ROOT_OFFSET_OFFSET) + 16));
            FerriteException e = assertThrows(FerriteException.class, p::open);
            assertClear(e, p, "type registry", "CRC32C");
        }
    }

    /** A registry of version 1 (no header checksum) is refused before open writes anything. */
    @Test
    void aPoolOfTheFormatWithoutARegistryChecksumIsRefused() throws IOException {
        try (Pools p = new Pools("v1")) {
            Superblock sb;
            try (Heap h = p.create()) {
                sb = h.superblock();
            }
            edit(p, s -> s.set(Le.U32, sb.registryOffset() + TypeRegistryDescriptor.VERSION_OFFSET, 1));
            byte[] before = java.nio.file.Files.readAllBytes(p.path);
            FerriteException e = assertThrows(FerriteException.class, p::open);
            assertClear(e, p, "type registry", "version 1");
            assertArrayEquals(before, java.nio.file.Files.readAllBytes(p.path), "the refused open wrote to the pool");
        }
    }

    // ------------------------------------------------------------------ item 9: geometry arithmetic

    @Test
    void superblockRegionSumsThatWrapPast2To63AreRefused() throws IOException {
        try (Pools p = new Pools("wrap")) {
            p.create().close();
            MemorySegment copy;
            Superblock sb;
            try (Arena a = Arena.ofConfined();
                    FileChannel ch = FileChannel.open(p.path, StandardOpenOption.READ)) {
                MemorySegment s = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), a);
                sb = PoolFiles.choose(s, s.byteSize(), "test");
            }
            // slab area ending exactly at 2^63 (wraps to Long.MIN_VALUE), a registry length that wraps
            Superblock area = with(sb, sb.formatVersion(), sb.poolSize(), sb.registryLength(),
                    Long.MAX_VALUE - (long) sb.slabCount() * sb.slabSize() + 1, sb.baseAddress());
            Superblock registry = with(sb, sb.formatVersion(), sb.poolSize(), Long.MAX_VALUE, sb.slabAreaOffset(),
                    sb.baseAddress());
            int checked = 0;
            for (Superblock bad : List.of(area, registry)) {
                assertNotNull(bad.geometryProblem(), "accepted: " + bad);
                edit(p, s -> {
                    bad.write(s, SuperblockDescriptor.A_OFFSET);
                    bad.write(s, SuperblockDescriptor.B_OFFSET);
                });
                PoolFormatException e = assertThrows(PoolCorruptedException.class, p::open);
                assertClear(e, p, "superblock");
                checked++;
            }
            System.out.println("geometry: " + checked + " wrapping superblocks refused");
        }
    }

    // ------------------------------------------------------------------ item 11: closed-form object count

    @Test
    void objectCountIsClosedFormAndExact() {
        int checked = 0;
        for (int slabShift = 12; slabShift <= 20; slabShift += 4) {
            long slab = 1L << slabShift;
            for (long size = 1; size <= 300; size++) {
                assertEquals(countByBinarySearch(slab, size), SlabHeaderDescriptor.objectCount(slab, size),
                        "slab " + slab + " size " + size);
                checked++;
            }
        }
        // a hostile registry: 1 GiB slabs and objects of 1 or 2 bytes; counting down costs tens of
        // milliseconds per type, so 5,000 types cost minutes (a bound, not a measurement)
        long[] want = {countByBinarySearch(1L << 30, 1), countByBinarySearch(1L << 30, 2)};
        assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> {
            for (int i = 0; i < 5000; i++) {
                assertEquals(want[i % 2], SlabHeaderDescriptor.objectCount(1L << 30, 1 + (i % 2)));
            }
        }, "5,000 object counts for 1 GiB slabs (counting down one object at a time takes minutes)");
        checked += 5000;
        System.out.println("objectCount: " + checked + " (slab size, object size) pairs checked against a binary search");
    }

    static long countByBinarySearch(long slab, long size) {
        long lo = 0;
        long hi = Math.min(Integer.MAX_VALUE, slab / size);
        while (lo < hi) {
            long mid = (lo + hi + 1) >>> 1;
            if (SlabHeaderDescriptor.dataOffset((int) mid) + mid * size <= slab) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    // ------------------------------------------------------------------ item 13: slab table shape and bases

    @Test
    void aLargeObjectWhoseFollowingSlabIsNotAContinuationIsRefused() throws IOException {
        try (Pools p = new Pools("cont")) {
            Superblock sb;
            long big;
            long firstNode;
            try (Heap h = p.create()) {
                firstNode = ring(h, 3).get(0);
                try (Tx tx = h.begin()) {
                    big = tx.allocateBytes(new byte[3 * 64 * 1024]).offset();
                    tx.setRef(tx.root(ROOT), ROOT.field("first"), null);
                    tx.commit();
                }
                sb = h.superblock();
            }
            int head = slabIndex(sb, big);
            long e1 = entry(sb, head + 1);
            long start = sb.slabOffset(head + 1);
            long nodeHeader = sb.slabOffset(slabIndex(sb, firstNode));
            edit(p, s -> {
                assertEquals(SlabTableDescriptor.STATE_LARGE_CONT, s.get(Le.U32, e1 + SlabTableDescriptor.STATE_OFFSET));
                // the continuation slab claims to be a slab of nodes; its first bytes (blob data, which
                // an application controls) hold a copy of a genuine node slab header
                s.set(Le.U32, e1 + SlabTableDescriptor.STATE_OFFSET, SlabTableDescriptor.STATE_SMALL);
                s.set(Le.U32, e1 + SlabTableDescriptor.TYPE_ID_OFFSET, s.get(Le.U32, nodeHeader + SlabHeaderDescriptor.TYPE_ID_OFFSET));
                MemorySegment.copy(s, nodeHeader, s, start, 4096);
            });
            FerriteException e = assertThrows(FerriteException.class, p::open,
                    "slab " + (head + 1) + " would be swizzled both as a slab and as part of slab " + head);
            assertClear(e, p, "slab " + (head + 1), "slab " + head);
        }
    }

    @Test
    void aRecordedBaseNear2To63IsRefused() throws IOException {
        try (Pools p = new Pools("base")) {
            RingPool r = RingPool.create(p, 10);
            long word = entry(r.sb, r.slab) + SlabTableDescriptor.RECORDED_BASE_OFFSET;
            edit(p, s -> s.set(Le.U64, word, RecordedBaseDescriptor.at(Long.MAX_VALUE & RecordedBaseDescriptor.BASE_MASK)));
            FerriteException e = assertThrows(FerriteException.class, p::open,
                    "tagged words would decode as absolute pointers for that base");
            assertClear(e, p, "slab " + r.slab, "base");
        }
    }

    /**
     * Replay stores pointer words for the recorded base of the slab they land in: with a base near
     * 2^63 it would write words that are no pointer at all, before the open refuses the pool. The
     * bases are checked before replay: the refused open leaves the slab's bytes as they were.
     */
    @Test
    void aRecordedBaseNear2To63IsRefusedBeforeReplayWritesPointers() throws IOException {
        try (Pools p = new Pools("basereplay")) {
            Superblock sb;
            List<Long> offs;
            Heap h = p.create();
            offs = ring(h, 10);
            h.checkpoint(); // the slab's initialisation (which writes its base) is not replayed
            try (Tx tx = h.begin()) {
                for (int i = 0; i < offs.size(); i++) {
                    tx.setRef(h.ref(offs.get(i)), NEXT, h.ref(offs.get((i + offs.size() - 1) % offs.size())));
                }
                tx.commit();
            }
            sb = h.superblock();
            h.crashForTesting(); // the relinking's record stays in the log, to be replayed
            int slab = slabIndex(sb, offs.get(0));
            long word = entry(sb, slab) + SlabTableDescriptor.RECORDED_BASE_OFFSET;
            byte[][] before = new byte[1][];
            edit(p, s -> {
                s.set(Le.U64, word, RecordedBaseDescriptor.at(Long.MAX_VALUE & RecordedBaseDescriptor.BASE_MASK));
                before[0] = s.asSlice(sb.slabOffset(slab), sb.slabSize()).toArray(Le.U8);
            });
            FerriteException e = assertThrows(FerriteException.class, p::open);
            assertClear(e, p, "slab " + slab, "base");
            edit(p, s -> assertArrayEquals(before[0], s.asSlice(sb.slabOffset(slab), sb.slabSize()).toArray(Le.U8),
                    "the refused open replayed pointer words into slab " + slab));
        }
    }
}
