package io.ferrite.pmlog;

import static io.ferrite.pmlog.LogRecordDescriptor.HEADER_LENGTH;
import static io.ferrite.pmlog.LogRecordType.PADDING_CODE;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The write side of a log: reservation, completion, group commit, durability waits and reclaim
 * (docs/pmlog.md, "Appending").
 *
 * <p>An appender reserves space with a CAS on the tail (no lock, no allocation), copies the
 * payload, writes the header and release-stores the record's LSN word last, then marks the record
 * complete in a DRAM completion bitmap. {@link #awaitDurable} waits by group commit: one thread at
 * a time becomes the leader, walks the completed prefix from the durable point, flushes it with
 * one {@code flush} (two if it wraps) and one {@code fence}, publishes the durable LSN and wakes the
 * waiters. Others spin briefly, then park.
 *
 * <p>Every method may be called from any number of threads; {@link #closeCommit} must not race
 * with appends. Reclaim is serialized by a lock of its own.
 */
final class LogAppender {
    private static final ValueLayout.OfLong U64 = LogRecordDescriptor.U64;
    private static final ValueLayout.OfInt U32 = LogRecordDescriptor.U32;
    private static final ValueLayout.OfShort U16 = LogRecordDescriptor.U16;
    private static final VarHandle LSN_WORD = LogRecordDescriptor.LSN_WORD;
    private static final VarHandle BITS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle WAITERS = MethodHandles.arrayElementVarHandle(Thread[].class);
    private static final int WAITER_SLOTS = 64;
    private static final long PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long PURE_SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(1);
    private static final long IN_FLIGHT_WAIT_NANOS = TimeUnit.MICROSECONDS.toNanos(5);
    private static final long SHORT_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

    private final LogRing ring;
    private final MemorySegment seg;
    private final long ringBase;
    private final long capacity;
    private final long epoch;
    private final PmLogOptions options;
    private final PaddedLong tail;
    private final PaddedLong durable;
    private final PaddedLong head;
    /** 1 while a thread is the group-commit leader. */
    private final PaddedLong leader = new PaddedLong(0);
    /** One bit per 8 ring bytes: set (release) when the record starting there is complete; cleared by the leader. */
    private final long[] completed;
    private final Thread[] waiters = new Thread[WAITER_SLOTS];
    /** Threads inside {@link #park}: the leader skips the waiter scan when there are none. */
    private final AtomicInteger parked = new AtomicInteger();
    private final Object reclaimLock = new Object();
    private int activeSlot;
    /** Written and read only by the leader (ordered by the leader flag): did appends arrive during the last flush? */
    private boolean groupContended;

    LogAppender(LogRing ring, long epoch, int activeSlot, PmLogOptions options) {
        this.ring = ring;
        this.seg = ring.seg;
        this.ringBase = ring.ringBase;
        this.capacity = ring.capacity;
        this.epoch = epoch;
        this.options = options;
        this.tail = ring.tail;
        this.durable = ring.durable;
        this.head = ring.head;
        this.activeSlot = activeSlot;
        this.completed = new long[(int) ((capacity / 8 + 63) / 64)];
    }

    // ------------------------------------------------------------------ appending

    long appendAsync(MemorySegment payload, short type) {
        long len = payload.byteSize();
        long lsn = reserveRecord(len, type);
        long rec = ringBase + ring.ringPos(lsn);
        try {
            MemorySegment.copy(payload, 0, seg, LogRecordDescriptor.payloadOffset(rec), len);
            complete(rec, lsn, type, (int) len);
        } catch (RuntimeException | Error e) {
            abandon(rec, lsn, LogRecordDescriptor.recordLength(len));
            throw e;
        }
        return lsn;
    }

    long appendAsync(byte[] payload, short type) {
        int len = payload.length;
        long lsn = reserveRecord(len, type);
        long rec = ringBase + ring.ringPos(lsn);
        try {
            MemorySegment.copy(payload, 0, seg, ValueLayout.JAVA_BYTE, LogRecordDescriptor.payloadOffset(rec), len);
            complete(rec, lsn, type, len);
        } catch (RuntimeException | Error e) {
            abandon(rec, lsn, LogRecordDescriptor.recordLength(len));
            throw e;
        }
        return lsn;
    }

    long appendAsync(int length, short type, PayloadWriter writer) {
        if (length < 0) {
            throw new IllegalArgumentException("length=" + length + " must not be negative");
        }
        long lsn = reserveRecord(length, type);
        long rec = ringBase + ring.ringPos(lsn);
        try {
            writer.reserved(lsn);
            writer.write(seg, LogRecordDescriptor.payloadOffset(rec), length);
            complete(rec, lsn, type, length);
        } catch (RuntimeException | Error e) {
            abandon(rec, lsn, LogRecordDescriptor.recordLength(length));
            throw e;
        }
        return lsn;
    }

    /** Returns once the record at {@code lsn} (and every record before it) is durable. */
    void awaitDurable(long lsn) {
        if (durable.lv() > lsn) {
            return;
        }
        if (lsn >= tail.lv()) {
            throw new IllegalArgumentException("awaitDurable(lsn=" + lsn + "): no record there yet (tail="
                    + tail.lv() + " durable=" + durable.lv() + ")");
        }
        long spinUntil = 0;
        long spinStart = 0;
        for (;;) {
            if (leader.lv() == 0) {
                commit();
            }
            if (durable.lv() > lsn) {
                return;
            }
            if (ring.closed.get()) {
                throw new IllegalStateException("log closed before lsn=" + lsn + " became durable (durable="
                        + durable.lv() + ")");
            }
            long now = System.nanoTime();
            if (spinUntil == 0) {
                spinUntil = now + options.spinNanos();
                spinStart = now;
            }
            if (now - spinUntil < 0) {
                // Pure spinning for the first microsecond (a group takes a few hundred ns), then
                // yielding, so that an oversubscribed machine runs the leader rather than us.
                if (now - spinStart < PURE_SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
                continue;
            }
            park(lsn);
        }
    }

    // ------------------------------------------------------------------ reclaiming

    /** Frees the space of every record before {@code upToLsn} (a record boundary ≤ durable). */
    void reclaim(long upToLsn) {
        synchronized (reclaimLock) {
            long h = head.lv();
            long d = durable.lv();
            long to = ring.normalize(upToLsn);
            if (to <= h) {
                return;
            }
            if (to > d) {
                throw new IllegalArgumentException("reclaim(upToLsn=" + upToLsn + "): beyond the durable end (head=" + h
                        + " durable=" + d + " capacity=" + capacity + ")");
            }
            long floor;
            if (to < d) {
                long rec = ringBase + ring.ringPos(to);
                long word = seg.get(U64, LogRecordDescriptor.lsnOffset(rec));
                if (word != to) {
                    throw new IllegalArgumentException("reclaim(upToLsn=" + upToLsn + "): not a record boundary (the lsn "
                            + "word there holds " + word + "; head=" + h + " durable=" + d + ")");
                }
                floor = seg.get(U32, LogRecordDescriptor.epochOffset(rec)) & 0xFFFF_FFFFL;
            } else {
                floor = ring.floorEpoch;
            }
            int slot = 1 - activeSlot;
            LogFormat.persistSlot(ring.media, ring.regionOffset, slot, to, floor);
            activeSlot = slot;
            head.sv(to);
        }
    }

    /** At close: makes every completed record durable (bounded: one second), then wakes every waiter. */
    void closeCommit() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (!commit() && System.nanoTime() - deadline < 0) {
            Thread.onSpinWait();
        }
        wakeAll();
        ring.durableSignal.published();
    }

    // ------------------------------------------------------------------ the hot path

    private long reserveRecord(long len, short type) {
        ring.checkOpen();
        if (ring.mirror) {
            throw new IllegalStateException(ring.where() + " is a mirror: it stores its primary's records through"
                    + " appendMirrored only (tail=" + ring.normalize(tail.lv()) + ")");
        }
        if (type == PADDING_CODE) {
            throw new IllegalArgumentException("record type 0x" + Integer.toHexString(type & 0xFFFF)
                    + " is reserved for padding");
        }
        if (len > ring.maxRecordSize) {
            throw new RecordTooLargeException("record of " + len + " payload bytes exceeds maxRecordSize="
                    + ring.maxRecordSize + " of this log (capacity=" + capacity + ")",
                    "split the record, or create the log with a larger maxRecordSize");
        }
        return reserve(LogRecordDescriptor.recordLength(len));
    }

    /** Reserves {@code size} bytes (and the padding before a wrap); returns the record's LSN. */
    private long reserve(long size) {
        boolean hookRan = false;
        long deadline = 0;
        for (;;) {
            long t = tail.lv();
            long rem = capacity - ring.ringPos(t);
            long skip = rem >= size ? 0 : rem;
            long end = t + skip + size;
            if (end - head.lv() > capacity) {
                // Full. Make what is complete durable (so that it can be reclaimed), run the hook once,
                // then fail or wait.
                commit();
                if (!hookRan) {
                    hookRan = true;
                    options.onFull().run();
                    continue;
                }
                if (end - head.lv() <= capacity) {
                    continue;
                }
                long now = System.nanoTime();
                if (options.fullPolicy() == PmLogOptions.FullPolicy.FAIL
                        || (deadline != 0 && now - deadline >= 0) || options.fullWaitTimeout().isZero()) {
                    throw full(t + skip, size);
                }
                if (deadline == 0) {
                    deadline = now + options.fullWaitTimeout().toNanos();
                }
                ring.checkOpen();
                LockSupport.parkNanos(20_000);
                continue;
            }
            if (tail.cas(t, end)) {
                if (skip >= HEADER_LENGTH) {
                    writePadding(ringBase + ring.ringPos(t), t, skip);
                }
                return t + skip;
            }
        }
    }

    private LogFullException full(long lsn, long size) {
        return new LogFullException(String.format("log full: lsn=%d head=%d durable=%d capacity=%d size=%d"
                        + " (retained %d bytes; policy %s, waited up to %d ms)", lsn, head.lv(), durable.lv(), capacity,
                size, tail.lv() - head.lv(), options.fullPolicy(),
                options.fullPolicy() == PmLogOptions.FullPolicy.FAIL ? 0 : options.fullWaitTimeout().toMillis()),
                "reclaim log space (checkpoint) sooner, or create the log with a larger capacity");
    }

    /** Header fields, then the lsn word with release semantics, then the completion bit. */
    private void complete(long rec, long lsn, short type, int len) {
        long tfe = LogRecordDescriptor.packTypeFlagsEpoch(type, (short) 0, epoch);
        int crc = ring.crc().record(lsn, tfe, rec - ringBase + HEADER_LENGTH, len);
        seg.set(U64, LogRecordDescriptor.lengthOffset(rec), LogRecordDescriptor.packLengthCrc(len, crc));
        seg.set(U64, LogRecordDescriptor.typeOffset(rec), tfe);
        LSN_WORD.setRelease(seg, LogRecordDescriptor.lsnOffset(rec), lsn);
        markComplete(rec - ringBase);
    }

    /** A padding record over {@code [lsn, lsn+bytes)}: never delivered; its CRC covers its header only. */
    private void writePadding(long rec, long lsn, long bytes) {
        int len = (int) (bytes - HEADER_LENGTH);
        long tfe = LogRecordDescriptor.packTypeFlagsEpoch(PADDING_CODE, (short) 0, epoch);
        int crc = ring.crc().record(lsn, tfe, 0, 0);
        seg.set(U64, LogRecordDescriptor.lengthOffset(rec), LogRecordDescriptor.packLengthCrc(len, crc));
        seg.set(U64, LogRecordDescriptor.typeOffset(rec), tfe);
        LSN_WORD.setRelease(seg, LogRecordDescriptor.lsnOffset(rec), lsn);
        markComplete(rec - ringBase);
    }

    /** A reservation whose copy failed becomes padding, so that the log does not stall behind it. */
    private void abandon(long rec, long lsn, long size) {
        try {
            writePadding(rec, lsn, size);
        } catch (RuntimeException | Error ignored) {
            // the media is gone (closed); nothing more can be done
        }
    }

    private void markComplete(long ringPos) {
        long bit = ringPos >>> 3;
        BITS.getAndBitwiseOrRelease(completed, (int) (bit >>> 6), 1L << bit);
    }

    private boolean isComplete(long ringPos) {
        long bit = ringPos >>> 3;
        return ((long) BITS.getAcquire(completed, (int) (bit >>> 6)) & (1L << bit)) != 0;
    }

    private void clearComplete(long ringPos) {
        long bit = ringPos >>> 3;
        BITS.getAndBitwiseAnd(completed, (int) (bit >>> 6), ~(1L << bit));
    }

    /**
     * Group commit: if no one leads, lead: take the completed prefix from the durable point (waiting
     * a moment for records already reserved but still being written, and, when the previous group
     * saw appenders arrive during its flush, for one more arrival), flush it, fence once, publish the
     * new durable point, wake waiters. Returns false if another thread leads.
     */
    private boolean commit() {
        if (!leader.cas(0, 1)) {
            return false;
        }
        boolean advanced = false;
        try {
            long d = durable.lv();
            long pos = d;
            long flushFrom = d;
            long inFlightDeadline = 0;
            boolean anticipate = groupContended;
            for (;;) {
                long limit = tail.lv();
                while (pos < limit) {
                    long p = ring.ringPos(pos);
                    if (LogRecordDescriptor.isImplicitSkip(p, capacity)) {
                        pos += capacity - p;
                        continue;
                    }
                    if (!isComplete(p)) {
                        // Reserved, still being written (a copy takes tens of ns): wait briefly so
                        // that it joins this group rather than costing a fence of its own.
                        long now = System.nanoTime();
                        if (inFlightDeadline == 0) {
                            inFlightDeadline = now + IN_FLIGHT_WAIT_NANOS;
                        }
                        if (now - inFlightDeadline < 0) {
                            Thread.onSpinWait();
                            continue;
                        }
                        break;
                    }
                    clearComplete(p);
                    long rec = ringBase + p;
                    long len = seg.get(U32, LogRecordDescriptor.lengthOffset(rec)) & 0xFFFF_FFFFL;
                    if (seg.get(U16, LogRecordDescriptor.typeOffset(rec)) == PADDING_CODE) {
                        // Only the padding's header needs to reach media; its body is never read.
                        ring.flushRange(flushFrom, pos + HEADER_LENGTH);
                        pos += HEADER_LENGTH + len;
                        flushFrom = pos;
                    } else {
                        pos += LogRecordDescriptor.recordLength(len);
                    }
                }
                if (pos < limit || !anticipate) {
                    break;
                }
                // Others appended while the previous group was flushed: one of them is probably
                // about to reserve. Give it a moment to join (PostgreSQL's commit_delay, adaptive).
                anticipate = false;
                long until = System.nanoTime() + options.groupWaitNanos();
                while (tail.lv() == limit && System.nanoTime() - until < 0) {
                    Thread.onSpinWait();
                }
                if (tail.lv() == limit) {
                    break;
                }
            }
            if (pos != d) {
                ring.flushRange(flushFrom, pos);
                ring.media.fence();
                durable.sv(ring.normalize(pos));
                advanced = true;
            }
            groupContended = tail.lv() > pos;
        } finally {
            leader.so(0);
        }
        if (advanced) {
            wakeAll();
            ring.durableSignal.published();
        }
        return true;
    }

    private void park(long lsn) {
        Thread me = Thread.currentThread();
        int slot = (int) ((me.threadId() * 0x9E3779B97F4A7C15L) >>> 58) & (WAITER_SLOTS - 1);
        int claimed = -1;
        parked.incrementAndGet();
        for (int i = 0; i < WAITER_SLOTS; i++) {
            int s = (slot + i) & (WAITER_SLOTS - 1);
            if (WAITERS.compareAndSet(waiters, s, (Thread) null, me)) {
                claimed = s;
                break;
            }
        }
        try {
            // Re-check after registering: a leader publishes durable, then unparks the registered
            // (an unpark before the park is not lost). With no leader, nobody will wake us: the
            // record before ours is still being written; look again soon.
            if (durable.lv() > lsn || ring.closed.get()) {
                return;
            }
            LockSupport.parkNanos(this, claimed >= 0 && leader.lv() != 0 ? PARK_NANOS : SHORT_PARK_NANOS);
        } finally {
            if (claimed >= 0) {
                WAITERS.setRelease(waiters, claimed, (Thread) null);
            }
            parked.decrementAndGet();
        }
    }

    private void wakeAll() {
        // Waiters count themselves before re-checking durable; we publish durable before looking.
        if (parked.get() == 0) {
            return;
        }
        for (int i = 0; i < WAITER_SLOTS; i++) {
            Thread t = (Thread) WAITERS.getAcquire(waiters, i);
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }
}
