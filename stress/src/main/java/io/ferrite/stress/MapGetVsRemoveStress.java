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
 * The store's lock-free {@code PersistentMap.get} against a {@code remove} of the same key: the
 * node leaves its bucket chain and the node and entry are freed by that commit (and may be reused
 * at once by another state's put). The get returns the old value whole, or nothing.
 */
@JCStressTest
@Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "The get ran before the remove: the old value.")
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "The get ran after the remove: absent.")
@Outcome(id = "2, .*", expect = FORBIDDEN, desc = "A value that was never written.")
@Outcome(id = "3, .*", expect = FORBIDDEN, desc = "Mixed or malformed bytes.")
@Outcome(id = "4, .*", expect = FORBIDDEN, desc = "Another key's value: the get read a freed, reused entry.")
@Outcome(id = ".*, [^0]", expect = FORBIDDEN, desc = "After the remove returned, the key is still there.")
@State
public class MapGetVsRemoveStress {
    final long id = MapValues.nextId();
    final byte[] key = MapValues.key(id);

    public MapGetVsRemoveStress() {
        MapValues.MAP.set(key, MapValues.value(id, 1));
    }

    @Actor
    public void remove() {
        MapValues.MAP.delete(key);
    }

    @Actor
    public void get(II_Result r) {
        r.r1 = MapValues.classify(id, MapValues.MAP.get(key));
    }

    @Arbiter
    public void check(II_Result r) {
        r.r2 = MapValues.classify(id, MapValues.MAP.get(key));
    }
}
