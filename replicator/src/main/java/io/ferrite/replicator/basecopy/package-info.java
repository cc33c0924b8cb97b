/**
 * Base copy (DESIGN.md section 9, docs/replication.md "Base copy"): seeds a replica that has no
 * pool with a consistent image of its primary's pool, taken while the primary keeps committing,
 * sent in checksummed chunks, resumable after a cut, installed atomically; streaming then resumes
 * from the image's end through the ordinary ENTRIES path.
 *
 * <ul>
 * <li>{@link io.ferrite.replicator.basecopy.BaseCopySource} (primary): takes the image at a forced
 * checkpoint (checkpoint LSN C), sends its chunks and then the records [C, E);
 * {@link io.ferrite.replicator.basecopy.BaseCopyHolds} holds the log from C meanwhile, up to a
 * bound. The shipper asks it whether a destination needs a base copy.</li>
 * <li>{@link io.ferrite.replicator.basecopy.BaseCopyReceiver} (replica): stages, verifies and
 * installs the image; {@code Staging} owns the staging files and
 * {@link io.ferrite.replicator.basecopy.BaseCopyProgressDescriptor} their progress record;
 * {@link io.ferrite.replicator.basecopy.ReseedingReplica} re-seeds a replica that its primary
 * refused because its resume LSN left the primary's log.</li>
 * </ul>
 *
 * <p><b>Threading.</b> The source runs on the shipping thread of the destination being seeded
 * (one copy per destination at a time); the holds are read lock-free by the primary's
 * checkpointer. The receiver runs its accept loop and sessions on the thread that calls
 * {@code awaitInstalled}, one primary at a time; {@code close} from any thread. A re-seeding
 * replica has one watching thread that restarts its server through the seeding path.
 *
 * <p><b>Durability.</b> On the primary: nothing is written; the log from C is kept until the
 * destination streams again (or the bound is passed, and the copy starts over). On the replica:
 * every staged chunk's CRC32C is checked before it is written; the progress record (replaced by
 * rename) moves past a chunk only after the image and the sums were forced; the whole image is
 * checked against the sums before install; the pool path appears only by an atomic rename of the
 * complete image, after its records [C, E) are durable in its log region and the mirror log
 * {@code <pool>.mirror} at E exists; the directory is forced after each step. A crash leaves
 * either no pool (the staging, resumed by the next connection) or the complete pool.
 */
package io.ferrite.replicator.basecopy;
