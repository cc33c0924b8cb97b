package io.ferrite.pheap;

import static io.ferrite.pheap.HostilePoolTest.*;
import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.FerriteException;
import io.ferrite.pheap.format.Le;
import io.ferrite.pheap.format.SlabTableDescriptor;
import io.ferrite.pheap.format.Superblock;
import io.ferrite.pheap.format.TypeDescriptor;
import io.ferrite.pheap.format.TypeRegistryDescriptor;
import io.ferrite.swizzle.RecordedBaseDescriptor;
import io.ferrite.swizzle.VerifyReport;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Hostile pools the structure-aware fuzz found accepted by {@link Heap#open} (issue 20): built-in
 * types that differ from this build's, a slab count that leaves slabs of the pool outside the slab
 * area, a superblock base of 0, a cleanly closed pool with a slab at another base, and pointers
 * whose declared target type is not registered. Each crafts the pool's bytes with valid checksums.
 */
class HostileStructureTest {

    /** Pool offset of the descriptor of type id {@code id} (ids start at 1). */
    static long descriptor(MemorySegment s, Superblock sb, int id) {
        long at = sb.registryOffset() + TypeRegistryDescriptor.HEADER_LENGTH;
        for (int i = 1; i < id; i++) {
            at += s.get(Le.U32, at + TypeDescriptor.LENGTH_OFFSET);
        }
        assertEquals(id, s.get(Le.U32, at + TypeDescriptor.TYPE_ID_OFFSET));
        return at;
    }

    static void resealDescriptor(MemorySegment s, long at) {
        int len = s.get(Le.U32, at + TypeDescriptor.LENGTH_OFFSET);
        s.set(Le.U32, at + TypeDescriptor.CRC_OFFSET, TypeDescriptor.computeCrc(s, at, len));
    }

    /** Field entry {@code f} of the descriptor at {@code at}. */
    static long fieldEntry(MemorySegment s, long at, int f) {
        int nl = Short.toUnsignedInt(s.get(Le.U16, at + TypeDescriptor.NAME_LENGTH_OFFSET));
        long p = at + TypeDescriptor.HEADER_LENGTH + TypeDescriptor.align8(nl);
        for (int i = 0; i < f; i++) {
            int fnl = Short.toUnsignedInt(s.get(Le.U16, p + TypeDescriptor.FIELD_NAME_LENGTH_OFFSET));
            int tnl = Short.toUnsignedInt(s.get(Le.U16, p + TypeDescriptor.FIELD_TARGET_LENGTH_OFFSET));
            p += TypeDescriptor.FIELD_HEADER_LENGTH + TypeDescriptor.align8(fnl + tnl);
        }
        return p;
    }

    record Damage(String what, int typeId, Edit edit) {
    }

    interface Edit {
        void apply(MemorySegment s, long descriptorAt);
    }

    /**
     * The heap reads blobs, and builds the pointer maps verification uses, from the built-in
     * descriptors: a ferrite.blob whose blob flag is gone makes reads throw "is not a blob", a
     * blob class whose data field became a pointer makes verifyPointers report its bytes. A
     * descriptor CRC proves only that the bytes were written whole; the open must refuse any
     * built-in that is not this build's, naming the type, the registry offset and `ferrite check`.
     */
    @Test
    void aBuiltinTypeThatDiffersFromThisBuildsIsRefusedAtOpen() throws IOException {
        List<Damage> cases = List.of(
                new Damage("ferrite.blob flags 2", 1, (s, at) -> s.set(Le.U32, at + TypeDescriptor.FLAGS_OFFSET, 2)),
                new Damage("ferrite.blob flags 2^31", 1, (s, at) -> s.set(Le.U32, at + TypeDescriptor.FLAGS_OFFSET, 1 << 31)),
                new Damage("ferrite.blob.16 flags 0", 2, (s, at) -> s.set(Le.U32, at + TypeDescriptor.FLAGS_OFFSET, 0)),
                new Damage("ferrite.blob.16 flags 2", 2, (s, at) -> s.set(Le.U32, at + TypeDescriptor.FLAGS_OFFSET, 2)),
                new Damage("ferrite.blob.16 data field a pointer", 2,
                        (s, at) -> s.set(Le.U16, fieldEntry(s, at, 2) + TypeDescriptor.FIELD_KIND_OFFSET, (short) 8)),
                new Damage("ferrite.blob.32 data field 8 bytes longer", 3,
                        (s, at) -> s.set(Le.U32, fieldEntry(s, at, 2) + TypeDescriptor.FIELD_LENGTH_OFFSET,
                                s.get(Le.U32, fieldEntry(s, at, 2) + TypeDescriptor.FIELD_LENGTH_OFFSET) + 8)),
                new Damage("ferrite.blob.64 with two fields", 4,
                        (s, at) -> s.set(Le.U16, at + TypeDescriptor.FIELD_COUNT_OFFSET, (short) 2)));
        int checked = 0;
        for (Damage d : cases) {
            try (Pools p = new Pools("builtin")) {
                RingPool r = RingPool.create(p, 4);
                try (Heap h = p.open(); Tx tx = h.begin()) {
                    tx.allocateBytes(new byte[40]);
                    tx.allocateBytes(new byte[100_000]);
                    tx.commit();
                }
                long[] at = new long[1];
                edit(p, s -> {
                    at[0] = descriptor(s, r.sb(), d.typeId());
                    d.edit().apply(s, at[0]);
                    resealDescriptor(s, at[0]);
                });
                FerriteException e = assertThrows(FerriteException.class, p::open, d.what() + " was accepted");
                assertClear(e, p, "ferrite.blob", "pool offset " + at[0]);
                checked++;
            }
        }
        System.out.println("builtin types: " + checked + " damaged built-in descriptors refused at open");
    }

    /**
     * A pool's slab count is fixed when it is created: as many slabs as fit between the slab area
     * and the pool's end. A smaller count leaves slabs in use outside the slab area: every pointer
     * into them reads as "outside the slabs", and the allocator would never see them.
     */
    @Test
    void aSlabCountThatLeavesWholeSlabsOfThePoolOutsideTheSlabAreaIsRefused() throws IOException {
        try (Pools p = new Pools("slabcount")) {
            RingPool.create(p, 4);
            edit(p, s -> rewriteSuperblock(s, sb -> new Superblock(sb.formatVersion(), sb.flags(), sb.sequence(), sb.poolId(),
                    sb.poolSize(), sb.slabSize(), 1, sb.registryOffset(), sb.registryLength(), sb.slabTableOffset(),
                    sb.slabTableLength(), sb.logOffset(), sb.logLength(), sb.slabAreaOffset(), sb.baseAddress(),
                    sb.checkpointLsn(), sb.term(), sb.created())));
            FerriteException e = assertThrows(FerriteException.class, p::open, "a slab count of 1 was accepted");
            assertClear(e, p, "slab count");
        }
    }

    /**
     * The superblock's base is written after the pool is first mapped, and every slab's recorded
     * base is a positive address: a base of 0 is no state Ferrite leaves (the CLI's replay of
     * the log cannot even express it), so the superblock is inconsistent.
     */
    @Test
    void aSuperblockBaseOfZeroIsRefused() throws IOException {
        try (Pools p = new Pools("base0")) {
            RingPool.create(p, 4);
            edit(p, s -> rewriteSuperblock(s, sb -> sb.withBaseAndCheckpoint(0, sb.checkpointLsn())));
            FerriteException e = assertThrows(FerriteException.class, p::open, "a superblock base of 0 was accepted");
            assertClear(e, p, "base address 0x0");
        }
    }

    /**
     * A swizzle can leave slabs at different bases only when it crashed, and the superblock in
     * force during a swizzle never has the clean-close flag (recovery clears it before it
     * swizzles). A cleanly closed pool whose slab is recorded at another base than the others
     * was damaged: its pointers would be decoded 4096 bytes off. (All slabs at one base that is
     * not the superblock's decode right, by their base: not refused.)
     */
    @Test
    void aCleanlyClosedPoolWithASlabAtAnotherBaseIsRefused() throws IOException {
        try (Pools p = new Pools("slabbase")) {
            RingPool r = RingPool.create(p, 4);
            long word = entry(r.sb(), r.slab()) + SlabTableDescriptor.RECORDED_BASE_OFFSET;
            edit(p, s -> {
                assertTrue(Heap.choose(s, s.byteSize(), "test").cleanClose(), "the pool was closed cleanly");
                long base = Heap.choose(s, s.byteSize(), "test").baseAddress();
                s.set(Le.U64, word, RecordedBaseDescriptor.at(base + 4096));
            });
            FerriteException e = assertThrows(FerriteException.class, p::open, "a slab AT(base + 4096) was accepted");
            assertClear(e, p, "slab " + r.slab(), "base");
        }
        try (Pools p = new Pools("sbbase")) {
            RingPool r = RingPool.create(p, 4);
            // every slab agrees, only the superblock's base differs: the slabs decode by their own base
            edit(p, s -> rewriteSuperblock(s, sb -> sb.withBaseAndCheckpoint(sb.baseAddress() + 4096, sb.checkpointLsn())));
            try (Heap h = p.open()) {
                VerifyReport v = h.verifyPointers();
                assertTrue(v.isClean(), v.toString());
                assertEquals((long) r.offs().get(0), h.getRef(h.root(ROOT), ROOT.field("first")).offset());
            }
        }
    }

    /**
     * A type may name a pointer target that is not registered (yet): registering a pair of types
     * that point to each other does so, and a crash between their registrations leaves it. Such a
     * field can hold only null: no object of an unregistered type exists. A pool whose pointers
     * there are not null is damaged (here the target type lost a letter of its name), and
     * verifyPointers must say so instead of taking the pointers as untyped.
     */
    @Test
    void aPointerWhoseTargetTypeIsNotRegisteredIsReportedByVerifyPointers() throws IOException {
        try (Pools p = new Pools("target")) {
            RingPool r = RingPool.create(p, 4);
            edit(p, s -> {
                long at = sb(s).registryOffset() + TypeRegistryDescriptor.HEADER_LENGTH;
                long end = at + s.get(Le.U64, sb(s).registryOffset() + TypeRegistryDescriptor.USED_BYTES_OFFSET);
                boolean found = false;
                for (; at < end; at += s.get(Le.U32, at + TypeDescriptor.LENGTH_OFFSET)) {
                    int nl = Short.toUnsignedInt(s.get(Le.U16, at + TypeDescriptor.NAME_LENGTH_OFFSET));
                    String name = new String(s.asSlice(at + TypeDescriptor.NAME_OFFSET, nl).toArray(Le.U8));
                    if (name.equals(NODE.name())) {
                        s.set(Le.U16, at + TypeDescriptor.NAME_LENGTH_OFFSET, (short) (nl - 1)); // "HNod"
                        resealDescriptor(s, at);
                        found = true;
                    }
                }
                assertTrue(found);
            });
            try (Heap h = p.open()) {
                assertNull(h.type(NODE.name()));
                VerifyReport v = h.verifyPointers();
                assertFalse(v.isClean(), "HRoot.first and HNod.next target the unregistered HNode, yet hold "
                        + r.offs().size() + " pointers to HNod objects: " + v);
                assertEquals(r.offs().size() + 1, v.problemCount(), v.problems().toString());
            }
        }
    }

    static Superblock sb(MemorySegment s) {
        return Heap.choose(s, s.byteSize(), "test");
    }
}
