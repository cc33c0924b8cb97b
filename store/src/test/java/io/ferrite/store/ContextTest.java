package io.ferrite.store;

import static org.junit.jupiter.api.Assertions.*;

import io.ferrite.pheap.Durability;
import io.ferrite.pheap.HeapOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Store.Context: defaults, and conclude() naming the bad value or combination. */
class ContextTest {
    static final class A {
    }

    static final class B {
    }

    static String refused(Store.Context c) {
        return assertThrows(io.ferrite.ConfigurationException.class, c::conclude).getMessage();
    }

    @Test
    void defaultsConclude() {
        Store.Context c = new Store.Context().conclude();
        assertEquals(Duration.ofMillis(Store.Context.LOCK_TIMEOUT_MS_DEFAULT), c.lockTimeout());
        assertEquals(Store.Context.MAX_ATTEMPTS_DEFAULT, c.maxAttempts());
        assertEquals(Durability.SYNC, c.heapOptions().durability());
    }

    @Test
    void badCombinationsAreNamed() {
        assertTrue(refused(new Store.Context().heapOptions(HeapOptions.defaults().durability(Durability.ASYNC)))
                .contains("durability=ASYNC"));
        assertTrue(refused(new Store.Context().register(A.class, 3)).contains("ids below 16"));
        String dup = refused(new Store.Context().register(A.class, 40).register(B.class, 40));
        assertTrue(dup.contains("id 40") && dup.contains("A") && dup.contains("B"), dup);
        assertTrue(refused(new Store.Context().register(String.class, 40)).contains("native codec"));
        assertTrue(refused(new Store.Context().lockTimeout(Duration.ZERO)).contains("lockTimeout=PT0S"));
        assertTrue(refused(new Store.Context().maxAttempts(0)).contains("maxAttempts=0"));
        assertTrue(refused(new Store.Context().heapOptions(null)).contains("heapOptions must not be null"));
        assertTrue(refused(new Store.Context().heapOptions(HeapOptions.defaults().slabSize(3000))).contains("slabSize=3000"));
        System.out.println("Store.Context.conclude: 8 rules checked");
    }

    @Test
    void copiesAreIndependent() {
        Store.Context a = new Store.Context().register(A.class, 40);
        Store.Context b = a.copy().register(B.class, 41).lockTimeout(Duration.ofSeconds(1));
        assertEquals(Duration.ofMillis(Store.Context.LOCK_TIMEOUT_MS_DEFAULT), a.lockTimeout());
        assertEquals(Duration.ofSeconds(1), b.lockTimeout());
        b.conclude();
        a.conclude();
    }
}
