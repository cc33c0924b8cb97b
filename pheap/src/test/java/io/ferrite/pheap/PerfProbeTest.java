package io.ferrite.pheap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

@EnabledIfSystemProperty(named = "ferrite.perf", matches = "true")
class PerfProbeTest {
    static final PType NODE = PType.builder("Node").int64("key").int64("value").pointer("next", "Node").bytes("pad", 40).build();
    static final PType ROOT = PType.builder("Root").pointer("head", "Node").build();

    @Test
    void commitThroughput() throws Exception {
        try (Pools p = new Pools("perf")) {
            try (Heap h = Heap.create(p.path, 512L << 20, HeapOptions.defaults())) {
                Ref root = h.root(ROOT);
                PField key = NODE.field("key");
                PField value = NODE.field("value");
                PField next = NODE.field("next");
                PField head = ROOT.field("head");
                for (int rep = 0; rep < 6; rep++) {
                    int threads = 1 + rep % 2;
                    {
                        int n = Integer.getInteger("ferrite.perf.ops", 1_000_000);
                        Thread[] ts = new Thread[threads];
                        long t0 = System.nanoTime();
                        for (int t = 0; t < threads; t++) {
                            ts[t] = new Thread(() -> {
                                for (int i = 0; i < n; i++) {
                                    try (Tx tx = h.begin()) {
                                        Ref r = tx.allocate(NODE);
                                        tx.setLong(r, key, i);
                                        tx.setLong(r, value, i);
                                        tx.commit();
                                    }
                                }
                            });
                            ts[t].start();
                        }
                        for (Thread t : ts) {
                            t.join();
                        }
                        long dt = System.nanoTime() - t0;
                        System.out.printf("threads=%d: %.0f ops/s (%.0f ns/op)%n", threads, threads * n * 1e9 / dt, dt / (double) (threads * n));
                        try (Tx tx = h.begin()) {
                            tx.setRef(root, head, null);
                            tx.commit();
                        }
                    }
                }
                System.out.println(h.stats());
            }
        }
    }

    @Test
    void openWithTenMillionObjects() {
        int n = Integer.getInteger("ferrite.perf.objects", 10_000_000);
        try (Pools p = new Pools("perf-open")) {
            long t0 = System.nanoTime();
            try (Heap h = Heap.create(p.path, 1L << 30, HeapOptions.defaults())) {
                PField key = NODE.field("key");
                int batch = 1000;
                for (int i = 0; i < n; i += batch) {
                    try (Tx tx = h.begin(Durability.ASYNC)) {
                        for (int j = 0; j < batch; j++) {
                            tx.setLong(tx.allocate(NODE), key, i + j);
                        }
                        tx.commit();
                    }
                }
                System.out.printf("filled %,d objects in %.1f s; %s%n", n, (System.nanoTime() - t0) / 1e9, h.stats());
            }
            for (int round = 0; round < 5; round++) {
                long t1 = System.nanoTime();
                Heap h = Heap.open(p.path, HeapOptions.defaults());
                long t2 = System.nanoTime();
                System.out.printf("open: %.2f ms, %s%n", (t2 - t1) / 1e6, h.recoveryReport());
                h.close();
            }
        }
    }

    @Test
    void logAppendAlone() {
        try (Pools p = new Pools("perf-log")) {
            try (Heap h = Heap.create(p.path, 512L << 20, HeapOptions.defaults())) {
                for (int round = 0; round < 6; round++) {
                    int threads = 1 + round % 2;
                    int n = 1_000_000;
                    Thread[] ts = new Thread[threads];
                    long t0 = System.nanoTime();
                    for (int t = 0; t < threads; t++) {
                        ts[t] = new Thread(() -> {
                            java.lang.foreign.MemorySegment rec = java.lang.foreign.Arena.ofAuto().allocate(120, 8);
                            for (int i = 0; i < n; i++) {
                                h.log().append(rec, (short) 9);
                                if ((i & 4095) == 0) {
                                    synchronized (h) {
                                        h.log().reclaim(h.log().durableLsn());
                                    }
                                }
                            }
                        });
                        ts[t].start();
                    }
                    for (Thread t : ts) {
                        try {
                            t.join();
                        } catch (InterruptedException e) {
                            throw new RuntimeException(e);
                        }
                    }
                    long dt = System.nanoTime() - t0;
                    System.out.printf("log append SYNC 120 B, %d threads: %.0f appends/s%n", threads, threads * n * 1e9 / dt);
                }
            }
        }
    }
}
