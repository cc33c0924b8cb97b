package io.ferrite.pheap;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/** JFR events of the heap: commit, checkpoint, recovery. */
final class HeapEvents {
    private HeapEvents() {
    }

    @Name("io.ferrite.heap.Commit")
    @Label("Ferrite Commit")
    @Category({"Ferrite", "Heap"})
    @Description("One transaction commit: redo record appended, durable (SYNC) and applied;"
            + " by default only commits slower than 1 ms are recorded (millions a second otherwise)")
    @Threshold("1 ms")
    @StackTrace(false)
    static final class Commit extends Event {
        @Label("LSN")
        long lsn;
        @Label("Record Size")
        @DataAmount
        long bytes;
        @Label("Operations")
        int operations;
        @Label("Durability")
        String durability;
    }

    @Name("io.ferrite.heap.Checkpoint")
    @Label("Ferrite Checkpoint")
    @Category({"Ferrite", "Heap"})
    @Description("Dirty lines written back, checkpoint LSN persisted, log space reclaimed")
    static final class Checkpoint extends Event {
        @Label("Checkpoint LSN")
        long lsn;
        @Label("Lines Flushed")
        long lines;
        @Label("Reason")
        String reason;
    }

    @Name("io.ferrite.heap.Recovery")
    @Label("Ferrite Recovery")
    @Category({"Ferrite", "Heap"})
    @Description("Opening a pool: log replay from the checkpoint LSN and allocator rebuild")
    static final class Recovery extends Event {
        @Label("Pool")
        String pool;
        @Label("Records Replayed")
        long records;
        @Label("Bytes Replayed")
        @DataAmount
        long bytes;
        @Label("Clean Close")
        boolean cleanClose;
    }
}
