package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code ferrite demo} end to end, as its own JVM (which starts and SIGKILLs the service JVM). */
class DemoTest {
    @Test
    void demoRunsEndToEndAndLosesNothing() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(Path.of("/dev/shm"), "ferrite-demo-test");
        try {
            String java = ProcessHandle.current().info().command().orElseThrow();
            Process p = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    Ferrite.class.getName(), "demo", "--dir", dir.toString(), "--seconds", "1.5"))
                    .redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "demo took over 60 s");
            String s = new String(out, StandardCharsets.UTF_8);
            System.out.println(s);
            assertEquals(0, p.exitValue(), s);
            // part 1 is LogDemo (pmlog's API, driven by the CLI): it ran and did not report a failure
            assertTrue(s.contains("== Ferrite demo, part 1") && !s.contains("MISMATCH") && !s.contains("FAILED"), s);
            assertTrue(s.contains("crash: SIGKILL to the service mid-run"), s);
            assertTrue(s.contains("ferrite check (before recovery): exit 4"), s);
            assertTrue(s.contains("reopened: recovery: after a crash"), s);
            assertTrue(s.contains("ferrite check (after recovery): exit 0"), s);
            assertTrue(s.contains("every acknowledged transfer present: yes; every balance exact: yes; total 1,000,000,000: unchanged"), s);
            assertTrue(s.contains("Not built yet: replicas, the power-event drain and promotion"), s);
            assertTrue(s.contains("demo: OK"), s);
            try (var files = Files.list(dir)) {
                assertEquals(List.of(), files.filter(f -> !f.getFileName().toString().endsWith(".lock")).toList(), "demo left files behind");
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }
}
