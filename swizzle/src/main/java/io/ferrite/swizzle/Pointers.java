package io.ferrite.swizzle;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The pointer word: what an 8-byte pointer field of a heap object holds, and the dereference
 * helpers. Deref is one subtraction and one segment access; no map lookup, no allocation.
 *
 * <pre>
 *  63  62                                                     0
 * +---+--------------------------------------------------------+
 * | 0 |  absolute virtual address = base + offset               |   absolute (the normal form)
 * +---+--------------------------------------------------------+
 * | 1 |  pool offset of the target (&lt; pool size)                |   tagged (only while swizzling
 * +---+--------------------------------------------------------+    or written before a swizzle)
 *  all 64 bits zero                                                 null
 * </pre>
 *
 * User-space addresses never have bit 63 set, so the two non-null forms cannot be confused.
 * Which base an absolute word assumes is told by the
 * {@linkplain RecordedBaseDescriptor recorded-base word} of the slab that holds the word, never
 * by the word itself. A pointer word is 8-byte aligned, little-endian (the pool's byte order,
 * which is also the native order on the platforms Ferrite runs on: native code that maps the
 * pool can follow a pointer directly).
 */
public final class Pointers {
    /** The null pointer. */
    public static final long NULL = 0L;
    /** Bit 63: set on a tagged (pool-offset) pointer word. */
    public static final long TAG = 1L << 63;
    /** The offset bits of a tagged word. */
    public static final long OFFSET_MASK = ~TAG;
    /** Width of a pointer word. */
    public static final int POINTER_LENGTH = 8;
    /** An aligned little-endian 8-byte word: how pointer words and recorded-base words are accessed. */
    public static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Pointers() {
    }

    /** Segment offset of the object an absolute pointer names, given the current mapping base. */
    public static long offset(long pointer, long base) {
        return pointer - base;
    }

    /** The absolute pointer to the object at segment {@code offset}, given the current base. */
    public static long pointer(long offset, long base) {
        return base + offset;
    }

    /** True for a tagged (pool-offset) word. Null and absolute words are not tagged. */
    public static boolean isTagged(long word) {
        return word < 0;
    }

    /** The tagged form of a pool offset. */
    public static long tagged(long offset) {
        return offset | TAG;
    }

    /** The pool offset in a tagged word. */
    public static long taggedOffset(long word) {
        return word & OFFSET_MASK;
    }

    /** Reads the 8-byte field at {@code fieldOffset} of the object {@code pointer} points to. */
    public static long getLong(MemorySegment segment, long base, long pointer, long fieldOffset) {
        return segment.get(WORD, pointer - base + fieldOffset);
    }

    /** Writes the 8-byte field at {@code fieldOffset} of the object {@code pointer} points to. */
    public static void setLong(MemorySegment segment, long base, long pointer, long fieldOffset, long value) {
        segment.set(WORD, pointer - base + fieldOffset, value);
    }

    /**
     * The word to store in a pointer field of a slab whose recorded-base word is
     * {@code recordedBaseWord}, for a target at pool offset {@code targetOffset} ({@code -1} for
     * null): the absolute address for the word's own base, which every state admits. After a
     * swizzle every slab is AT(current base), so this is {@code base + targetOffset}; before one
     * (log replay into a pool that moved) it is the form the slab's pointers are in.
     *
     * @throws IllegalArgumentException when the word is no valid recorded-base word
     */
    public static long encodeFor(long recordedBaseWord, long targetOffset) {
        if (targetOffset < 0) {
            return NULL;
        }
        if (RecordedBaseDescriptor.state(recordedBaseWord) == RecordedBaseDescriptor.STATE_INVALID) {
            throw new IllegalArgumentException(String.format("0x%x is no recorded-base word", recordedBaseWord));
        }
        return RecordedBaseDescriptor.base(recordedBaseWord) + targetOffset;
    }
}
