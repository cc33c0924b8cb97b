package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.pheap.format.Superblock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A pool that grows when its slabs run out: pointers stay valid, the size is durable, old pools keep theirs. */
class HeapGrowthTest {
    static final PType ITEM = PType.builder("GItem").int64("key").pointer("next", "GItem").pointer("data", PType.ANY_BLOB).build();
    static final PField KEY = ITEM.field("key");
    static final PField NEXT = ITEM.field("next");
    static final PField DATA = ITEM.field("data");
    static final PType ROOT = PType.builder("GRoot").pointer("head", "GItem").int64("count").build();
    static final PField HEAD = ROOT.field("head");
    static final PField COUNT = ROOT.field("count");

    static HeapOptions growable() {
        return Pools.options().maxSize(64L << 20).growthIncrement(0);
    }

    @Test
    void aPoolGrowsInPlaceWhenItsSlabsRunOutAndKeepsTheSizeAcrossOpen() throws Exception {
        try (Pools p = new Pools("grow")) {
            long initial = 4L << 20;
            List<Long> sizes = new ArrayList<>();
            int n = 0;
            long base;
            try (Heap h = Heap.create(p.path, initial, growable())) {
                h.register(ITEM);
                h.register(ROOT);
                h.root(ROOT);
                base = h.baseAddress();
                assertEquals(64L << 20, h.maxSize());
                sizes.add(h.poolSize());
                Ref first = null;
                while (h.poolSize() < 24L << 20 && n < 2000) {
                    try (Tx tx = h.begin()) {
                        Ref root = tx.root(ROOT);
                        Ref it = tx.allocate(ITEM);
                        tx.setLong(it, KEY, n);
                        tx.setRef(it, DATA, tx.allocateBytes(new byte[40_000 + n]));
                        tx.setRef(it, NEXT, tx.getRef(root, HEAD));
                        tx.setRef(root, HEAD, it);
                        tx.setLong(root, COUNT, n + 1);
                        tx.commit();
                        if (first == null) {
                            first = it;
                        }
                    }
                    n++;
                    if (h.poolSize() != sizes.get(sizes.size() - 1)) {
                        sizes.add(h.poolSize());
                    }
                }
                assertTrue(sizes.size() >= 3, "grew several times: " + sizes);
                assertEquals(base, h.baseAddress(), "no pointer moves");
                assertEquals(0L, h.getLong(first, KEY), "an object made before growth reads back");
                assertEquals(h.poolSize(), Files.size(p.path), "the file is as long as the pool, not its maximum");
                h.checkpoint();
            }
            try (Heap h = Heap.open(p.path, growable())) {
                assertEquals(sizes.get(sizes.size() - 1), h.poolSize(), "the grown size is durable");
                assertEquals(64L << 20, h.maxSize());
                assertEquals(n, checkList(h), "every item after reopen");
            }
            System.out.println("heap growth: " + n + " items, sizes " + sizes);
        }
    }

    @Test
    void aRelocatingOpenReservesTheMaximumAtTheNewBaseAndGrowsThere() {
        try (Pools p = new Pools("reloc")) {
            long base;
            try (Heap h = Heap.create(p.path, 4L << 20, growable())) {
                h.register(ITEM);
                h.register(ROOT);
                h.root(ROOT);
                add(h, 0, 40);
                assertTrue(h.poolSize() > 4L << 20, "grew before the move: " + h.poolSize());
                base = h.baseAddress();
            }
            try (Heap h = Heap.open(p.path, growable().forceRelocation(true))) {
                assertTrue(h.baseAddress() != base && h.recoveryReport().relocated(), "moved and swizzled");
                assertEquals(64L << 20, h.maxSize(), "the maximum is reserved at the new base");
                long moved = h.baseAddress();
                add(h, 40, 200);
                h.grow(48L << 20);
                assertEquals(moved, h.baseAddress());
                assertEquals(200, checkList(h));
            }
            try (Heap h = Heap.open(p.path, growable())) {
                assertEquals(200, checkList(h));
                assertTrue(h.poolSize() >= 48L << 20);
            }
        }
    }

    static void add(Heap h, int from, int to) {
        for (int n = from; n < to; n++) {
            try (Tx tx = h.begin()) {
                Ref root = tx.root(ROOT);
                Ref it = tx.allocate(ITEM);
                tx.setLong(it, KEY, n);
                tx.setRef(it, DATA, tx.allocateBytes(new byte[40_000 + n]));
                tx.setRef(it, NEXT, tx.getRef(root, HEAD));
                tx.setRef(root, HEAD, it);
                tx.setLong(root, COUNT, n + 1);
                tx.commit();
            }
        }
    }

    @Test
    void growToOfflineAndItsLimits() {
        try (Pools p = new Pools("growto")) {
            try (Heap h = Heap.create(p.path, 4L << 20, growable())) {
                h.grow(10L << 20);
                assertTrue(h.poolSize() >= 10L << 20, "size " + h.poolSize());
                long s = h.poolSize();
                h.grow(5L << 20);
                assertEquals(s, h.poolSize(), "growing to less is a no-op");
                assertThrows(IllegalArgumentException.class, () -> h.grow(65L << 20));
            }
        }
    }

    @Test
    void aFixedPoolStaysFixedAndReportsFull() {
        try (Pools p = new Pools("fixed"); Heap h = p.create()) {
            assertEquals(h.poolSize(), h.maxSize());
            assertEquals(0, h.superblock().maxPoolSize(), "a fixed pool records no maximum (as pools before growth)");
            assertThrows(IllegalArgumentException.class, () -> h.grow(Pools.SIZE * 2));
            h.register(ITEM);
            HeapFullException e = assertThrows(HeapFullException.class, () -> {
                for (int i = 0; i < 10_000; i++) {
                    try (Tx tx = h.begin()) {
                        tx.allocateBytes(new byte[100_000]);
                        tx.commit();
                    }
                }
            });
            assertTrue(e.getMessage().contains("heap full"), e.getMessage());
        }
    }

    @Test
    void sizeLessCreateGrowsUpToTheDefaultMaximum() {
        try (Pools p = new Pools("sizeless")) {
            try (Heap h = Heap.create(p.path, Pools.options())) {
                Superblock sb = h.superblock();
                assertTrue(sb.poolSize() >= HeapOptions.GROWABLE_INITIAL_SIZE_DEFAULT && sb.slabCount() >= 8, "size " + sb.poolSize());
                System.out.println("size-less create: " + sb.poolSize() + " bytes, " + sb.slabCount() + " slabs, maximum " + sb.maxSize());
                assertEquals(HeapOptions.GROWABLE_MAX_SIZE_DEFAULT, sb.maxSize());
            }
        }
    }

    /**
     * A real nearly full file system: an 8 MiB tmpfs mounted by the test (root only; skipped,
     * saying so, where mount is not allowed). The allocation that needs growth fails with a
     * HeapFullException naming the free bytes; the pool keeps its size and stays usable.
     */
    @Test
    void growthOnAFullTmpfsFailsCleanly() throws Exception {
        Path mnt = Files.createTempDirectory("ferrite-heap-small-tmpfs-");
        boolean mounted = run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt.toString()) == 0;
        try {
            org.junit.jupiter.api.Assumptions.assumeTrue(mounted, "cannot mount a small tmpfs here (not root?): skipped");
            Path pool = mnt.resolve("full.pool");
            int committed = 0;
            long sizeAtFailure;
            try (Heap h = Heap.create(pool, 4L << 20, growable())) {
                h.register(ITEM);
                h.register(ROOT);
                h.root(ROOT);
                HeapFullException e = null;
                for (int i = 0; i < 1000 && e == null; i++) {
                    try (Tx tx = h.begin()) {
                        Ref root = tx.root(ROOT);
                        Ref it = tx.allocate(ITEM);
                        tx.setLong(it, KEY, i);
                        tx.setRef(it, DATA, tx.allocateBytes(new byte[50_000]));
                        tx.setRef(it, NEXT, tx.getRef(root, HEAD));
                        tx.setRef(root, HEAD, it);
                        tx.setLong(root, COUNT, i + 1);
                        tx.commit();
                        committed++;
                    } catch (HeapFullException full) {
                        e = full;
                    }
                }
                assertTrue(e != null, "the 8 MiB file system fills up");
                System.out.println("full tmpfs: " + e.getMessage());
                assertTrue(e.getMessage().contains("bytes free") && e.getMessage().contains(pool.toString()), e.getMessage());
                sizeAtFailure = h.poolSize();
                assertEquals(sizeAtFailure, Files.size(pool), "nothing half-done: the file keeps the pool's size");
                try (Tx tx = h.begin()) {
                    tx.setLong(tx.root(ROOT), COUNT, committed);
                    tx.commit(); // still usable
                }
            }
            try (Heap h = Heap.open(pool, growable())) {
                assertEquals(sizeAtFailure, h.poolSize());
                assertEquals(committed, checkList(h));
            }
            System.out.println("full tmpfs: " + committed + " commits before the file system filled, pool " + sizeAtFailure + " bytes");
        } finally {
            if (mounted) {
                run("umount", mnt.toString());
            }
            Files.deleteIfExists(mnt);
        }
    }

    private static int run(String... cmd) throws Exception {
        Process pr = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            return pr.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) ? pr.exitValue() : -1;
        } finally {
            pr.destroyForcibly();
        }
    }

    static int checkList(Heap h) {
        Ref root = h.root(ROOT);
        int count = 0;
        long want = h.getLong(root, COUNT) - 1;
        for (Ref it = h.getRef(root, HEAD); it != null; it = h.getRef(it, NEXT)) {
            assertEquals(want--, h.getLong(it, KEY));
            assertTrue(h.isAllocated(h.getRef(it, DATA)));
            count++;
        }
        return count;
    }
}
