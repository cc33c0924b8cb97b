package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Golden outputs of {@code info --json} and {@code dump --json} on a fixed pool (TestPools.bank:
 * 3 accounts, made the same way every time: one thread, no background checkpoints), committed
 * under src/test/resources/golden, so that any change of the pool format or of the output shows
 * up as a reviewed diff.
 *
 * <p>What varies from run to run is masked before comparing: the pool's path (a random name),
 * its UUID, its creation time, the base address it was mapped at (a random hint), and the writer
 * backend (libpmem when installed, msync otherwise). Everything else (sequences, LSNs, offsets,
 * layouts, values) is deterministic and compared as is.
 *
 * <p>To accept a deliberate change: {@code ./mvnw -pl recovery-tool test -Dtest=GoldenTest
 * -Dferrite.golden.update=true}, then review {@code git diff src/test/resources/golden}.
 */
class GoldenTest {
    static final Path GOLDEN = Path.of("src/test/resources/golden");
    static Path pool;

    @BeforeAll
    static void make() {
        pool = TestPools.bank("golden", 3);
    }

    @AfterAll
    static void remove() {
        TestPools.delete(pool);
    }

    static String mask(String json) {
        return json.replaceAll("\"(pool|uuid|created|baseAddress|writerBackend)\": \"[^\"]*\"", "\"$1\": \"<masked>\"");
    }

    private static void golden(String name, String... args) throws IOException {
        TestPools.Run r = TestPools.run(args);
        assertEquals(0, r.exit(), r.toString());
        String got = mask(r.out());
        Path file = GOLDEN.resolve(name);
        if (Boolean.getBoolean("ferrite.golden.update")) {
            Files.createDirectories(GOLDEN);
            Files.writeString(file, got);
        }
        assertEquals(Files.readString(file), got, "output differs from " + file + " (see the class comment to accept a change)");
    }

    @Test
    void infoJson() throws IOException {
        golden("info.json", "info", "--json", pool.toString());
    }

    @Test
    void dumpJson() throws IOException {
        golden("dump.json", "dump", "--json", pool.toString());
    }

    @Test
    void dumpRootJson() throws IOException {
        golden("dump-root.json", "dump", "--root", "--depth", "2", "--json", pool.toString());
    }
}
