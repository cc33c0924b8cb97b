package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.media.CrashSimMedia;
import io.ferrite.media.Media;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A checkpoint persists the superblock's checkpoint LSN, then the log's head. A power failure
 * between the two leaves a pool whose checkpoint LSN is ahead of its log head. When the log was
 * nearly full, the reopened pool must still reclaim that space: recovery replays nothing, so it
 * must not rely on replaying to reclaim, and a later checkpoint whose LSN equals the superblock's
 * must not skip the reclaim either; otherwise every commit that needs the space (and recovery's
 * own slab retirement) fails with LogFullException although all is durable and applied.
 */
class LogSpaceAfterCheckpointCrashTest {
    static final PType ITEM = PType.builder("LsItem").int64("n").bytes("pad", 1000).build();

    static HeapOptions options() {
        return HeapOptions.defaults().slabSize(16 * 1024).logCapacity(64 * 1024).checkpointInterval(Duration.ZERO)
                .logFullTimeout(Duration.ofMillis(500));
    }

    /** A seed whose image keeps only what is known persisted (CrashPoint.writeImage draws p = 0). */
    static long nothingMoreSeed() {
        for (long i = 1; i < 1000; i++) {
            long s = i * 0x9E3779B97F4A7C15L; // small seeds' first draws are alike
            if (new Random(s).nextInt(8) == 0) {
                return s;
            }
        }
        throw new AssertionError("no seed");
    }

    /** True when the fence being taken is the log's reclaim inside a checkpoint that a full log asked for. */
    static boolean atReclaimOfLogFullCheckpoint() {
        return StackWalker.getInstance().walk(f -> {
            List<String> names = f.map(x -> x.getClassName() + "." + x.getMethodName()).toList();
            return names.contains("io.ferrite.pmlog.PmLog.reclaim") && names.contains("io.ferrite.pheap.Heap.onLogFull");
        });
    }

    @Test
    void aPoolCrashedBetweenSuperblockAndLogReclaimCommitsAfterReopen() {
        long seed = nothingMoreSeed();
        try (CrashSimMedia media = CrashSimMedia.inMemory(3L << 20)) {
            Heap h = Heap.create(media, options());
            h.register(ITEM);
            Media[] image = new Media[1];
            media.onCrashPoint(cp -> {
                if (image[0] == null && atReclaimOfLogFullCheckpoint()) {
                    image[0] = cp.image(new Random(seed)); // the superblock persisted, the log head not yet
                }
            });
            // commit until a commit finds the log full and its checkpoint reclaims
            for (int n = 0; n < 10_000 && image[0] == null; n++) {
                try (Tx tx = h.begin()) {
                    Ref r = tx.allocate(ITEM);
                    tx.setLong(r, ITEM.field("n"), n);
                    tx.setBytes(r, ITEM.field("pad"), new byte[1000]);
                    tx.commit();
                }
            }
            media.onCrashPoint(null);
            h.crash();
            assertNotNull(image[0], "no checkpoint asked for by a full log");
            try (Media img = image[0]) {
                Heap r = Heap.open(img, options());
                try {
                    RecoveryReport rep = r.recoveryReport();
                    for (int i = 0; i < 80; i++) { // more than the log holds: its space must be reclaimed
                        try (Tx tx = r.begin()) {
                            Ref x = tx.allocate(ITEM);
                            tx.setBytes(x, ITEM.field("pad"), new byte[1000]);
                            tx.commit();
                        } catch (io.ferrite.pmlog.LogFullException e) {
                            throw new AssertionError("commit " + i + " after reopening (" + rep + ") found the log full although"
                                    + " everything in it is durable and applied: " + e.getMessage(), e);
                        }
                    }
                } finally {
                    r.crash();
                }
            }
        }
    }
}
