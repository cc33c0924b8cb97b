package io.ferrite.stress;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs jcstress (0.16's {@code org.openjdk.jcstress.Main}) over the tests of this module and exits
 * non-zero when any test failed (a FORBIDDEN outcome, or an outcome no {@code @Outcome} names) or
 * errored (an exception, a fork that crashed or hung). jcstress 0.16 signals failed tests by an
 * {@code AssertionError("TEST FAILURES: ...")} out of {@code Main.main} (its exception report
 * printer), but not every error; so this also reads the text report: the lines
 * {@code Failed tests: N matching test results} and {@code Error tests: N matching test results},
 * and the last progress line's counts, and prints one summary line either way.
 *
 * <p>Usage: {@code StressMain RESULT_DIR [jcstress options...]}. The forks get
 * {@code --enable-native-access=ALL-UNNAMED}. The tests use in-memory media only: nothing is
 * written outside RESULT_DIR.
 */
public final class StressMain {
    private static final Pattern SECTION = Pattern.compile("(Failed|Error) tests: (\\d+) matching");
    private static final Pattern PROGRESS = Pattern.compile(
            "Results: (\\d+) planned; (\\d+) passed, (\\d+) failed, (\\d+) soft errs, (\\d+) hard errs");

    private StressMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: StressMain RESULT_DIR [jcstress options...]");
            System.exit(2);
        }
        Path results = Path.of(args[0]);
        Files.createDirectories(results);
        List<String> jcs = new ArrayList<>();
        jcs.add("-r");
        jcs.add(results.toString());
        jcs.add("-jvmArgsPrepend");
        jcs.add("--enable-native-access=ALL-UNNAMED");
        for (int i = 1; i < args.length; i++) {
            // Maven passes an empty argument for an empty property; jcstress would refuse it.
            for (String a : args[i].trim().split("\\s+")) {
                if (!a.isEmpty()) {
                    jcs.add(a);
                }
            }
        }
        long start = System.nanoTime();
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        PrintStream out = System.out;
        System.setOut(new PrintStream(new Tee(out, copy), true, StandardCharsets.UTF_8));
        Throwable thrown = null;
        try {
            org.openjdk.jcstress.Main.main(jcs.toArray(String[]::new));
        } catch (Exception | AssertionError e) {
            thrown = e;
        } finally {
            System.out.flush();
            System.setOut(out);
        }
        String text = copy.toString(StandardCharsets.UTF_8);
        Files.writeString(results.resolve("console.txt"), text);
        long failed = 0;
        long errors = 0;
        boolean report = text.contains("RUN RESULTS:");
        Matcher m = SECTION.matcher(text);
        while (m.find()) {
            if (m.group(1).equals("Failed")) {
                failed = Long.parseLong(m.group(2));
            } else {
                errors = Long.parseLong(m.group(2));
            }
        }
        long planned = -1;
        long passed = -1;
        long progressFailed = 0;
        long hard = 0;
        Matcher p = PROGRESS.matcher(text);
        while (p.find()) {
            planned = Long.parseLong(p.group(1));
            passed = Long.parseLong(p.group(2));
            progressFailed = Long.parseLong(p.group(3));
            hard = Long.parseLong(p.group(5));
        }
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        System.out.printf("jcstress: %d planned, %d passed, %d failed, %d errors, %d hard errors in %d s;"
                + " report in %s%n", planned, passed, Math.max(failed, progressFailed), errors, hard, seconds,
                results.resolve("index.html"));
        if (thrown != null) {
            System.out.println("jcstress: " + thrown.toString().strip());
        }
        if (thrown != null || !report || passed <= 0 || failed > 0 || errors > 0 || progressFailed > 0 || hard > 0) {
            System.out.println("jcstress: FAILED (a FORBIDDEN or unknown outcome, or an error; see above and "
                    + results.resolve("index.html") + ")");
            System.exit(1);
        }
        System.exit(0);
    }

    /** Writes to the console and keeps a copy for the checks above. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }
}
