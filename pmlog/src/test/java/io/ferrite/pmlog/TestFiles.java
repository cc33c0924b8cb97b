package io.ferrite.pmlog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A temporary directory on /dev/shm (tmpfs: emulated persistent memory), deleted by {@link #close()}. */
public final class TestFiles implements AutoCloseable {
    public final Path dir;

    public TestFiles() {
        try {
            Path shm = Path.of("/dev/shm");
            dir = Files.createTempDirectory(Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir")),
                    "ferrite-pmlog-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    @Override
    public void close() {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deterministic payload of {@code len} bytes for (stream, seq); byte 0..7 hold stream and seq. */
    public static byte[] payload(int stream, int seq, int len) {
        byte[] b = new byte[len];
        long x = (stream * 0x9E3779B97F4A7C15L) ^ (seq * 0xC2B2AE3D27D4EB4FL) ^ len;
        for (int i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte) x;
        }
        for (int i = 0; i < Math.min(4, len); i++) {
            b[i] = (byte) (stream >>> (8 * i));
        }
        for (int i = 4; i < Math.min(8, len); i++) {
            b[i] = (byte) (seq >>> (8 * (i - 4)));
        }
        return b;
    }
}
