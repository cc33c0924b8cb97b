package io.ferrite.swizzle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.media.Media;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

/** Every swizzle commits one JFR event carrying its report's numbers. */
class SwizzleEventTest {

    @Test
    void eventCarriesTheReport() throws Exception {
        Random rnd = new Random(5);
        long size = TestPool.sizeFor(4096, 32);
        long b0 = Checks.randomBase(rnd);
        Path dump = Files.createTempFile(Path.of(System.getProperty("java.io.tmpdir", "/dev/shm")), "ferrite-swizzle-", ".jfr");
        try (Media m = Media.inMemory(size); Recording rec = new Recording()) {
            TestPool.random(m, b0, 4096, 32, rnd);
            rec.enable("io.ferrite.Swizzle");
            rec.start();
            SwizzleReport r = Swizzler.swizzle(TestPool.attach(m, b0 + (1L << 32)), 2);
            rec.stop();
            rec.dump(dump);
            List<RecordedEvent> events = RecordingFile.readAllEvents(dump).stream()
                    .filter(e -> e.getEventType().getName().equals("io.ferrite.Swizzle")).toList();
            assertEquals(1, events.size(), events.toString());
            RecordedEvent e = events.get(0);
            assertTrue(r.pointers() > 0, r.toString());
            assertEquals(r.pointers(), e.getLong("pointers"));
            assertEquals(r.objects(), e.getLong("objects"));
            assertEquals(r.slabs(), e.getLong("slabs"));
            assertEquals(r.bytes(), e.getLong("bytes"));
            assertEquals(r.fences(), e.getLong("fences"));
            assertEquals(r.threads(), e.getInt("threads"));
            assertEquals(b0, e.getLong("fromBase"));
            assertEquals(b0 + (1L << 32), e.getLong("toBase"));
        } finally {
            Files.deleteIfExists(dump);
        }
    }
}
