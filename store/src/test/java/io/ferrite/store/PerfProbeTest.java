package io.ferrite.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.ferrite.pheap.HeapOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Opt-in ({@code -Dferrite.perf=true}) probe of the MapBench shape: 16-byte keys, 100-byte values,
 * durable {@code set} and lock-free {@code get}, single thread. Not a benchmark (JMH in bench/ is);
 * it shows where the time goes while developing.
 */
class PerfProbeTest {
    @Test
    void putAndGetOfSixteenByteKeysAndHundredByteValues() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("ferrite.perf"), "perf probe is opt-in: -Dferrite.perf=true");
        int n = Integer.getInteger("ferrite.perf.entries", 200_000);
        Path path = Path.of("/dev/shm", "ferrite-store-perf-" + ProcessHandle.current().pid() + ".pool");
        Files.deleteIfExists(path);
        HeapOptions ho = HeapOptions.defaults().checkpointInterval(Duration.ofSeconds(1));
        try (Store s = Store.create(path, Math.max(64L << 20, n * 900L), new Store.Context().heapOptions(ho))) {
            PersistentMap<byte[], byte[]> m = s.map("bench", byte[].class, byte[].class);
            Random rnd = new Random(1);
            byte[][] keys = new byte[n][16];
            byte[] v = new byte[100];
            rnd.nextBytes(v);
            for (byte[] k : keys) {
                rnd.nextBytes(k);
            }
            long tb = System.nanoTime();
            for (int from = 0; from < n; from += 1000) {
                int start = from;
                s.inTransaction(tx -> {
                    for (int i = start; i < Math.min(n, start + 1000); i++) {
                        m.set(keys[i], v);
                    }
                });
            }
            System.out.printf("store perf: bulk load in transactions of 1,000: %.0f ns/entry, %d buckets for %d entries%n",
                    (System.nanoTime() - tb) / (double) n, m.bucketCount(), m.size());
            for (int round = 0; round < 3; round++) {
                long t0 = System.nanoTime();
                for (byte[] k : keys) {
                    m.set(k, v);
                }
                long t1 = System.nanoTime();
                long sink = 0;
                for (int r = 0; r < 3; r++) {
                    for (byte[] k : keys) {
                        sink += m.get(k).length;
                    }
                }
                long t2 = System.nanoTime();
                System.out.printf("store perf round %d: set %.0f ns/op, get %.0f ns/op (%d entries, sink %d)%n", round,
                        (t1 - t0) / (double) n, (t2 - t1) / (3.0 * n), m.size(), sink);
            }
            assertArrayEquals(v, m.get(keys[7]));
            long ti = System.nanoTime();
            for (int i = 0; i < n; i++) {
                byte[] k = keys[i].clone();
                k[0] ^= 0x55;
                k[15] ^= 0x2a;
                m.set(k, v);
            }
            System.out.printf("store perf: warm inserts of new keys (with splits) %.0f ns/op, %d entries%n",
                    (System.nanoTime() - ti) / (double) n, m.size());
            // the floor: the same commit done directly on the heap (new entry blob, relink, free the old)
            io.ferrite.pheap.Heap heap = s.heap();
            io.ferrite.pheap.Ref node;
            try (io.ferrite.pheap.Tx tx = heap.begin()) {
                node = tx.allocate(StoreTypes.HNODE);
                tx.setRef(node, StoreTypes.HNODE_ENTRY, tx.allocateBytes(EntryDescriptor.build(keys[0], v)));
                tx.commit();
            }
            for (int round = 0; round < 2; round++) {
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    try (io.ferrite.pheap.Tx tx = heap.begin()) {
                        io.ferrite.pheap.Ref old = tx.getRef(node, StoreTypes.HNODE_ENTRY);
                        tx.setRef(node, StoreTypes.HNODE_ENTRY, tx.allocateBytes(EntryDescriptor.build(keys[i], v)));
                        tx.free(old);
                        tx.commit();
                    }
                }
                System.out.printf("store perf: the same commit on the bare heap %.0f ns/op%n", (System.nanoTime() - t0) / (double) n);
            }
            long t0 = System.nanoTime();
            io.ferrite.pheap.Ref prev = node;
            for (int i = 0; i < n; i++) {
                try (io.ferrite.pheap.Tx tx = heap.begin()) {
                    io.ferrite.pheap.Ref x = tx.allocate(StoreTypes.HNODE);
                    tx.setLong(x, StoreTypes.HNODE_HASH, i);
                    tx.setRef(x, StoreTypes.HNODE_ENTRY, tx.allocateBytes(EntryDescriptor.build(keys[i], v)));
                    tx.setRef(x, StoreTypes.HNODE_NEXT, prev);
                    tx.commit();
                    prev = x;
                }
            }
            System.out.printf("store perf: inserting a node and entry on the bare heap %.0f ns/op%n", (System.nanoTime() - t0) / (double) n);
        } finally {
            Files.deleteIfExists(path);
            Files.deleteIfExists(Path.of(path + ".lock"));
        }
    }
}
