package io.ferrite.pmlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class LogDemoTest {
    @Test
    void demoRunsReadsEverythingBackAndCleansUp() throws Exception {
        try (TestFiles files = new TestFiles()) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            boolean ok = LogDemo.run(files.dir, new PrintStream(bytes, true, StandardCharsets.UTF_8));
            String out = bytes.toString(StandardCharsets.UTF_8);
            assertTrue(ok, out);
            assertTrue(out.contains("recovered 40,000 records"), out);
            assertTrue(out.contains("every one byte-equal"), out);
            assertTrue(out.contains("backend"), out);
            try (var s = Files.list(files.dir)) {
                assertEquals(0, s.count(), "the demo leaves no file behind");
            }
        }
    }
}
