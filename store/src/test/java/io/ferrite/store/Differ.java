package io.ferrite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs one operation on the JDK's collection and on the store's, and checks that both give the
 * same outcome: the same result (lists and deques compared element by element in order, sets and
 * maps by {@code equals}, entries by key and value), or an exception of the same class. Counts what it checked.
 */
final class Differ {
    private final String name;
    long checks;
    long exceptions;

    Differ(String name) {
        this.name = name;
    }

    /** The outcome of {@code s}: its result normalised, or the class of what it threw. */
    static Object outcome(Supplier<?> s) {
        try {
            return normalise(s.get());
        } catch (RuntimeException e) {
            return e.getClass();
        }
    }

    private static Object normalise(Object o) {
        if (o instanceof Map.Entry<?, ?> e) {
            return Map.entry(e.getKey(), e.getValue());
        }
        if (o instanceof Iterable<?> it && !(o instanceof java.util.Set<?>)) {
            java.util.List<Object> l = new ArrayList<>();
            for (Iterator<?> i = it.iterator(); i.hasNext(); ) {
                l.add(normalise(i.next()));
            }
            return l;
        }
        return o;
    }

    /** Asserts both outcomes are equal; {@code what} names the step for the failure message. */
    void same(String what, Supplier<?> jdk, Supplier<?> store) {
        Object want = outcome(jdk);
        Object got = outcome(store);
        assertEquals(want, got, name + ": " + what);
        checks++;
        if (want instanceof Class<?>) {
            exceptions++;
        }
    }

    void print(long ops) {
        System.out.println(name + ": " + ops + " random operations, " + checks + " outcomes compared with the JDK's, " + exceptions
                + " of them the same exception");
    }
}
