package io.ferrite.swizzle;

import java.util.Random;

/** Assertions shared by the swizzle tests. */
final class Checks {
    static final long PAGE = RecordedBaseDescriptor.BASE_ALIGNMENT;

    /** Thousands of swizzles per test run: keep their log lines out of the test output. */
    private static final java.util.logging.Logger QUIET = java.util.logging.Logger.getLogger("io.ferrite.swizzle");

    static {
        QUIET.setLevel(java.util.logging.Level.SEVERE);
    }

    private Checks() {
    }

    /** Every slab at the view's base, the pool base too, the graph equal to {@code expected}, verification clean. */
    static void assertIntact(TestPool p, long[] expected, String context) {
        long base = p.base();
        for (int s = 0; s < p.slabCount(); s++) {
            if (p.slabType(s) >= 0 && p.recordedBase(s) != RecordedBaseDescriptor.at(base)) {
                throw new AssertionError(context + ": slab " + s + " is " + RecordedBaseDescriptor.describe(p.recordedBase(s))
                        + String.format(", expected AT(0x%x)", base));
            }
        }
        if (p.poolBase() != base) {
            throw new AssertionError(String.format("%s: pool base 0x%x, expected 0x%x", context, p.poolBase(), base));
        }
        long[] actual;
        try {
            actual = p.logical();
        } catch (AssertionError e) {
            throw new AssertionError(context + ": " + e.getMessage(), e);
        }
        if (!java.util.Arrays.equals(expected, actual)) {
            int i = (int) java.util.Arrays.mismatch(expected, actual);
            throw new AssertionError(String.format("%s: logical graph differs at element %d: expected %s, got %s "
                    + "(lengths %d, %d)", context, i, i < expected.length ? Long.toHexString(expected[i]) : "-",
                    i < actual.length ? Long.toHexString(actual[i]) : "-", expected.length, actual.length));
        }
        VerifyReport r = PointerVerifier.verify(p);
        if (!r.isClean()) {
            throw new AssertionError(context + ": verification: " + r + ": " + r.problems().subList(0,
                    Math.min(5, r.problems().size())));
        }
    }

    /**
     * A page-aligned base relative to {@code old} for a pool of {@code size} bytes: overlapping
     * the old range (both directions), far away, adjacent, or equal.
     */
    static long pickBase(Random rnd, long old, long size) {
        long pages = Math.max(1, size / PAGE);
        long b = switch (rnd.nextInt(8)) {
            case 0, 1, 2 -> old + (1 + (long) rnd.nextInt((int) Math.max(1, pages - 1))) * PAGE;  // overlap above
            case 3, 4 -> old - (1 + (long) rnd.nextInt((int) Math.max(1, pages - 1))) * PAGE;     // overlap below
            case 5 -> old + (pages + rnd.nextInt(1 << 20)) * PAGE;                                   // disjoint
            case 6 -> old - (pages + rnd.nextInt(1 << 10)) * PAGE;                                   // disjoint below
            default -> rnd.nextBoolean() ? old : old + pages * PAGE;                               // same / adjacent
        };
        return b > (1L << 30) ? b : (1L << 36) + b;
    }

    static long randomBase(Random rnd) {
        return ((1L << 36) + rnd.nextLong(1L << 34)) & RecordedBaseDescriptor.BASE_MASK;
    }

    static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
