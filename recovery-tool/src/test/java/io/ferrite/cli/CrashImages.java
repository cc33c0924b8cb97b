package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the crash-image agreement tests share: concurrent workers, an image as a file, numbers from the tool's JSON. */
final class CrashImages {
    private CrashImages() {
    }

    /** A worker's body; {@code index} is the worker's number. */
    @FunctionalInterface
    interface Worker {
        void run(int index) throws Exception;
    }

    /** Runs {@code n} platform threads started together, waits for them (bounded); returns the first failure, or null. */
    static Throwable runTogether(String name, int n, Worker body) throws InterruptedException {
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            int index = t;
            threads.add(Thread.ofPlatform().name(name + "-" + t).start(() -> {
                try {
                    go.await();
                    body.run(index);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        go.countDown();
        for (Thread t : threads) {
            t.join(Duration.ofSeconds(120));
        }
        return failure.get();
    }

    /** Writes the image to {@code file} (created or truncated), so that the tool reads it as an operator would. */
    static void write(Path file, MemorySegment image) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(image.asByteBuffer());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first number the JSON text holds under {@code key}. */
    static long number(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*(\\d+)").matcher(json);
        assertTrue(m.find(), key + " not in " + json);
        return Long.parseLong(m.group(1));
    }

    /** The last string the JSON text holds under {@code key}, or "" if none. */
    static String lastString(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        String last = "";
        while (m.find()) {
            last = m.group(1);
        }
        return last;
    }
}
