package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HeapTest {
    static final PType NODE = PType.builder("Node").int64("key").pointer("next", "Node").int32("small").float64("d")
            .bytes("tag", 5).pointer("blob", PType.ANY_BLOB).build();
    static final PField KEY = NODE.field("key");
    static final PField NEXT = NODE.field("next");
    static final PField SMALL = NODE.field("small");
    static final PField D = NODE.field("d");
    static final PField TAG = NODE.field("tag");
    static final PField BLOB = NODE.field("blob");
    static final PType ROOT = PType.builder("Root").pointer("head", "Node").int64("count").build();
    static final PField HEAD = ROOT.field("head");
    static final PField COUNT = ROOT.field("count");

    @Test
    void commitIsVisibleAndSurvivesReopen() {
        try (Pools p = new Pools("commit")) {
            try (Heap h = p.create()) {
                Ref root = h.root(ROOT);
                try (Tx tx = h.begin()) {
                    Ref a = tx.allocate(NODE);
                    Ref b = tx.allocate(NODE);
                    tx.setLong(a, KEY, 1);
                    tx.setLong(b, KEY, 2);
                    tx.setRef(a, NEXT, b);
                    tx.setInt(a, SMALL, -5);
                    tx.setDouble(a, D, 3.25);
                    tx.setBytes(a, TAG, new byte[] {1, 2, 3});
                    tx.setRef(root, HEAD, a);
                    tx.setLong(root, COUNT, 2);
                    // read-your-writes
                    assertEquals(b, tx.getRef(a, NEXT));
                    assertEquals(-5, tx.getInt(a, SMALL));
                    assertArrayEquals(new byte[] {1, 2, 3, 0, 0}, tx.getBytes(a, TAG));
                    assertEquals(0, tx.getLong(tx.allocate(NODE), KEY), "new objects are zero");
                    tx.setLong(a, KEY, 10);
                    assertEquals(10, tx.getLong(a, KEY));
                    tx.commit();
                }
                assertEquals(h.address(h.getRef(root, HEAD)), h.segment().get(java.lang.foreign.ValueLayout.JAVA_LONG,
                        root.offset() + HEAD.offset()), "pointers are absolute addresses");
            }
            try (Heap h = p.open()) {
                Ref root = h.root(ROOT);
                try (Tx tx = h.begin()) {
                    Ref a = tx.getRef(root, HEAD);
                    assertEquals(10, tx.getLong(a, KEY));
                    assertEquals(-5, tx.getInt(a, SMALL));
                    assertEquals(3.25, tx.getDouble(a, D));
                    assertArrayEquals(new byte[] {1, 2, 3, 0, 0}, tx.getBytes(a, TAG));
                    Ref b = tx.getRef(a, NEXT);
                    assertEquals(2, tx.getLong(b, KEY));
                    assertNull(tx.getRef(b, NEXT));
                    assertEquals(2, tx.getLong(root, COUNT));
                }
                assertEquals(4, h.stats().liveObjects(), "root + 3 nodes");
            }
        }
    }

    @Test
    void abortAndExceptionLeaveNothing() {
        try (Pools p = new Pools("abort")) {
            try (Heap h = p.create()) {
                Ref root = h.root(ROOT);
                long live = h.stats().liveObjects();
                try (Tx tx = h.begin()) {
                    Ref a = tx.allocate(NODE);
                    tx.setRef(root, HEAD, a);
                    tx.setLong(root, COUNT, 99);
                    tx.abort();
                }
                assertThrows(IllegalStateException.class, () -> {
                    try (Tx tx = h.begin()) {
                        tx.setLong(root, COUNT, 77);
                        tx.allocate(NODE);
                        throw new IllegalStateException("boom");
                    }
                });
                try (Tx tx = h.begin()) {
                    tx.setLong(root, COUNT, 5);
                    // no commit: closing aborts
                }
                assertEquals(0, h.getLong(root, COUNT));
                assertNull(h.getRef(root, HEAD));
                assertEquals(live, h.stats().liveObjects());
                try (Tx tx = h.begin()) {
                    assertThrows(IllegalStateException.class, h::begin, "transactions do not nest");
                    tx.commit();
                    assertThrows(IllegalStateException.class, () -> tx.setLong(root, COUNT, 1));
                }
            }
        }
    }

    @Test
    void freeZeroesAndSlotsAreReused() {
        try (Pools p = new Pools("free")) {
            try (Heap h = p.create()) {
                Ref a;
                try (Tx tx = h.begin()) {
                    a = tx.allocate(NODE);
                    tx.setLong(a, KEY, 42);
                    tx.commit();
                }
                long live = h.stats().liveObjects();
                try (Tx tx = h.begin()) {
                    tx.free(a);
                    tx.commit();
                }
                assertEquals(live - 1, h.stats().liveObjects());
                assertEquals(0, h.getLong(a, KEY), "freed objects are zeroed");
                Ref a2 = a;
                assertThrows(IllegalArgumentException.class, () -> {
                    try (Tx tx = h.begin()) {
                        tx.free(a2);
                    }
                });
                Set<Long> seen = new HashSet<>();
                try (Tx tx = h.begin()) {
                    for (int i = 0; i < 10; i++) {
                        seen.add(tx.allocate(NODE).offset());
                    }
                    tx.commit();
                }
                assertTrue(seen.contains(a.offset()), "a freed slot is reused");
            }
        }
    }

    @Test
    void emptySlabsGoBackToTheFreeSlabs() {
        PType other = PType.builder("Other").bytes("x", 1000).build();
        try (Pools p = new Pools("retire")) {
            try (Heap h = p.create()) {
                h.root(ROOT);
                long free0 = h.stats().freeSlabs();
                List<Ref> refs = new ArrayList<>();
                try (Tx tx = h.begin()) {
                    for (int i = 0; i < 10000; i++) {
                        refs.add(tx.allocate(NODE));
                    }
                    tx.commit();
                }
                assertTrue(h.stats().freeSlabs() <= free0 - 5, "several slabs of Node");
                try (Tx tx = h.begin()) {
                    for (Ref r : refs) {
                        tx.free(r);
                    }
                    tx.commit();
                }
                try (Tx tx = h.begin()) {
                    tx.commit();
                }
                long afterFree = h.stats().freeSlabs();
                assertTrue(afterFree >= free0 - 1, "all but the thread's current slab are free again: " + free0 + " -> " + afterFree);
                // the space serves another type
                try (Tx tx = h.begin()) {
                    for (int i = 0; i < 300; i++) {
                        tx.allocate(other);
                    }
                    tx.commit();
                }
            }
            try (Heap h = p.open()) {
                assertEquals(301, h.stats().liveObjects());
                // empty slabs found at open are given back too
                assertEquals(h.stats().totalSlabs() - h.stats().slabsInUse(), h.stats().freeSlabs());
            }
        }
    }

    @Test
    void slabsOfEndedThreadsAreReused() throws Exception {
        try (Pools p = new Pools("reap")) {
            try (Heap h = p.create()) {
                Ref[] made = new Ref[1];
                Thread t = new Thread(() -> {
                    try (Tx tx = h.begin()) {
                        made[0] = tx.allocate(NODE);
                        tx.commit();
                    }
                });
                t.start();
                t.join();
                long inUse = h.stats().slabsInUse();
                h.checkpoint(); // reaps the ended thread: its current slab is queued for others
                try (Tx tx = h.begin()) {
                    Ref mine = tx.allocate(NODE);
                    assertEquals(h.allocator().slabOf(made[0].offset()), h.allocator().slabOf(mine.offset()),
                            "the ended thread's slab serves this thread");
                    tx.commit();
                }
                assertEquals(inUse, h.stats().slabsInUse());
            }
        }
    }

    @Test
    void blobsSmallAndLarge() {
        try (Pools p = new Pools("blobs")) {
            byte[] big = new byte[200_000];
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) (i * 31);
            }
            long bigOff;
            try (Heap h = p.create()) {
                Ref root = h.root(ROOT);
                try (Tx tx = h.begin()) {
                    Ref n = tx.allocate(NODE);
                    Ref s = tx.allocateString("héllo");
                    tx.setRef(n, BLOB, s);
                    tx.setRef(root, HEAD, n);
                    assertEquals("héllo", tx.getString(s));
                    Ref e = tx.allocateBytes(new byte[0]);
                    assertEquals(0, tx.getBytes(e).length);
                    Ref l = tx.allocateBytes(big);
                    assertArrayEquals(big, tx.getBytes(l));
                    assertEquals(PType.ANY_BLOB, l.type().name());
                    tx.setRef(n, NEXT, null);
                    bigOff = l.offset();
                    Ref n2 = tx.allocate(NODE);
                    tx.setRef(n, NEXT, n2);
                    tx.setRef(n2, BLOB, l);
                    tx.commit();
                }
            }
            try (Heap h = p.open()) {
                try (Tx tx = h.begin()) {
                    Ref n = tx.getRef(h.root(ROOT), HEAD);
                    assertEquals("héllo", tx.getString(tx.getRef(n, BLOB)));
                    Ref l = tx.getRef(tx.getRef(n, NEXT), BLOB);
                    assertEquals(bigOff, l.offset());
                    assertArrayEquals(big, tx.getBytes(l));
                    long free = h.stats().freeSlabs();
                    tx.free(l);
                    tx.commit();
                    assertTrue(h.stats().freeSlabs() >= free + 3, "a large blob's slabs go back: " + free + " -> " + h.stats().freeSlabs());
                }
            }
        }
    }

    @Test
    void largeObjectsOfUserTypes() {
        PType huge = PType.builder("Huge").int64("first").bytes("payload", 150_000).int64("last").build();
        try (Pools p = new Pools("large")) {
            try (Heap h = p.create()) {
                Ref r;
                try (Tx tx = h.begin()) {
                    r = tx.allocate(huge);
                    tx.setLong(r, huge.field("first"), 11);
                    tx.setLong(r, huge.field("last"), 22);
                    tx.commit();
                }
                assertEquals(22, h.getLong(r, huge.field("last")));
                h.crashForTesting();
            }
            try (Heap h = p.open()) {
                assertTrue(h.recoveryReport().recordsReplayed() > 0);
                Ref r = h.ref(h.superblock().slabAreaOffset() + 64);
                assertEquals("Huge", r.type().name());
                assertEquals(11, h.getLong(r, huge.field("first")));
                assertEquals(22, h.getLong(r, huge.field("last")));
            }
        }
    }

    @Test
    void heapFullAbortsCleanly() {
        try (Pools p = new Pools("full")) {
            try (Heap h = p.create()) {
                Ref root = h.root(ROOT);
                List<Ref> kept = new ArrayList<>();
                HeapFullException full = null;
                while (full == null) {
                    try (Tx tx = h.begin()) {
                        Ref r = tx.allocateBytes(new byte[40_000]);
                        tx.commit();
                        kept.add(r);
                    } catch (HeapFullException e) {
                        full = e;
                    }
                }
                assertTrue(full.getMessage().contains("heap full"), full.getMessage());
                assertTrue(full.requestedBytes() > 40_000);
                assertEquals(h.stats().totalSlabs(), full.totalSlabs());
                // the failed transaction left nothing: a partial tx with a write must not be applied
                try (Tx tx = h.begin()) {
                    tx.setLong(root, COUNT, 123);
                    assertThrows(HeapFullException.class, () -> tx.allocateBytes(new byte[40_000]));
                    assertFalse(tx.isActive(), "the transaction is aborted");
                }
                assertEquals(0, h.getLong(root, COUNT));
                try (Tx tx = h.begin()) {
                    for (Ref r : kept) {
                        tx.free(r);
                    }
                    tx.commit();
                }
                try (Tx tx = h.begin()) {
                    tx.allocateBytes(new byte[40_000]);
                    tx.commit();
                }
            }
        }
    }

    @Test
    void aTransactionTooLargeForTheLogIsAbortedWithAClearError() {
        try (Pools p = new Pools("toolarge")) {
            try (Heap h = p.create()) {
                Ref root = h.root(ROOT);
                long live = h.stats().liveObjects();
                try (Tx tx = h.begin()) {
                    tx.setLong(root, COUNT, 9);
                    tx.allocateBytes(new byte[300_000]);
                    TransactionTooLargeException e = assertThrows(TransactionTooLargeException.class, tx::commit);
                    assertTrue(e.getMessage().contains("transaction too large") && e.getMessage().contains(p.path.toString()),
                            e.getMessage());
                    assertFalse(tx.isActive());
                }
                assertEquals(0, h.getLong(root, COUNT));
                assertEquals(live, h.stats().liveObjects());
            }
        }
    }

    @Test
    void asyncCommitsAreAppliedAndDurable() {
        try (Pools p = new Pools("async")) {
            try (Heap h = p.create()) {
                Ref root = h.root(ROOT);
                for (int i = 1; i <= 50; i++) {
                    try (Tx tx = h.begin(Durability.ASYNC)) {
                        tx.setLong(root, COUNT, tx.getLong(root, COUNT) + 1);
                        tx.commit();
                    }
                }
                try (Tx tx = h.begin()) {
                    assertEquals(50, tx.getLong(root, COUNT));
                }
            }
            try (Heap h = p.open()) {
                assertEquals(50, h.getLong(h.root(ROOT), COUNT));
            }
        }
    }

    @Test
    void exclusiveOpenInProcess() {
        try (Pools p = new Pools("excl")) {
            try (Heap h = p.create()) {
                assertNotNull(h.poolId());
                HeapLockedException e = assertThrows(HeapLockedException.class, p::open);
                assertTrue(e.getMessage().contains(p.path.toString()), e.getMessage());
                assertTrue(e.getMessage().contains("pid " + ProcessHandle.current().pid()), e.getMessage());
            }
            p.open().close();
        }
    }

    /**
     * Writes in 64 KiB pieces: one big Files.write would malloc a direct buffer as large as the
     * pool, which can land on the address range the pool must be mapped at again.
     */
    static void write(java.nio.file.Path path, byte[] bytes) throws IOException {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(path, java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
            for (int off = 0; off < bytes.length; off += 65536) {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes, off, Math.min(65536, bytes.length - off));
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
        }
    }

    @Test
    void aDamagedTypeDescriptorIsReported() throws IOException {
        try (Pools p = new Pools("badreg")) {
            long at;
            try (Heap h = p.create()) {
                h.register(NODE);
                at = h.superblock().registryOffset() + io.ferrite.pheap.format.TypeRegistryDescriptor.HEADER_LENGTH + 40;
            }
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p.path, java.nio.file.StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) 0x5a}), at);
            }
            io.ferrite.FerriteException e = assertThrows(io.ferrite.FerriteException.class, p::open);
            assertTrue(e.getMessage().contains("type registry of pool " + p.path) && e.getMessage().contains("CRC32C"), e.getMessage());
            assertTrue(e.getMessage().contains("ferrite check"), e.getMessage());
            // the failed open released its lock and its mapping: a second try fails the same way
            e = assertThrows(io.ferrite.FerriteException.class, p::open);
            assertTrue(e.getMessage().contains("type registry"), e.getMessage());
        }
    }

    @Test
    void badFilesGiveClearErrors() throws IOException {
        try (Pools p = new Pools("bad")) {
            write(p.path, new byte[1 << 20]);
            PoolFormatException e = assertThrows(PoolFormatException.class, p::open);
            assertTrue(e.getMessage().contains("not a Ferrite pool") && e.getMessage().contains(p.path.toString()), e.getMessage());
            assertFalse(e instanceof PoolCorruptedException, "another file is not a damaged pool");
            assertTrue(e.getMessage().contains("ferrite check"), e.getMessage());
            Files.delete(p.path);
            p.create().close();
            byte[] all = new byte[(int) Files.size(p.path)];
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p.path)) {
                for (int off = 0; off < all.length; ) {
                    off += ch.read(java.nio.ByteBuffer.wrap(all, off, Math.min(65536, all.length - off)));
                }
            }
            // truncated
            write(p.path, Arrays.copyOf(all, all.length / 2));
            e = assertThrows(PoolFormatException.class, p::open);
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
            assertInstanceOf(PoolCorruptedException.class, e);
            // newer format version, valid CRC
            byte[] newer = all.clone();
            java.lang.foreign.MemorySegment s = java.lang.foreign.MemorySegment.ofArray(new long[1024]);
            for (long slot : new long[] {0, 4096}) {
                java.lang.foreign.MemorySegment.copy(java.lang.foreign.MemorySegment.ofArray(newer), slot, s, 0, 4096);
                if (io.ferrite.pheap.format.Superblock.problem(s, 0) == null) {
                    io.ferrite.pheap.format.Superblock sb = io.ferrite.pheap.format.Superblock.read(s, 0);
                    new io.ferrite.pheap.format.Superblock(sb.formatVersion() + 1, sb.flags(), sb.sequence(), sb.poolId(), sb.poolSize(),
                            sb.slabSize(), sb.slabCount(), sb.registryOffset(), sb.registryLength(), sb.slabTableOffset(),
                            sb.slabTableLength(), sb.logOffset(), sb.logLength(), sb.slabAreaOffset(), sb.baseAddress(),
                            sb.checkpointLsn(), sb.term(), sb.created()).write(s, 0);
                    java.lang.foreign.MemorySegment.copy(s, 0, java.lang.foreign.MemorySegment.ofArray(newer), slot, 4096);
                }
            }
            write(p.path, newer);
            e = assertThrows(PoolFormatException.class, p::open);
            assertTrue(e.getMessage().contains("format version 2") && e.getMessage().contains("newer"), e.getMessage());
            assertFalse(e instanceof PoolCorruptedException, "a newer format is not damage");
            // both superblocks damaged
            byte[] bad = all.clone();
            bad[100] ^= 1;
            bad[4096 + 100] ^= 1;
            write(p.path, bad);
            e = assertThrows(PoolFormatException.class, p::open);
            assertTrue(e.getMessage().contains("both superblocks") && e.getMessage().contains("ferrite check"), e.getMessage());
            assertInstanceOf(PoolCorruptedException.class, e);
            // one damaged: the other wins
            byte[] one = all.clone();
            one[100] ^= 1;
            one[4096 + 100] ^= 0;
            write(p.path, one);
            p.open().close();
        }
    }
}
