package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.pheap.annotation.Bytes;
import io.ferrite.pheap.annotation.Persistent;
import io.ferrite.pheap.annotation.Pointer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The example of docs/transactions.md, compiled and run: keep the two in step. */
class TransactionsTutorialTest {

    // tutorial:types
    // A type declared with the builder...
    static final PType NODE = PType.builder("Node")
            .int64("key")
            .pointer("next", "Node")        // a pointer names its target type
            .pointer("name", PType.ANY_BLOB) // any blob (bytes or a string)
            .build();
    static final PField KEY = NODE.field("key");
    static final PField NEXT = NODE.field("next");
    static final PField NAME = NODE.field("name");

    // ...or derived from an annotated record.
    @Persistent("Catalog")
    record Catalog(@Pointer(name = "Node") long head, long count, @Bytes(16) byte[] label) {
    }

    static final PType CATALOG = PType.of(Catalog.class);
    static final PField HEAD = CATALOG.field("head");
    static final PField COUNT = CATALOG.field("count");
    // end:types

    @Test
    void tutorial() throws Exception {
        Path path = Path.of("/dev/shm", "ferrite-tutorial-" + ProcessHandle.current().pid() + ".pool");
        try {
            run(path);
        } finally {
            Files.deleteIfExists(path);
            Files.deleteIfExists(Path.of(path + ".lock"));
        }
    }

    private static void run(Path path) {
        // tutorial:create
        try (Heap heap = Heap.create(path, 64L << 20, HeapOptions.defaults())) {
            Ref catalog = heap.root(CATALOG); // the pool's typed root, created zeroed once

            try (Tx tx = heap.begin()) {      // SYNC: durable when commit() returns
                Ref node = tx.allocate(NODE);
                tx.setLong(node, KEY, 7);
                tx.setRef(node, NAME, tx.allocateString("seven"));
                tx.setRef(node, NEXT, tx.getRef(catalog, HEAD));
                tx.setRef(catalog, HEAD, node);
                tx.setLong(catalog, COUNT, tx.getLong(catalog, COUNT) + 1);
                assertEquals(7, tx.getLong(node, KEY)); // reads see the transaction's writes
                tx.commit();
            }

            try (Tx tx = heap.begin()) {
                tx.setLong(catalog, COUNT, 1000);
                throw new IllegalStateException("changed my mind");
            } catch (IllegalStateException expected) {
                // leaving the block without commit() aborts: nothing was applied
            }
            assertEquals(1, heap.getLong(catalog, COUNT));
        }
        // end:create

        // tutorial:reopen
        try (Heap heap = Heap.open(path, HeapOptions.defaults())) {
            System.out.println(heap.recoveryReport()); // records replayed, bytes, time
            Ref catalog = heap.root(CATALOG);
            try (Tx tx = heap.begin()) {
                Ref node = tx.getRef(catalog, HEAD);
                assertEquals(7, tx.getLong(node, KEY));
                assertEquals("seven", tx.getString(tx.getRef(node, NAME)));
                assertNull(tx.getRef(node, NEXT));

                tx.setRef(catalog, HEAD, null);   // unlink, then free the node and its name
                tx.free(tx.getRef(node, NAME));
                tx.free(node);
                tx.setLong(catalog, COUNT, 0);
                tx.commit();
            }
            assertTrue(heap.stats().liveObjects() == 1); // only the root is left
        }
        // end:reopen
    }
}
