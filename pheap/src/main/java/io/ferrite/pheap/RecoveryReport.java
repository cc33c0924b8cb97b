package io.ferrite.pheap;

import io.ferrite.swizzle.SwizzleReport;
import java.time.Duration;

/**
 * What opening a pool did: whether it had been closed cleanly, which log range was replayed, how
 * many redo records and bytes, how long recovery took, how many objects are live, and what the
 * swizzle did when the pool was mapped at another base than its pointers assumed.
 *
 * @param swizzle     the swizzle at open ({@link SwizzleReport#nothingToDo()} when the pool
 *                    mapped at its recorded base); objects, pointers, bytes, time and threads
 * @param swizzleTime wall time of the swizzle (zero when there was nothing to do)
 */
public record RecoveryReport(
        boolean cleanClose,
        long fromLsn,
        long toLsn,
        long recordsReplayed,
        long bytesReplayed,
        long liveObjects,
        Duration replayTime,
        Duration totalTime,
        SwizzleReport swizzle,
        Duration swizzleTime) {

    /** A report of an open that did not swizzle (kept for callers written before relocation). */
    public RecoveryReport(boolean cleanClose, long fromLsn, long toLsn, long recordsReplayed, long bytesReplayed,
            long liveObjects, Duration replayTime, Duration totalTime) {
        this(cleanClose, fromLsn, toLsn, recordsReplayed, bytesReplayed, liveObjects, replayTime, totalTime,
                new SwizzleReport(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), Duration.ZERO);
    }

    /** True when open rewrote pointers (the pool moved, or an interrupted swizzle was finished). */
    public boolean relocated() {
        return swizzle != null && !swizzle.nothingToDo();
    }

    @Override
    public String toString() {
        return String.format("recovery: %s, replayed %,d records (%,d bytes) from LSN %d to %d in %.3f ms,"
                + " %,d live objects, %s, open took %.3f ms", cleanClose ? "clean close" : "after a crash",
                recordsReplayed, bytesReplayed, fromLsn, toLsn, replayTime.toNanos() / 1e6, liveObjects,
                relocated() ? swizzle.toString() : "no relocation", totalTime.toNanos() / 1e6);
    }
}
