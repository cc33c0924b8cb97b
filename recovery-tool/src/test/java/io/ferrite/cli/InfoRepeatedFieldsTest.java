package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code ferrite info} prints a run of repeated fields as one entry (a store's 256-pointer bucket page). */
class InfoRepeatedFieldsTest {
    @Test
    void aBucketPagePrintsAsOneRepeatedEntry() {
        StoreDumpGoldenTest.make();
        try {
            TestPools.Run r = TestPools.run("info", StoreDumpGoldenTest.a.toString());
            assertEquals(0, r.exit(), r.toString());
            String line = r.out().lines().filter(l -> l.contains("store.Bkt,")).findFirst().orElseThrow();
            assertTrue(line.contains("{b[0..255] pointer->store.HNode @0 (256 x 8 bytes)}"), line);
            assertFalse(r.out().contains("b17 "), "no single bucket field is printed");
            assertTrue(r.out().contains("store.Dent"), r.out());
            System.out.println("InfoRepeatedFieldsTest: " + r.out().lines().count() + " info lines, bucket page on one entry: " + line.strip());
        } finally {
            StoreDumpGoldenTest.remove();
        }
    }
}
