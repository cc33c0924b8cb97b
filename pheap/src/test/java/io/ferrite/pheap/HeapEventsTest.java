package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

class HeapEventsTest {
    @Test
    void commitCheckpointAndRecoveryEventsAreRecorded() throws Exception {
        Path jfr = Files.createTempFile("ferrite-heap", ".jfr");
        try (Pools p = new Pools("jfr")) {
            try (Recording rec = new Recording()) {
                rec.enable("io.ferrite.heap.Commit").withoutThreshold();
                rec.enable("io.ferrite.heap.Checkpoint");
                rec.enable("io.ferrite.heap.Recovery");
                rec.start();
                try (Heap h = p.create()) {
                    try (Tx tx = h.begin()) {
                        tx.setLong(tx.allocate(HeapTest.NODE), HeapTest.KEY, 1);
                        tx.commit();
                    }
                    h.checkpoint();
                    h.crashForTesting();
                }
                p.open().close();
                rec.stop();
                rec.dump(jfr);
            }
            List<RecordedEvent> events = RecordingFile.readAllEvents(jfr);
            RecordedEvent commit = events.stream().filter(e -> e.getEventType().getName().equals("io.ferrite.heap.Commit")
                    && "SYNC".equals(e.getString("durability")) && e.getInt("operations") >= 2).findFirst().orElseThrow();
            assertTrue(commit.getLong("bytes") > 0);
            assertTrue(events.stream().anyMatch(e -> e.getEventType().getName().equals("io.ferrite.heap.Checkpoint")
                    && "on demand".equals(e.getString("reason"))));
            RecordedEvent recovery = events.stream().filter(e -> e.getEventType().getName().equals("io.ferrite.heap.Recovery")
                    && !e.getBoolean("cleanClose")).findFirst().orElseThrow();
            assertEquals(p.path.toString(), recovery.getString("pool"));
        } finally {
            Files.deleteIfExists(jfr);
        }
    }

    @Test
    void aRelocatingOpenRecordsTheSwizzleEvent() throws Exception {
        Path jfr = Files.createTempFile("ferrite-heap-swizzle", ".jfr");
        try (Pools p = new Pools("jfr-swizzle")) {
            try (Heap h = p.create()) {
                try (Tx tx = h.begin()) {
                    Ref n = tx.allocate(HeapTest.NODE);
                    tx.setRef(n, HeapTest.NODE.field("next"), n);
                    tx.commit();
                }
            }
            try (Recording rec = new Recording()) {
                rec.enable("io.ferrite.Swizzle");
                rec.start();
                try (Heap h = Heap.open(p.path, Pools.options().forceRelocation(true).swizzleParallelism(2))) {
                    assertTrue(h.recoveryReport().relocated(), h.recoveryReport().toString());
                    assertTrue(h.recoveryReport().toString().contains("swizzle 0x"), h.recoveryReport().toString());
                    assertTrue(h.recoveryReport().swizzleTime().toNanos() > 0);
                }
                rec.stop();
                rec.dump(jfr);
            }
            RecordedEvent swizzle = RecordingFile.readAllEvents(jfr).stream()
                    .filter(e -> e.getEventType().getName().equals("io.ferrite.Swizzle")).findFirst().orElseThrow();
            assertEquals(p.path.toString(), swizzle.getString("pool"));
            assertTrue(swizzle.getLong("pointers") >= 1 && swizzle.getLong("objects") >= 1);
        } finally {
            Files.deleteIfExists(jfr);
        }
    }
}
