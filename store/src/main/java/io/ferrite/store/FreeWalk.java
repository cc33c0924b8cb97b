package io.ferrite.store;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.Ref;
import java.util.HashSet;
import java.util.Set;

/**
 * The guard of a walk that frees the nodes it passes ({@code clear()} of every collection). A
 * count bound is not enough there: a link back to a node already freed would free it again
 * before any count is exceeded. So the walk remembers what it freed in this transaction, and
 * when it is its own commit (nothing allocated in it yet, so the heap's allocation bits are
 * exact) it also refuses a node that an earlier commit of the same clear already freed.
 * Single-threaded: one per transaction body, under the collection's write lock.
 */
final class FreeWalk {
    private final Heap heap;
    private final boolean standalone;
    private final Set<Long> freed = new HashSet<>();

    FreeWalk(Heap heap, boolean standalone) {
        this.heap = heap;
        this.standalone = standalone;
    }

    /** Null when {@code node} may be freed now (and records it); else what is wrong with reaching it. */
    String problem(Ref node) {
        if (!freed.add(node.offset())) {
            return "the links loop back to node " + node.offset() + ", already freed by this clear";
        }
        if (standalone && !heap.isAllocated(node)) {
            return "a link leads to node " + node.offset() + ", which is not allocated (freed by an earlier step of this clear: the"
                    + " links loop)";
        }
        return null;
    }
}
