package io.ferrite.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The store's lock-free {@code PersistentMap.get} against a {@code put} that replaces the value
 * of the same key (same bucket chain; the old entry blob is freed by that commit and may be
 * reused at once by another state's put). The get returns the old or the new value, whole.
 */
@JCStressTest
@Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "The get saw the old value.")
@Outcome(id = "2, 2", expect = ACCEPTABLE, desc = "The get saw the new value.")
@Outcome(id = "0, .*", expect = FORBIDDEN, desc = "The key vanished during a replacing put.")
@Outcome(id = "3, .*", expect = FORBIDDEN, desc = "A mix of the old and new value (or malformed bytes).")
@Outcome(id = "4, .*", expect = FORBIDDEN, desc = "Another key's value: the get read a freed, reused entry.")
@Outcome(id = ".*, 9", expect = FORBIDDEN, desc = "The put threw (printed on the fork's error stream).")
@Outcome(id = ".*, [^29]", expect = FORBIDDEN, desc = "After the put returned, the map does not hold the new value.")
@State
public class MapGetVsPutStress {
    final long id = MapValues.nextId();
    final byte[] key = MapValues.key(id);
    final byte[] newValue = MapValues.value(id, 2);
    /**
     * jcstress's sizing pass runs actors on threads that drop their exceptions, so a failed put
     * would look like a lost one: it is kept here and reported as outcome 9.
     */
    Throwable failure;

    public MapGetVsPutStress() {
        MapValues.MAP.set(key, MapValues.value(id, 1));
    }

    @Actor
    public void put() {
        try {
            MapValues.MAP.set(key, newValue);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
    }

    @Actor
    public void get(II_Result r) {
        r.r1 = MapValues.classify(id, MapValues.MAP.get(key));
    }

    @Arbiter
    public void check(II_Result r) {
        if (failure != null) {
            System.err.println("put failed on " + Thread.currentThread() + ": " + failure);
            r.r2 = 9;
        } else {
            r.r2 = MapValues.classify(id, MapValues.MAP.get(key));
        }
        MapValues.MAP.delete(key);
    }
}
