package io.ferrite.replicator.basecopy;

import io.ferrite.pheap.RetentionFloor;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Holds the primary's log from the checkpoint LSN C of each base copy in progress, so that the
 * replica can replay the records from C over its fuzzy image: one entry per destination, from
 * when the image is taken until that destination streams again (its slot holds the log then).
 * Plug it into the heap's retention floor next to the slots:
 * {@code HeapOptions.retentionFloor(() -> Math.min(slots.floorLsn(), holds.floorLsn()))}.
 *
 * <p><b>Bounded.</b> A hold keeps at most {@code maxHeldBytes} of log (the {@link BaseCopySource}
 * sets it): once the primary's durable LSN is further than that past C, the hold is dropped (logged
 * at WARNING) and the copy of that image fails at its next chunk; the next attempt takes a new
 * image. A replica that stalls a copy never fills the primary's log.
 *
 * <p>Threading: thread-safe; {@link #floorLsn} is lock-free, as the checkpointer needs.
 */
public final class BaseCopyHolds implements RetentionFloor {
    private static final System.Logger LOG = System.getLogger("io.ferrite.replicator");

    private final Map<String, Long> holds = new ConcurrentHashMap<>();
    /** Destinations whose hold is exempt from the bound: while their image is being taken (a moment). */
    private final Map<String, Boolean> taking = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();
    private volatile LongSupplier durableLsn = () -> Long.MIN_VALUE;
    private volatile long maxHeldBytes = Long.MAX_VALUE;

    /** Called by the source: where the log stands, and the bound. */
    void bind(LongSupplier durable, long maxBytes) {
        this.durableLsn = durable;
        this.maxHeldBytes = maxBytes;
    }

    void hold(String destination, long lsn) {
        holds.put(destination, lsn);
    }

    /** Holds from {@code lsn}, exempt from the bound until {@link #hold} names the image's C. */
    void holdWhileTaking(String destination, long lsn) {
        taking.put(destination, Boolean.TRUE);
        holds.put(destination, lsn);
    }

    void taken(String destination) {
        taking.remove(destination);
    }

    void release(String destination) {
        taking.remove(destination);
        holds.remove(destination);
    }

    /** True while the log is held for {@code destination} from {@code lsn} or before, within the bound. */
    boolean covers(String destination, long lsn) {
        Long h = holds.get(destination);
        if (h == null || h > lsn) {
            return false;
        }
        return !overrun(destination, h);
    }

    private boolean overrun(String destination, long h) {
        long d = durableLsn.getAsLong();
        if (d - h <= maxHeldBytes || taking.containsKey(destination)) {
            return false;
        }
        if (holds.remove(destination, h)) {
            dropped.incrementAndGet();
            LOG.log(System.Logger.Level.WARNING, "base copy to " + destination + ": the log written since its checkpoint LSN " + h
                    + " (" + (d - h) + " bytes) passed the bound of " + maxHeldBytes + " bytes; the log is no longer held for it"
                    + " and the copy starts over with a new image");
        }
        return true;
    }

    /** Holds dropped because they passed the bound. */
    public long dropped() {
        return dropped.get();
    }

    /** The LSN held for {@code destination}, or {@link #NONE}. */
    public long heldFor(String destination) {
        Long h = holds.get(destination);
        return h == null ? NONE : h;
    }

    @Override
    public long floorLsn() {
        long floor = NONE;
        for (Map.Entry<String, Long> e : holds.entrySet()) {
            long h = e.getValue();
            if (!overrun(e.getKey(), h)) {
                floor = Math.min(floor, h);
            }
        }
        return floor;
    }
}
