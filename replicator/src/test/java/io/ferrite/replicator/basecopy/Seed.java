package io.ferrite.replicator.basecopy;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.HeapOptions;
import io.ferrite.pheap.PField;
import io.ferrite.pheap.PType;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import io.ferrite.replicator.primary.Shipper;
import io.ferrite.replicator.primary.Slots;
import io.ferrite.replicator.replica.ReplicaServer;
import io.ferrite.replicator.wire.SharedSecret;
import io.ferrite.replicator.wire.Transport;
import io.ferrite.testsupport.TempPools;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * What the base copy tests share: a primary pool whose root holds {@link #BUCKETS} chains of
 * records, a random transaction over it, its content read back through the heap's read API, and
 * the configurations of the replica, the shipper and the base copy.
 */
final class Seed {
    static final int BUCKETS = 8;
    static final PType ITEM = PType.builder("BcItem").int64("id").int64("payload").bytes("pad", 200).pointer("next", "BcItem").build();
    static final PType ROOT;
    static final SharedSecret SECRET = SharedSecret.of("base-copy-test-secret".getBytes(StandardCharsets.UTF_8));
    static final int MAX_FRAME = 1 << 20;
    static final int CHUNK = 64 * 1024;
    static final long POOL_SIZE = 8L << 20;

    static {
        PType.Builder b = PType.builder("BcRoot").int64("ids");
        for (int i = 0; i < BUCKETS; i++) {
            b.pointer("bucket" + i, "BcItem");
        }
        ROOT = b.build();
    }

    private Seed() {
    }

    /** A primary with its slots and holds, a path for its replica, and the random source of the workload; deletes both pools. */
    record Rig(Path pool, Path replicaPool, Random rnd, Slots slots, BaseCopyHolds holds, Heap primary) implements AutoCloseable {
        /** A primary pool after {@code steps} random transactions. */
        static Rig of(String prefix, long seed, int steps) {
            Path pool = TempPools.fresh(prefix, "primary");
            Path replicaPool = TempPools.fresh(prefix, "replica");
            Slots slots = new Slots();
            BaseCopyHolds holds = new BaseCopyHolds();
            Rig r = new Rig(pool, replicaPool, new Random(seed), slots, holds, Seed.primary(pool, slots, holds));
            for (int i = 0; i < steps; i++) {
                step(r.primary, r.rnd);
            }
            return r;
        }

        BaseCopySource source() {
            return Seed.source(primary, holds);
        }

        @Override
        public void close() {
            try {
                primary.close();
            } finally {
                TempPools.delete(pool);
                TempPools.delete(replicaPool);
            }
        }
    }

    static HeapOptions options() {
        return HeapOptions.defaults().slabSize(16 * 1024).logCapacity(1 << 20);
    }

    /** A primary whose log is held by its slots and by the base copy holds. */
    static Heap primary(Path pool, Slots slots, BaseCopyHolds holds) {
        return Heap.create(pool, POOL_SIZE, options().retentionFloor(() -> Math.min(slots.floorLsn(), holds.floorLsn())));
    }

    static BaseCopySource source(Heap primary, BaseCopyHolds holds) {
        return new BaseCopySource(primary, holds, new BaseCopySource.Config(CHUNK, primary.logCapacity() / 2, 60_000));
    }

    static ReplicaServer.Config replica(Path pool, int port) {
        return new ReplicaServer.Config(pool, InetAddress.getLoopbackAddress(), port, "r1", SECRET, Transport.plain(), MAX_FRAME,
                5_000, 0);
    }

    static Shipper shipper(Heap primary, Slots slots, int port, BaseCopySource source) {
        return shipper(primary, slots, port, source, 50);
    }

    static Shipper shipper(Heap primary, Slots slots, int port, BaseCopySource source, int retryMillis) {
        return new Shipper(primary, slots, new Shipper.Config("r1", "127.0.0.1", port, "p1", SECRET, Transport.plain(), MAX_FRAME,
                5_000, 200, retryMillis)).baseCopy(source);
    }

    /** One transaction: prepend a new item to a bucket (60%), change an item's payload, or unlink and free a bucket's first item. */
    static void step(Heap h, Random rnd) {
        try (Tx tx = h.begin()) {
            Ref root = tx.root(ROOT);
            PField bucket = ROOT.field("bucket" + rnd.nextInt(BUCKETS));
            Ref first = tx.getRef(root, bucket);
            int op = rnd.nextInt(10);
            if (first == null || op < 6) {
                long id = tx.getLong(root, ROOT.field("ids")) + 1;
                Ref item = tx.allocate(ITEM);
                tx.setLong(item, ITEM.field("id"), id);
                tx.setLong(item, ITEM.field("payload"), rnd.nextLong());
                tx.setRef(item, ITEM.field("next"), first);
                tx.setRef(root, bucket, item);
                tx.setLong(root, ROOT.field("ids"), id);
            } else if (op < 8) {
                tx.setLong(first, ITEM.field("payload"), rnd.nextLong());
            } else {
                tx.setRef(root, bucket, tx.getRef(first, ITEM.field("next")));
                tx.free(first);
            }
            tx.commit();
        }
    }

    /** Every bucket's items as (id, payload), through the heap's direct reads (bounded). */
    static List<Long> content(Heap h) {
        Ref root = h.root(ROOT);
        List<Long> out = new ArrayList<>();
        out.add(h.getLong(root, ROOT.field("ids")));
        for (int i = 0; i < BUCKETS; i++) {
            out.add(-1L - i);
            for (Ref n = h.getRef(root, ROOT.field("bucket" + i)); n != null && out.size() < 4_000_000; n = h.getRef(n, ITEM.field("next"))) {
                out.add(h.getLong(n, ITEM.field("id")));
                out.add(h.getLong(n, ITEM.field("payload")));
            }
        }
        return out;
    }

    static int items(List<Long> content) {
        return (content.size() - 1 - BUCKETS) / 2;
    }

    static void awaitCatchUp(Heap primary, ReplicaServer replica) throws InterruptedException {
        io.ferrite.replicator.loopback.LoopbackReplicationTest.awaitCatchUp(primary, replica);
    }
}
