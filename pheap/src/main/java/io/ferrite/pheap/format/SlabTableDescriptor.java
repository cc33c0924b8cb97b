package io.ferrite.pheap.format;

import static java.lang.foreign.MemoryLayout.structLayout;
import static io.ferrite.pheap.format.Le.U32;
import static io.ferrite.pheap.format.Le.U64;

import io.ferrite.swizzle.RecordedBaseDescriptor;
import java.lang.foreign.StructLayout;

/**
 * The slab table: one 32-byte entry per slab, in slab order, at the superblock's slab table
 * offset. The entry says what the slab holds and which base address its pointers assume
 * (the word swizzling reads and updates, 8-byte aligned so one store replaces it atomically).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-----------------------------+-------------------------------+
 *  |        type id (u32)        |          state (u32)          |   0
 *  +-----------------------------+-------------------------------+
 *  |   recorded base: the base its pointers assume (u64, below)   |   8
 *  +-----------------------------+-------------------------------+
 *  |  span (u32): LARGE_HEAD =   |         reserved (u32)        |  16
 *  |  slabs spanned; LARGE_CONT  |                               |
 *  |  = index of the head slab   |                               |
 *  +-----------------------------+-------------------------------+
 *  |                        reserved (u64)                        |  24
 *  +-------------------------------------------------------------+  32
 * </pre>
 * Every change to an entry goes through a redo record (the recorded base with the position
 * independent {@code WRITE_BASE} operation).
 *
 * <p>The recorded-base word is in the format of the swizzle module's {@code RecordedBaseDescriptor}:
 * the page-aligned base in bits 12..63, the signature 0xA5 in bits 4..11, the state in bits 0..3
 * (1 = AT: every pointer in the slab is null or absolute assuming that base). The heap writes only
 * AT words ({@link #recordedBaseWord}); swizzling moves slabs through its other states
 * (SHIFT, MIXED; docs/swizzling.md).
 */
public final class SlabTableDescriptor {
    public static final int TYPE_ID_OFFSET = 0;
    public static final int STATE_OFFSET = 4;
    public static final int RECORDED_BASE_OFFSET = 8;
    public static final int SPAN_OFFSET = 16;
    public static final int ENTRY_LENGTH = 32;

    /** Never used, or given back: every byte of the slab past its header region is zero. */
    public static final int STATE_FREE = 0;
    /** Holds objects of one type, several per slab, with an allocation bitmap in its header. */
    public static final int STATE_SMALL = 1;
    /** First slab of one large object (header with a one-bit bitmap, then the object). */
    public static final int STATE_LARGE_HEAD = 2;
    /** A further slab of a large object: no header, all object bytes. */
    public static final int STATE_LARGE_CONT = 3;

    public static final StructLayout LAYOUT = structLayout(
            U32.withName("typeId"),
            U32.withName("state"),
            U64.withName("recordedBase"),
            U32.withName("span"),
            U32.withName("reserved0"),
            U64.withName("reserved1")).withName("SlabTableEntry");

    /** Signature in bits 4..11 of a recorded-base word ({@link RecordedBaseDescriptor#SIGNATURE}). */
    public static final long RECORDED_BASE_SIGNATURE = RecordedBaseDescriptor.SIGNATURE;
    /** State AT in bits 0..3 of a recorded-base word. */
    public static final long RECORDED_BASE_STATE_AT = RecordedBaseDescriptor.STATE_AT;

    private SlabTableDescriptor() {
    }

    /** The recorded-base word AT(base): the slab's pointers are absolute for {@code base} (page aligned). */
    public static long recordedBaseWord(long base) {
        return RecordedBaseDescriptor.at(base);
    }

    /** The base of a recorded-base word (its state and signature masked off). */
    public static long recordedBase(long word) {
        return RecordedBaseDescriptor.base(word);
    }

    /** Pool offset of the entry of slab {@code index}. */
    public static long entryOffset(long slabTableOffset, int index) {
        return slabTableOffset + (long) index * ENTRY_LENGTH;
    }

    public static String stateName(int state) {
        return switch (state) {
            case STATE_FREE -> "free";
            case STATE_SMALL -> "small";
            case STATE_LARGE_HEAD -> "large-head";
            case STATE_LARGE_CONT -> "large-cont";
            default -> "unknown(" + state + ")";
        };
    }
}
