package io.ferrite.testsupport;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Child JVMs for kill tests: the same java and class path as the test JVM, native access enabled
 * (the media layer maps files through the FFM API). The test kills the child by pid in a finally
 * with {@link #kill}.
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    /** The java of the running JVM. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** {@code java --enable-native-access=ALL-UNNAMED JVMARGS -cp CP MAIN ARGS} for the test's class path. */
    public static List<String> command(List<String> jvmArgs, Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * SIGKILL (on Linux) to the child and its descendants, by pid, then waits up to 30 s for it;
     * returns whether it ended. Safe to call on a child that has ended already.
     */
    public static boolean kill(Process child) throws InterruptedException {
        child.descendants().forEach(ProcessHandle::destroyForcibly);
        child.destroyForcibly();
        return child.waitFor(30, TimeUnit.SECONDS);
    }
}
