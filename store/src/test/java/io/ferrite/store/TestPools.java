package io.ferrite.store;

import io.ferrite.pheap.HeapOptions;
import io.ferrite.testsupport.TempPools;
import java.nio.file.Path;
import java.time.Duration;

/** Small pools on /dev/shm for the store's tests, deleted (with their lock files) afterwards; names and the sweep of killed runs' pools come from {@link TempPools}. */
final class TestPools implements AutoCloseable {
    static final long SIZE = 16L << 20;
    final Path path;

    private static final String PREFIX = "ferrite-store-test-";

    TestPools(String name) {
        path = TempPools.fresh(PREFIX, name);
    }

    static HeapOptions heapOptions() {
        return HeapOptions.defaults().slabSize(64 * 1024).logCapacity(1024 * 1024).checkpointInterval(Duration.ZERO);
    }

    static Store.Context context() {
        return new Store.Context().heapOptions(heapOptions());
    }

    Store create(Store.Context c) {
        return Store.create(path, SIZE, c);
    }

    Store open(Store.Context c) {
        return Store.open(path, c);
    }

    void delete() {
        TempPools.delete(path);
    }

    @Override
    public void close() {
        delete();
    }
}
