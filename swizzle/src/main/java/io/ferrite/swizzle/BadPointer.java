package io.ferrite.swizzle;

/**
 * One problem {@link PointerVerifier} found: a pointer word (or, for slab-level problems, a slab)
 * and why it is wrong.
 *
 * @param slab        the slab (run head) that holds the word
 * @param objectIndex the object's slot in the slab; -1 for a slab-level problem
 * @param field       the pointer field's name; null for a slab-level problem
 * @param wordOffset  segment offset of the pointer word (or of the slab's recorded-base word)
 * @param value       the word as found
 * @param problem     the kind of problem
 * @param detail      what exactly, with the values
 */
public record BadPointer(int slab, int objectIndex, String field, long wordOffset, long value, Problem problem,
        String detail) {

    /** Kinds of problems, each with what it means. */
    public enum Problem {
        /** An absolute value outside the address range of the pool for the base its slab assumes. */
        OUTSIDE_POOL("outside the pool"),
        /** Inside the pool, but not the first byte of an object slot (metadata, mid-object, past the last slot). */
        NOT_OBJECT_START("not at an object start"),
        /** At an object slot that is not allocated, or in a free slab. */
        NOT_ALLOCATED("target not allocated"),
        /** At an allocated object whose type is not the field's declared target type. */
        WRONG_TYPE("wrong target type"),
        /** A tagged (pool-offset) word in a slab whose swizzle has finished: a leftover or garbage. */
        TAGGED_LEFT_OVER("tagged form left over"),
        /** The slab is between two states of a swizzle (SHIFT or UNTAG): open the pool read-write to finish. */
        SWIZZLE_INCOMPLETE("swizzle incomplete"),
        /** The slab's recorded-base word is not a valid word: the form of its pointers is unknown. */
        RECORDED_BASE_INVALID("recorded-base word invalid"),
        /** The slab table says something impossible about the slab (span, geometry): its pointers are not read. */
        SLAB_TABLE("slab table inconsistent");

        private final String text;

        Problem(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /** True for problems about a whole slab rather than one pointer word. */
    public boolean slabLevel() {
        return objectIndex < 0;
    }

    @Override
    public String toString() {
        if (slabLevel()) {
            return String.format("slab %d: %s: %s", slab, problem.text(), detail);
        }
        return String.format("slab %d object %d field %s (offset %d) = 0x%x: %s: %s", slab, objectIndex, field,
                wordOffset, value, problem.text(), detail);
    }
}
