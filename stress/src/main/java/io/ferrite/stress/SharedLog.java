package io.ferrite.stress;

import io.ferrite.media.Media;
import io.ferrite.pmlog.LogHeaderDescriptor;
import io.ferrite.pmlog.LogRecordDescriptor;
import io.ferrite.pmlog.PmLog;
import io.ferrite.pmlog.PmLogOptions;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One log per fork, over in-memory media (the same appender and ring code as a pool's log; only
 * flush and fence are no-ops), shared by every state of a test: formatting a log per sample would
 * dominate the run. States reclaim it from their arbiter (jcstress runs arbiters after every actor
 * of the batch), so the ring never fills; it is sized for many batches, and fails rather than waits
 * if it ever does fill, which jcstress reports as an error.
 */
final class SharedLog {
    static final long CAPACITY = 16L << 20;
    static final short TYPE = 7;
    static final PmLog LOG;
    static final MemorySegment SEG;
    static final long RING;

    static {
        Media media = Media.inMemory(PmLog.regionLength(CAPACITY));
        LOG = PmLog.format(media, 0, media.size(),
                PmLogOptions.defaults().fullPolicy(PmLogOptions.FullPolicy.FAIL));
        SEG = media.segment();
        RING = LogHeaderDescriptor.ringOffset(0);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.close();
            media.close();
        }, "stress-log-close"));
    }

    private SharedLog() {
    }

    /** Offset in {@link #SEG} of the record at {@code lsn}. */
    static long record(long lsn) {
        return RING + lsn % CAPACITY;
    }

    /** The record's LSN word, read with acquire (as a reader of the log does). */
    static long lsnWord(long lsn) {
        return (long) LogRecordDescriptor.LSN_WORD.getAcquire(SEG, LogRecordDescriptor.lsnOffset(record(lsn)));
    }

    static long payloadWord(long lsn, int i) {
        return SEG.get(ValueLayout.JAVA_LONG_UNALIGNED, LogRecordDescriptor.payloadOffset(record(lsn)) + 8L * i);
    }

    /** Arbiter housekeeping: make {@code lsn} durable; past half the ring, reclaim to the durable end. */
    static void settle(long lsn) {
        if (lsn >= 0) {
            LOG.awaitDurable(lsn);
        }
        if (LOG.tailLsn() - LOG.headLsn() > CAPACITY / 2) {
            synchronized (SharedLog.class) {
                if (LOG.tailLsn() - LOG.headLsn() > CAPACITY / 2) {
                    LOG.reclaim(LOG.durableLsn());
                }
            }
        }
    }
}
