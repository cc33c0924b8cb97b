package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class SmokeTest {
    static final PType NODE = PType.builder("Node").int64("key").pointer("next", "Node").build();
    static final PField KEY = NODE.field("key");
    static final PField NEXT = NODE.field("next");

    @Test
    void createCommitReopen() {
        try (Pools p = new Pools("smoke")) {
            long rootOff;
            try (Heap h = p.create()) {
                Ref root = h.root(NODE);
                rootOff = root.offset();
                try (Tx tx = h.begin()) {
                    Ref a = tx.allocate(NODE);
                    tx.setLong(a, KEY, 7);
                    tx.setRef(root, NEXT, a);
                    assertEquals(7, tx.getLong(a, KEY));
                    assertEquals(a, tx.getRef(root, NEXT));
                    tx.commit();
                }
                Ref a = h.getRef(h.root(NODE), NEXT);
                assertEquals(7, h.getLong(a, KEY));
            }
            try (Heap h = p.open()) {
                System.out.println(h.recoveryReport());
                Ref root = h.root(NODE);
                assertEquals(rootOff, root.offset());
                Ref a = h.getRef(root, NEXT);
                assertEquals(7, h.getLong(a, KEY));
            }
        }
    }
}
