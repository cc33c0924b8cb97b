package io.ferrite.swizzle;

/**
 * What one swizzle did.
 *
 * @param fromBase      the pool base P when the swizzle started
 * @param toBase        the base every pointer assumes now
 * @param slabs         slabs (or large-object runs) whose recorded-base word was rewritten
 * @param onePassSlabs  of those, slabs moved in one pass (SHIFT)
 * @param twoPassSlabs  of those, slabs moved through the tagged form (overlapping ranges, resumed crashes)
 * @param objects       allocated objects visited
 * @param pointers      pointer words rewritten
 * @param bytes         bytes of the visited objects
 * @param suspectWords  pointer words left as they were because they are no pointer in any form the
 *                      slab's state admits (garbage: {@link PointerVerifier} reports them)
 * @param fences        fences issued
 * @param nanos         wall time
 * @param threads       threads that rewrote slabs
 */
public record SwizzleReport(long fromBase, long toBase, long slabs, long onePassSlabs, long twoPassSlabs,
        long objects, long pointers, long bytes, long suspectWords, long fences, long nanos, int threads) {

    /** True when the pool already was at its base and nothing was rewritten. */
    public boolean nothingToDo() {
        return slabs == 0;
    }

    @Override
    public String toString() {
        if (slabs == 0 && fromBase == toBase) {
            return String.format("swizzle: pool already at 0x%x, nothing to do", toBase);
        }
        return String.format("swizzle 0x%x -> 0x%x: %,d slabs (%,d one-pass, %,d two-pass), %,d objects, "
                + "%,d pointers, %,d bytes, %,d suspect words, %,d fences in %.1f ms on %d thread%s",
                fromBase, toBase, slabs, onePassSlabs, twoPassSlabs, objects, pointers, bytes, suspectWords, fences,
                nanos / 1e6, threads, threads == 1 ? "" : "s");
    }
}
