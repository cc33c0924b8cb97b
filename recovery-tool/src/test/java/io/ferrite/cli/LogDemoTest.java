package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LogDemoTest {
    @Test
    void demoRunsReadsEverythingBackAndCleansUp() throws IOException {
        Path dir = Files.createTempDirectory(TestPools.DIR, "ferrite-logdemo-test-");
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            boolean ok = LogDemo.run(dir, new PrintStream(bytes, true, StandardCharsets.UTF_8));
            String out = bytes.toString(StandardCharsets.UTF_8);
            assertTrue(ok, out);
            assertTrue(out.contains("recovered 40,000 records"), out);
            assertTrue(out.contains("every one byte-equal"), out);
            assertTrue(out.contains("backend"), out);
            try (var s = Files.list(dir)) {
                assertEquals(0, s.count(), "the demo leaves no file behind");
            }
        } finally {
            try (var s = Files.list(dir)) {
                for (Path f : s.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }
}
