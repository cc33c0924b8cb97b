/**
 * Swizzling: pointers stay correct when a pool is mapped at another address.
 *
 * <p><b>Owns.</b> The pointer representation ({@link io.ferrite.swizzle.Pointers}: an absolute
 * address in the current mapping, 0 = null, or a tagged pool offset with bit 63 set while a
 * swizzle is under way), the per-slab recorded-base word
 * ({@link io.ferrite.swizzle.RecordedBaseDescriptor}), per-type pointer maps
 * ({@link io.ferrite.swizzle.PointerMap}), the crash-safe parallel rewrite of every pointer when
 * the mapping base moved ({@link io.ferrite.swizzle.Swizzler}) and pointer verification
 * ({@link io.ferrite.swizzle.PointerVerifier}). It knows nothing of transactions, the log or the
 * pool format: the heap describes a pool through a {@link io.ferrite.swizzle.SwizzleView}.
 *
 * <p><b>Threading.</b> A swizzle must run alone on a pool: after mapping and before anyone reads
 * or writes a pointer. It uses {@link io.ferrite.swizzle.SwizzleOptions#parallelism()} threads of
 * its own (the calling thread when 1), each rewriting whole batches of slabs; no two threads touch
 * the same slab. The view is queried from all of them and must not change. Verification is
 * single-threaded and read-only; it may run on a read-only mapping at any address. The static
 * helpers of {@code Pointers} are pure functions.
 *
 * <p><b>States.</b> A slab's recorded-base word says in which forms its pointer words are:
 * {@code AT(B)} (null or absolute for B: the only state outside recovery), {@code SHIFT(N)} (moving
 * from the pool base to N in one pass; ranges disjoint) or {@code MIXED(N)} (tagged or absolute
 * for N). Every word in every state resolves to exactly one pool offset.
 *
 * <p><b>Durability.</b> Every swizzle step is one aligned 8-byte store of a slab's recorded-base
 * word, ordered with flush + fence after the pointer words it describes, so a crash at any store,
 * flush or fence — and any number of later restarts, each at yet another base, including
 * overlapping address ranges — ends with every pointer correct, without an undo log
 * (docs/swizzling.md gives the argument). When {@code Swizzler.swizzle} returns, every slab's
 * pointers and recorded-base word and the pool base are durable. A pointer word that is garbage is
 * left as it is (never followed) and reported by verification.
 */
package io.ferrite.swizzle;
