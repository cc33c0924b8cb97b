package io.ferrite.swizzle;

/**
 * The recorded-base word of a slab: one aligned 8-byte word (kept by the heap in the slab's
 * slab-table entry) that says in which form the pointer words stored in the slab are. Every
 * transition of the swizzling protocol is one store of this word (docs/swizzling.md).
 *
 * <pre>
 *  63                                          12 11          4 3        0
 * +----------------------------------------------+-------------+----------+
 * |  base (page aligned: bits 0..11 are zero)     |  SIGNATURE  |  state   |
 * +----------------------------------------------+-------------+----------+
 *
 * state AT(B)    (1)  every pointer word is null or absolute assuming base B (never tagged)
 * state SHIFT(N) (2)  every pointer word is null, tagged, absolute assuming the POOL base P,
 *                     or absolute assuming N; [P, P+size) and [N, N+size) do not overlap
 * state MIXED(N) (3)  every pointer word is null, tagged, or absolute assuming N
 * </pre>
 *
 * In every state the absolute form for the word's own base is admitted, so a writer that must
 * store a pointer into a slab before it is swizzled (log replay) stores {@code base(word) + offset}
 * ({@link Pointers#encodeFor}).
 *
 * P is the pool-level base ({@link SwizzleView#poolBase()}, the superblock's "base the pointers
 * assume"); it changes only while no slab is in SHIFT. The signature makes a word that was never
 * written (0) or that was overwritten by garbage recognisable: {@link #state(long)} is then
 * {@link #STATE_INVALID}.
 */
public final class RecordedBaseDescriptor {
    public static final int STATE_INVALID = 0;
    public static final int STATE_AT = 1;
    public static final int STATE_SHIFT = 2;
    public static final int STATE_MIXED = 3;

    /** Bases are page aligned; the low 12 bits carry the signature and the state. */
    public static final long BASE_ALIGNMENT = 4096;
    public static final long BASE_MASK = ~(BASE_ALIGNMENT - 1);
    public static final int STATE_BITS = 4;
    public static final long STATE_MASK = (1L << STATE_BITS) - 1;
    public static final long SIGNATURE = 0xA5L;
    public static final int SIGNATURE_SHIFT = 4;
    public static final long SIGNATURE_MASK = 0xFFL << SIGNATURE_SHIFT;
    /** Width of the word; it must be 8-byte aligned so that one store is atomic on media. */
    public static final int LENGTH = 8;
    /** The word as an FFM layout: aligned, little-endian. */
    public static final java.lang.foreign.ValueLayout.OfLong LAYOUT = Pointers.WORD.withName("recordedBase");

    private RecordedBaseDescriptor() {
    }

    /** AT(base): the slab's absolute pointers assume {@code base}. */
    public static long at(long base) {
        return encode(base, STATE_AT);
    }

    /** SHIFT(target): moving from the pool base to {@code target} in one pass. */
    public static long shift(long target) {
        return encode(target, STATE_SHIFT);
    }

    /** MIXED(base): every pointer is tagged or absolute for {@code base}. */
    public static long mixed(long base) {
        return encode(base, STATE_MIXED);
    }

    public static long encode(long base, int state) {
        checkBase(base);
        if (state < STATE_AT || state > STATE_MIXED) {
            throw new IllegalArgumentException("state=" + state + " is not AT(1), SHIFT(2) or MIXED(3)");
        }
        return base | (SIGNATURE << SIGNATURE_SHIFT) | state;
    }

    /** The state of a word, {@link #STATE_INVALID} when the word is not a recorded-base word. */
    public static int state(long word) {
        if (word < 0 || (word & SIGNATURE_MASK) != SIGNATURE << SIGNATURE_SHIFT || (word & BASE_MASK) == 0) {
            return STATE_INVALID;
        }
        int s = (int) (word & STATE_MASK);
        return s >= STATE_AT && s <= STATE_MIXED ? s : STATE_INVALID;
    }

    /** The base of a valid word. */
    public static long base(long word) {
        return word & BASE_MASK;
    }

    /** A base is positive (a user-space address) and page aligned. */
    public static void checkBase(long base) {
        if (base <= 0 || (base & ~BASE_MASK) != 0) {
            throw new IllegalArgumentException(String.format(
                    "base=0x%x must be a positive, %d-byte aligned address", base, BASE_ALIGNMENT));
        }
    }

    /** For messages and dumps: {@code AT(0x7f...)}, {@code SHIFT(0x...)}, {@code INVALID(0x...)}. */
    public static String describe(long word) {
        return switch (state(word)) {
            case STATE_AT -> String.format("AT(0x%x)", base(word));
            case STATE_SHIFT -> String.format("SHIFT(0x%x)", base(word));
            case STATE_MIXED -> String.format("MIXED(0x%x)", base(word));
            default -> String.format("INVALID(0x%x)", word);
        };
    }
}
