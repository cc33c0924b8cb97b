package io.ferrite.pheap;

import java.time.Duration;

/**
 * What opening a pool did: whether it had been closed cleanly, which log range was replayed, how
 * many redo records and bytes, how long recovery took, how many objects are live.
 */
public record RecoveryReport(
        boolean cleanClose,
        long fromLsn,
        long toLsn,
        long recordsReplayed,
        long bytesReplayed,
        long liveObjects,
        Duration replayTime,
        Duration totalTime) {

    @Override
    public String toString() {
        return String.format("recovery: %s, replayed %,d records (%,d bytes) from LSN %d to %d in %.3f ms,"
                + " %,d live objects, open took %.3f ms", cleanClose ? "clean close" : "after a crash",
                recordsReplayed, bytesReplayed, fromLsn, toLsn, replayTime.toNanos() / 1e6, liveObjects,
                totalTime.toNanos() / 1e6);
    }
}
