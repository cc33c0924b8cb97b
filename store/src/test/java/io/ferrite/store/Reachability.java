package io.ferrite.store;

import io.ferrite.pheap.FieldKind;
import io.ferrite.pheap.PField;
import io.ferrite.pheap.Ref;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Set;

/**
 * Test helper: the objects reachable from the pool's root through pointer fields, the way
 * {@code ferrite check} counts them. Equal to the heap's live objects when the store leaks nothing.
 */
final class Reachability {
    private Reachability() {
    }

    static Set<Long> reachable(Store s) {
        Set<Long> seen = new HashSet<>();
        ArrayDeque<Long> todo = new ArrayDeque<>();
        Ref root = s.heap().root(StoreTypes.ROOT);
        todo.add(root.offset());
        while (!todo.isEmpty()) {
            long off = todo.poll();
            if (!seen.add(off)) {
                continue;
            }
            Ref r = s.heap().ref(off);
            for (PField f : r.type().fields()) {
                if (f.kind() == FieldKind.POINTER) {
                    long t = s.mem.ptr(off, f);
                    if (t == Mem.BAD) {
                        throw new AssertionError("pointer " + f + " of the object at " + off + " leads outside the pool");
                    }
                    if (t != 0) {
                        todo.add(t);
                    }
                }
            }
        }
        return seen;
    }

    /** Null when every live object is reachable, else a description of the difference. */
    static String leaks(Store s) {
        int reachable = reachable(s).size();
        long live = s.heap().stats().liveObjects();
        return reachable == live ? null : live + " live objects but " + reachable + " reachable from the root";
    }
}
