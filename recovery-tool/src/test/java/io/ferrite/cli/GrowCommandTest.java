package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.pheap.Heap;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code ferrite info} shows size, maximum and used; {@code ferrite grow POOL --to SIZE} grows an offline pool. */
class GrowCommandTest {
    @Test
    void infoShowsSizeMaximumAndUsedAndGrowGrowsAnOfflinePool() throws Exception {
        Path p = TestPools.fresh("grow");
        int checks = 0;
        try {
            try (Heap h = Heap.create(p, 4L << 20, TestPools.options().maxSize(64L << 20))) {
                TestPools.fill(h, 3);
            }
            TestPools.Run info = TestPools.run("info", p.toString());
            assertEquals(0, info.exit(), info.toString());
            assertTrue(info.out().contains("size 4,194,304 bytes, maximum 67,108,864 (grows on its own"), info.out());
            assertTrue(info.out().contains("used "), info.out());
            checks++;
            TestPools.Run grow = TestPools.run("grow", p.toString(), "--to", "16M");
            assertEquals(0, grow.exit(), grow.toString());
            assertTrue(grow.out().contains("grew from 4,194,304 to 16,777,216 bytes"), grow.out());
            assertEquals(16L << 20, Files.size(p), "the file is the new size");
            checks++;
            TestPools.Run json = TestPools.run("info", "--json", p.toString());
            assertTrue(json.out().contains("\"size\": 16777216"), json.out());
            assertTrue(json.out().contains("\"maxSize\": 67108864"), json.out());
            assertTrue(json.out().contains("\"used\": "), json.out());
            checks++;
            TestPools.Run again = TestPools.run("grow", p.toString(), "--to", "8M");
            assertEquals(0, again.exit(), again.toString());
            assertTrue(again.out().contains("already"), again.out());
            checks++;
            TestPools.Run beyond = TestPools.run("grow", p.toString(), "--to", "1G");
            assertEquals(Ferrite.EXIT_USAGE, beyond.exit(), beyond.toString());
            assertTrue(beyond.err().contains("maximum is") && beyond.err().contains(p.toString()), beyond.err());
            assertTrue(!beyond.err().contains("\tat "), "no stack trace: " + beyond.err());
            checks++;
            TestPools.Run bad = TestPools.run("grow", p.toString(), "--to", "lots");
            assertEquals(Ferrite.EXIT_USAGE, bad.exit(), bad.toString());
            assertTrue(bad.err().contains("is not a size"), bad.err());
            checks++;
            TestPools.Run check = TestPools.run("check", p.toString());
            assertEquals(0, check.exit(), check.toString());
            checks++;
        } finally {
            TestPools.delete(p);
        }
        Path fixed = TestPools.bank("grow-fixed", 2);
        try {
            TestPools.Run info = TestPools.run("info", fixed.toString());
            assertTrue(info.out().contains("(fixed)"), info.out());
            TestPools.Run grow = TestPools.run("grow", fixed.toString(), "--to", "8M");
            assertEquals(Ferrite.EXIT_USAGE, grow.exit(), grow.toString());
            assertTrue(grow.err().contains("cannot grow"), grow.err());
            checks += 2;
        } finally {
            TestPools.delete(fixed);
        }
        System.out.println("ferrite info/grow: " + checks + " checks");
    }
}
