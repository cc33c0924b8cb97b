package io.ferrite.swizzle;

import java.util.List;

/**
 * What {@link PointerVerifier} found.
 *
 * @param problems       the problems, in slab order, at most the number asked for
 * @param problemCount   all problems found (may exceed {@code problems.size()})
 * @param slabs          slabs with pointers that were checked
 * @param objects        allocated objects checked
 * @param pointers       pointer words checked
 * @param nonNull        of those, non-null
 * @param slabsNotAtBase slabs whose pointers assume another base than the mapping's (normal on a
 *                       read-only mapping of a pool that moved; swizzling fixes it)
 */
public record VerifyReport(List<BadPointer> problems, long problemCount, long slabs, long objects, long pointers,
        long nonNull, long slabsNotAtBase) {

    public VerifyReport {
        problems = List.copyOf(problems);
    }

    public boolean isClean() {
        return problemCount == 0;
    }

    @Override
    public String toString() {
        return String.format("pointers: %,d checked (%,d non-null) in %,d objects of %,d slabs: %s%s", pointers, nonNull,
                objects, slabs, problemCount == 0 ? "clean" : problemCount + " problem" + (problemCount == 1 ? "" : "s"),
                slabsNotAtBase == 0 ? "" : String.format("; %,d slabs assume another base (not swizzled yet)", slabsNotAtBase));
    }
}
