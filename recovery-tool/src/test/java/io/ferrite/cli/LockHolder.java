package io.ferrite.cli;

import io.ferrite.pheap.Heap;
import java.nio.file.Path;

/** A child JVM for the tests: opens a pool for writing, says "ready", holds it until killed. */
final class LockHolder {
    private LockHolder() {
    }

    public static void main(String[] args) throws Exception {
        try (Heap h = Heap.open(Path.of(args[0]), TestPools.options())) {
            System.out.println("ready");
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
            h.getClass();
        }
    }
}
