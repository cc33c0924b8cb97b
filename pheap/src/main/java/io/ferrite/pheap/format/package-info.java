/**
 * The pool file format, written down once: one {@code *Descriptor} class per on-media structure
 * (superblock, slab table, slab header, type registry, type descriptor, redo record) with an ASCII
 * diagram, offset constants and an FFM {@code StructLayout} whose offsets a test checks against the
 * constants. {@link io.ferrite.pheap.format.Superblock} decodes and encodes one superblock copy and
 * checks its geometry; {@link io.ferrite.pheap.format.PoolValidation} checks the slab table, slab
 * headers and root against each other (the heap at open, and the recovery tool, run the same checks).
 *
 * <p>Threading: stateless constants and pure functions; safe from any thread. Durability: none
 * here; the heap decides what is persisted when. The recovery tool reads pools through these
 * classes only. All structures are little-endian.
 */
package io.ferrite.pheap.format;
