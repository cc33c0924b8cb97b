package io.ferrite.pheap;

import io.ferrite.media.Media;
import io.ferrite.pheap.format.Superblock;
import io.ferrite.pmlog.PmLog;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The checkpoints of one heap: writes back every line applied since the previous checkpoint,
 * persists the checkpoint LSN in the alternate superblock, and reclaims the log before it (held
 * back by the {@link RetentionFloor}); plus the background thread that checkpoints periodically
 * and when the log is half full, and the checkpoint a full log asks for.
 *
 * <p>Threading: {@link #checkpoint} runs on any thread (on demand, the background thread, a
 * committer whose append found the log full, close), serialized by the heap's checkpoint lock,
 * which superblock writers of other jobs (term, swizzle base) also take. Durability: the lines
 * are flushed and fenced before the superblock names the new checkpoint LSN, and the superblock
 * is persisted before the log is reclaimed; the checkpoint LSN never passes a record that is not
 * applied yet (a commit in flight, a pending ASYNC record).
 */
final class Checkpointer {
    private static final System.Logger LOG = System.getLogger("io.ferrite.pheap");

    private final Heap heap;
    private final PmLog log;
    private final Media media;
    private final DirtyLineSet dirty;
    private final List<ThreadCtx> contexts;
    private final Object checkpointLock;
    private final String poolName;
    private final Duration interval;
    private final RetentionFloor retentionFloor;
    private final AtomicLong checkpoints = new AtomicLong();
    private Thread thread;
    private volatile boolean stopping;
    private volatile boolean checkpointWanted;

    Checkpointer(Heap heap, PmLog log, Media media, DirtyLineSet dirty, List<ThreadCtx> contexts, Object checkpointLock,
            String poolName, HeapOptions options) {
        this.heap = heap;
        this.log = log;
        this.media = media;
        this.dirty = dirty;
        this.contexts = contexts;
        this.checkpointLock = checkpointLock;
        this.poolName = poolName;
        this.interval = options.checkpointInterval();
        this.retentionFloor = options.retentionFloor();
    }

    /** Checkpoints taken so far. */
    long count() {
        return checkpoints.get();
    }

    long checkpoint(String reason) {
        synchronized (checkpointLock) {
            HeapEvents.Checkpoint ev = new HeapEvents.Checkpoint();
            ev.begin();
            heap.commitPath().applyPendingAsync();
            heap.reapDeadThreads();
            long cp = log.durableLsn();
            for (ThreadCtx c : contexts) {
                // inflight first: an ASYNC commit sets pendingLsn before it clears inflight
                cp = Math.min(cp, c.inflight);
                cp = Math.min(cp, c.pendingLsn);
            }
            Superblock s = heap.superblock();
            cp = Math.max(cp, s.checkpointLsn());
            long lines = flushDirty();
            if (cp != s.checkpointLsn()) {
                heap.writeSuperblock(s.next(cp, false));
            }
            // even at an unchanged checkpoint LSN: the head may lag it (a crash between the two
            // persists); a no-op when the head is there already
            log.reclaim(reclaimBound(cp));
            checkpoints.incrementAndGet();
            if (ev.shouldCommit()) {
                ev.lsn = cp;
                ev.lines = lines;
                ev.reason = reason;
                ev.commit();
            }
            return cp;
        }
    }

    long flushDirty() {
        long lines = dirty.drain(media::flush);
        media.fence();
        return lines;
    }

    void onLogFull() {
        if (!heap.isClosed()) {
            checkpoint("log full");
        }
    }

    void maybeWake() {
        Thread t = thread;
        if (t != null && !checkpointWanted) {
            long used = log.tailLsn() - log.headLsn();
            if (used > log.capacity() / 2) {
                checkpointWanted = true;
                LockSupport.unpark(t);
            }
        }
    }

    void start() {
        Duration every = interval;
        if (every.isZero()) {
            return;
        }
        Thread t = new Thread(() -> {
            long periodNanos = every.toNanos();
            long next = System.nanoTime() + periodNanos;
            while (!stopping) {
                long wait = next - System.nanoTime();
                if (wait > 0 && !checkpointWanted) {
                    LockSupport.parkNanos(this, Math.min(wait, 1_000_000_000L));
                    continue;
                }
                if (stopping) {
                    break;
                }
                try {
                    checkpoint(checkpointWanted ? "log half full" : "periodic");
                } catch (RuntimeException e) {
                    if (!stopping) {
                        LOG.log(System.Logger.Level.WARNING, "background checkpoint of " + poolName + " failed", e);
                    }
                }
                checkpointWanted = false;
                next = System.nanoTime() + periodNanos;
            }
        }, "ferrite-checkpoint " + (media.path() == null ? heap.superblock().poolId() : media.path().getFileName()));
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    void stop() {
        Thread t = thread;
        thread = null;
        if (t != null) {
            stopping = true;
            LockSupport.unpark(t);
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** What the log may be reclaimed up to: {@code cp}, held back by the retention floor. */
    long reclaimBound(long cp) {
        RetentionFloor f = retentionFloor;
        return f == null ? cp : Math.min(cp, f.floorLsn());
    }
}
