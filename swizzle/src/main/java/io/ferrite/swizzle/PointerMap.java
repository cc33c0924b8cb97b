package io.ferrite.swizzle;

import java.util.Arrays;

/**
 * Where the pointers of one type are: per pointer field its byte offset inside the object, its
 * name and the type id it is declared to point to ({@link #ANY_TYPE} for an untyped pointer).
 * Immutable; offsets are 8-byte aligned and strictly increasing, so a swizzle pass walks each
 * object's words in address order. Queried by index from plain arrays: nothing is boxed or
 * allocated in the swizzle loop.
 */
public final class PointerMap {
    /** A declared target that accepts an object of any type. */
    public static final int ANY_TYPE = -1;
    /** The map of a type without pointers (blobs, plain records): its slabs are never rewritten. */
    public static final PointerMap NONE = new PointerMap(new String[0], new long[0], new int[0]);

    private final String[] names;
    private final long[] offsets;
    private final int[] targets;

    private PointerMap(String[] names, long[] offsets, int[] targets) {
        this.names = names;
        this.offsets = offsets;
        this.targets = targets;
    }

    /**
     * A map from parallel arrays (copied). Offsets must be non-negative multiples of 8 and strictly
     * increasing; names non-null; targets a type id or {@link #ANY_TYPE}.
     */
    public static PointerMap of(String[] names, long[] offsets, int[] targets) {
        if (names.length != offsets.length || names.length != targets.length) {
            throw new IllegalArgumentException("names=" + names.length + " offsets=" + offsets.length
                    + " targets=" + targets.length + " must have the same length");
        }
        if (names.length == 0) {
            return NONE;
        }
        for (int i = 0; i < offsets.length; i++) {
            if (names[i] == null) {
                throw new IllegalArgumentException("pointer field " + i + " has no name");
            }
            if (offsets[i] < 0 || offsets[i] % Pointers.POINTER_LENGTH != 0) {
                throw new IllegalArgumentException("pointer field " + names[i] + " at offset " + offsets[i]
                        + " must be at a non-negative multiple of 8");
            }
            if (i > 0 && offsets[i] <= offsets[i - 1]) {
                throw new IllegalArgumentException("pointer field " + names[i] + " at offset " + offsets[i]
                        + " must come after " + names[i - 1] + " at " + offsets[i - 1] + " (sorted, no overlap)");
            }
            if (targets[i] < ANY_TYPE) {
                throw new IllegalArgumentException("pointer field " + names[i] + " targets type " + targets[i]
                        + "; use a type id or ANY_TYPE (-1)");
            }
        }
        return new PointerMap(names.clone(), offsets.clone(), targets.clone());
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Number of pointer fields. */
    public int count() {
        return offsets.length;
    }

    public boolean isEmpty() {
        return offsets.length == 0;
    }

    /** Byte offset of pointer field {@code i} inside the object. */
    public long offset(int i) {
        return offsets[i];
    }

    public String name(int i) {
        return names[i];
    }

    /** Declared target type id of field {@code i}, or {@link #ANY_TYPE}. */
    public int targetType(int i) {
        return targets[i];
    }

    /** Smallest object size that holds every pointer field. */
    public long minObjectSize() {
        return offsets.length == 0 ? 0 : offsets[offsets.length - 1] + Pointers.POINTER_LENGTH;
    }

    /** The offsets array itself, for the swizzle loop (never modified). */
    long[] offsetsArray() {
        return offsets;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PointerMap p && Arrays.equals(names, p.names) && Arrays.equals(offsets, p.offsets)
                && Arrays.equals(targets, p.targets);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(offsets) * 31 + Arrays.hashCode(targets);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("PointerMap[");
        for (int i = 0; i < offsets.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(names[i]).append('@').append(offsets[i]).append("->")
                    .append(targets[i] == ANY_TYPE ? "any" : Integer.toString(targets[i]));
        }
        return sb.append(']').toString();
    }

    /** Collects fields in any order; {@link #build()} sorts them by offset and validates. */
    public static final class Builder {
        private String[] names = new String[4];
        private long[] offsets = new long[4];
        private int[] targets = new int[4];
        private int n;

        public Builder pointer(String name, long offset, int targetType) {
            if (n == names.length) {
                names = Arrays.copyOf(names, n * 2);
                offsets = Arrays.copyOf(offsets, n * 2);
                targets = Arrays.copyOf(targets, n * 2);
            }
            names[n] = name;
            offsets[n] = offset;
            targets[n] = targetType;
            n++;
            return this;
        }

        public PointerMap build() {
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Arrays.sort(order, (a, b) -> Long.compare(offsets[a], offsets[b]));
            String[] sn = new String[n];
            long[] so = new long[n];
            int[] st = new int[n];
            for (int i = 0; i < n; i++) {
                sn[i] = names[order[i]];
                so[i] = offsets[order[i]];
                st[i] = targets[order[i]];
            }
            return of(sn, so, st);
        }
    }
}
