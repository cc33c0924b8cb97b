package io.ferrite.stress;

import io.ferrite.media.Media;
import io.ferrite.pheap.Heap;
import io.ferrite.pheap.HeapOptions;
import io.ferrite.pheap.PField;
import io.ferrite.pheap.PType;
import io.ferrite.store.Store;

/**
 * One heap and one store per fork, each over in-memory media: the same commit, apply, allocator
 * and map code as on a pool file, with flush and fence as no-ops and no file to delete. Created on
 * first use by a test's state, closed by a shutdown hook.
 */
final class SharedHeap {
    static final PType PAIR = PType.builder("stress.Pair").int64("a").int64("b").build();
    static final PField A = PAIR.field("a");
    static final PField B = PAIR.field("b");

    private SharedHeap() {
    }

    /**
     * 64 KiB slabs rather than 1 MiB: every thread that allocates takes a current slab per type,
     * and jcstress starts fresh threads for its sanity and sizing passes; with 1 MiB slabs a 128 MiB
     * store ran out of slabs there (HeapFullException) while holding a few thousand entries.
     */
    static HeapOptions options() {
        return HeapOptions.defaults().slabSize(64 << 10);
    }

    static final class HeapHolder {
        static final Heap HEAP;

        static {
            Media media = Media.inMemory(64L << 20);
            HEAP = Heap.create(media, options());
            HEAP.register(PAIR);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                HEAP.close();
                media.close();
            }, "stress-heap-close"));
        }
    }

    static final class StoreHolder {
        static final Store STORE;

        static {
            Media media = Media.inMemory(256L << 20);
            STORE = Store.create(media, new Store.Context().heapOptions(options()));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                STORE.close();
                media.close();
            }, "stress-store-close"));
        }
    }
}
