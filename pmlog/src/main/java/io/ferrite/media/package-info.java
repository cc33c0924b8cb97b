/**
 * Media: how Ferrite's bytes reach persistence.
 *
 * <p>Owns mapping a file as a {@link java.lang.foreign.MemorySegment} (libc {@code mmap} through
 * FFM downcalls: {@code MAP_SHARED_VALIDATE|MAP_SYNC} on DAX, {@code MAP_SHARED} otherwise, an
 * address hint with {@code MAP_FIXED_NOREPLACE}) and the durability verbs {@code flush},
 * {@code fence}, {@code persist}, with backends libpmem, jdk-sync, msync and crashsim
 * ({@link io.ferrite.media.FlushBackend}).
 *
 * <p><b>Threading.</b> A {@link io.ferrite.media.Media} may be used by any number of threads;
 * flush and fence are thread-safe. Ordering of stores between threads is the caller's business.
 *
 * <p><b>Durability.</b> A store is durable once a flush covering it has been followed by a fence.
 * Only aligned 8-byte stores are atomic on media. Nothing here is durable on tmpfs across a
 * machine power loss: tmpfs emulates persistent memory (its cost and its crash states under
 * crashsim), it is not persistent memory; {@link io.ferrite.media.Media#isPersistentMemory()} says
 * which one a mapping is.
 */
package io.ferrite.media;
