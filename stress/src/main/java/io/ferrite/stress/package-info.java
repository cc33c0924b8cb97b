/**
 * jcstress concurrency tests of the log (reservation, publication through the commit word, the
 * durable LSN), the heap (transaction apply against a reader of a field pair) and the store (the
 * lock-free map {@code get} against a put or remove of the same key). The allocator's slab state
 * and the dirty-line set are package-private: their tests live in package {@code io.ferrite.pheap}
 * of this module (a split package on the classpath; there is no JPMS). Replication slots come with
 * the replicator.
 *
 * <h2>Threading</h2>
 * Each test's actors run on jcstress's threads; state objects share one log, heap or store per
 * fork ({@code SharedLog}, {@code SharedHeap}), so per-sample setup stays cheap. Arbiters run
 * after every actor of a batch, which is where the shared log is reclaimed and map keys removed.
 *
 * <h2>Durability</h2>
 * None asked of the tests: the shared structures sit on in-memory media (the same code as on a
 * pool file, flush and fence as no-ops), so no file is created; the log, heap and store are closed
 * by shutdown hooks. Durability under power loss is what the crash-simulation tests check.
 *
 * <p>Run: {@code ./mvnw -B verify} (quick mode) or {@code ./mvnw -B verify -Pstress-long}; see
 * {@link io.ferrite.stress.StressMain} and docs/reliability.md.
 */
package io.ferrite.stress;
