/**
 * JMH benchmarks that put Ferrite side by side with its Java peers: Chronicle Queue (an
 * append-only, memory-mapped, not-durable-per-append queue), Chronicle Map (a memory-mapped,
 * not-durable-per-put hash map) and LLPL (Intel's JNI binding of PMDK's libpmemobj), and with
 * the physical limit of a job where there is no peer (a raw pointer-rewrite loop for
 * relocation). Run them from {@code bench/target/benchmarks.jar}; docs/benchmarks.md gives the
 * exact commands, the machine, and what each comparison is worth.
 *
 * <p>Every file a benchmark creates lives under {@code /dev/shm} (tmpfs, the emulated
 * persistent memory of this project) and is deleted in {@code @TearDown}.
 *
 * <p>JVM flags: Ferrite's forks get only {@code --enable-native-access=ALL-UNNAMED}. The
 * {@code --add-exports}/{@code --add-opens} list that Chronicle needs is appended to the fork of
 * the Chronicle methods only (queue and map), never to Ferrite's.
 */
package io.ferrite.bench;
