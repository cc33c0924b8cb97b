package io.ferrite.replicator.wire;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Generates PKCS12 key stores with the JDK's keytool, a child process the caller waits for (killed on timeout). */
final class Keytool {
    private Keytool() {
    }

    static Path keyPair(Path store, String password) throws IOException, InterruptedException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", "node", "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=ferrite-test", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", store.toString(), "-storepass", password, "-keypass", password))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new IOException("keytool (pid " + p.pid() + ") did not finish within 60 s");
            }
            if (p.exitValue() != 0) {
                throw new IOException("keytool exited with " + p.exitValue() + " making " + store);
            }
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
        }
        return store;
    }
}
