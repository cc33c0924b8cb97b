package io.ferrite.pheap;

/** A snapshot of heap usage and activity. */
public record HeapStats(long liveObjects, long slabsInUse, long freeSlabs, long totalSlabs, int slabSize, long commits,
        long checkpoints, long checkpointLsn, long durableLsn) {
}
