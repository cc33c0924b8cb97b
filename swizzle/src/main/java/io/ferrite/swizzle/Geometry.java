package io.ferrite.swizzle;

/** Checks that what a view says about a slab stays inside the pool, before any word is touched. */
final class Geometry {
    private Geometry() {
    }

    /** Null when slab {@code s} (a run head with type {@code type}) is sound, else what is wrong. */
    static String problem(SwizzleView v, int s, int type, PointerMap map) {
        long size = v.segment().byteSize();
        int count = v.slabCount();
        int span = v.slabSpan(s);
        if (span < 1 || span > count - s) {
            return "span " + span + " does not fit in " + count + " slabs";
        }
        long runStart = v.slabsOffset() + s * v.slabSize();
        long runEnd = runStart + span * v.slabSize();
        if (runStart < 0 || runEnd > size) {
            return String.format("run [%d, %d) is outside the pool of %d bytes", runStart, runEnd, size);
        }
        long word = v.recordedBaseOffset(s);
        if (word < 0 || word > size - RecordedBaseDescriptor.LENGTH || (word & 7) != 0) {
            return "recorded-base word at offset " + word + " is outside the pool or not 8-byte aligned";
        }
        long w = v.segment().get(Pointers.WORD, word);
        if (RecordedBaseDescriptor.state(w) != RecordedBaseDescriptor.STATE_INVALID
                && RecordedBaseDescriptor.base(w) > Long.MAX_VALUE - size) {
            // absolute words for such a base would have bit 63 set: tagged and absolute forms collide
            return "recorded base " + RecordedBaseDescriptor.describe(w) + " leaves no room for the pool's " + size
                    + " bytes below 2^63";
        }
        long objects = v.objectsOffset(s);
        long objectSize = v.objectSize(s);
        int n = v.objectCount(s);
        if (objectSize <= 0 || n < 0 || objects < runStart
                || objects + (long) n * objectSize > runEnd || (long) n * objectSize / objectSize != n) {
            return String.format("objects (offset %d, %d x %d bytes) do not fit in the run [%d, %d)",
                    objects, n, objectSize, runStart, runEnd);
        }
        if (!map.isEmpty()) {
            if ((objects & 7) != 0 || (objectSize & 7) != 0) {
                return "objects of " + v.typeName(type) + " at offset " + objects + " size " + objectSize
                        + " are not 8-byte aligned";
            }
            if (map.minObjectSize() > objectSize) {
                return "pointer field " + map.name(map.count() - 1) + " at " + map.offset(map.count() - 1)
                        + " lies outside objects of " + objectSize + " bytes";
            }
        }
        return null;
    }
}
