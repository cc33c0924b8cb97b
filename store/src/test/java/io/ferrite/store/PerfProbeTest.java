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
        try (Store s = Store.create(path, Math.max(64L << 20, n * 700L), new Store.Context().heapOptions(ho))) {
            PersistentMap<byte[], byte[]> m = s.map("bench", byte[].class, byte[].class);
            Random rnd = new Random(1);
            byte[][] keys = new byte[n][16];
            byte[] v = new byte[100];
            rnd.nextBytes(v);
            for (byte[] k : keys) {
                rnd.nextBytes(k);
            }
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
        } finally {
            Files.deleteIfExists(path);
            Files.deleteIfExists(Path.of(path + ".lock"));
        }
    }
}
