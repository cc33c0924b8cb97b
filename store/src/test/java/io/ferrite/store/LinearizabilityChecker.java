package io.ferrite.store;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * A small Wing &amp; Gong style checker for histories of map operations. Keys are independent
 * registers (linearizability is local), so each key's operations are checked on their own: a
 * depth-first search for a total order that respects real time (an operation that returned before
 * another was invoked comes first) and the sequential semantics of put/get/remove, with the set of
 * already placed operations memoized per register value.
 */
final class LinearizabilityChecker {
    enum Kind { PUT, GET, REMOVE }

    /** One completed operation: what was asked, what came back, and when (nanoTime). */
    record Op(int thread, Kind kind, String key, String arg, String result, long invoked, long returned) {
    }

    private LinearizabilityChecker() {
    }

    /** Null when the history is linearizable, else the key whose history is not. */
    static String check(List<Op> history) {
        Map<String, List<Op>> byKey = new TreeMap<>();
        for (Op o : history) {
            byKey.computeIfAbsent(o.key(), k -> new ArrayList<>()).add(o);
        }
        for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
            List<Op> ops = e.getValue();
            if (ops.size() > 62) {
                throw new IllegalArgumentException("history of key " + e.getKey() + " is too long for this checker: " + ops.size());
            }
            if (!search(ops, 0L, null, new HashSet<>())) {
                return e.getKey() + ": " + ops;
            }
        }
        return null;
    }

    private static boolean search(List<Op> ops, long done, String value, Set<String> seen) {
        if (Long.bitCount(done) == ops.size()) {
            return true;
        }
        if (!seen.add(done + "/" + value)) {
            return false;
        }
        // the earliest return among pending operations bounds which may go next
        long minReturn = Long.MAX_VALUE;
        for (int i = 0; i < ops.size(); i++) {
            if ((done & (1L << i)) == 0) {
                minReturn = Math.min(minReturn, ops.get(i).returned());
            }
        }
        for (int i = 0; i < ops.size(); i++) {
            if ((done & (1L << i)) != 0) {
                continue;
            }
            Op o = ops.get(i);
            if (o.invoked() > minReturn) {
                continue; // some pending operation returned before this one began
            }
            if (!Objects.equals(o.result(), o.kind() == Kind.GET || o.kind() == Kind.PUT || o.kind() == Kind.REMOVE ? value : null)) {
                continue;
            }
            String next = switch (o.kind()) {
                case PUT -> o.arg();
                case REMOVE -> null;
                case GET -> value;
            };
            if (search(ops, done | (1L << i), next, seen)) {
                return true;
            }
        }
        return false;
    }
}
