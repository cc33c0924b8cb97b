/**
 * pmlog: a durable, group-committed, append-only log in a ring of persistent memory
 * (DESIGN.md §6; the format and its reasons in {@code docs/pmlog.md}).
 *
 * <p><b>What it owns.</b> The log region: a 4 KiB header ({@link io.ferrite.pmlog.LogHeaderDescriptor})
 * and a ring of records ({@link io.ferrite.pmlog.LogRecordDescriptor}); reservation, group commit,
 * readers, reclaim (truncation of the head) and tail recovery. A region lives at an offset of a
 * {@link io.ferrite.media.Media} owned by the caller (the heap puts its log inside the pool file),
 * or fills a standalone file that the log owns ({@link io.ferrite.pmlog.PmLog#create},
 * {@link io.ferrite.pmlog.PmLog#open(java.nio.file.Path, io.ferrite.pmlog.PmLogOptions)}).
 *
 * <p><b>The tail scanner.</b> Where a log ends after a crash is decided in one place,
 * {@link io.ferrite.pmlog.LogTailScanner}: {@code PmLog.open}, {@code PmLog.inspect} and the
 * {@code ferrite} tool all scan through it, and every later reader of a recovered log (replica
 * apply, restore) is to do the same. It reads a region and its validated
 * {@link io.ferrite.pmlog.LogHeader}, changes nothing, and returns the accepted records, the end
 * LSN, why it stopped (clean end, stale epoch, torn record, epoch ahead) and what intact records lie
 * beyond a torn one. A record whose epoch is below the one before it is the clean end of the log:
 * a newer run already recovered the log to an end before it, so it was never durable.
 *
 * <p><b>Threading.</b> A {@link io.ferrite.pmlog.PmLog} is safe for any number of threads:
 * appends reserve space with a CAS on the tail (no lock, no allocation per record); durability
 * waits elect one leader at a time who flushes and fences for the whole group; other waiters spin
 * briefly, then park. {@code read} may run concurrently with appends (it delivers only durable
 * records, through a read-only flyweight view valid during the callback). {@code reclaim} is
 * serialized internally; the caller must not reclaim what a concurrent reader still reads.
 * {@code close} must not race with appends. The {@code onFull} hook runs on an appending thread
 * and must not append to the same log.
 *
 * <p><b>Durability.</b> When {@code append} returns, or {@code awaitDurable(lsn)} returns, the
 * record and every record before it have been flushed and fenced: after a crash, recovery delivers
 * them. A record whose append had not returned may or may not be recovered, but recovery always
 * yields a prefix of the appended stream: it stops at the first record whose LSN, length, CRC32C or
 * epoch is wrong, so torn records and stale records of earlier runs are never delivered. Head moves
 * ({@code reclaim}) are durable before the space is reused. On tmpfs "durable" means durable as far
 * as the file system is (not across power loss); {@link io.ferrite.media.Media#isPersistentMemory()}
 * tells.
 */
package io.ferrite.pmlog;
