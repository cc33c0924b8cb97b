package io.ferrite.replicator.primary;

import io.ferrite.pheap.RetentionFloor;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The replication slots of a primary, one per destination: the LSNs the destination acknowledged
 * durable and applied. Plugged into the heap as its {@link RetentionFloor}: the log is reclaimed
 * only up to the lowest acknowledged durable LSN of any slot, so a shipper never finds the records
 * it still has to send reclaimed.
 *
 * <p><b>Held in memory only</b> in this version (docs/decisions.md): after a restart of the
 * primary the slots start again from what each replica says in its HELLO; there is no retention
 * bound yet, so a replica that never comes back holds the log until its slot is {@link #drop}ped.
 *
 * <p>Threading: thread-safe; {@link #floorLsn} is cheap and lock-free, as the checkpointer needs.
 */
public final class Slots implements RetentionFloor {
    /** One destination's acknowledged position. */
    public static final class Slot {
        private final String name;
        private volatile long durableLsn;
        private volatile long appliedLsn;

        Slot(String name, long lsn) {
            this.name = name;
            this.durableLsn = lsn;
            this.appliedLsn = lsn;
        }

        public String name() {
            return name;
        }

        public long durableLsn() {
            return durableLsn;
        }

        public long appliedLsn() {
            return appliedLsn;
        }

        /** Acks never move a slot back (an old ACK that arrives late is ignored). */
        synchronized void acked(long durable, long applied) {
            if (durable > durableLsn) {
                durableLsn = durable;
            }
            if (applied > appliedLsn) {
                appliedLsn = applied;
            }
        }

        @Override
        public String toString() {
            return name + "[durable=" + durableLsn + " applied=" + appliedLsn + "]";
        }
    }

    private final Map<String, Slot> slots = new ConcurrentHashMap<>();

    /** The slot named {@code name}, made at {@code lsn} if it does not exist yet. */
    public Slot slot(String name, long lsn) {
        return slots.computeIfAbsent(name, n -> new Slot(n, lsn));
    }

    /** The slot named {@code name}, or null. */
    public Slot get(String name) {
        return slots.get(name);
    }

    /** Forgets a slot: the log it held may be reclaimed at the next checkpoint. */
    public void drop(String name) {
        slots.remove(name);
    }

    @Override
    public long floorLsn() {
        long floor = NONE;
        for (Slot s : slots.values()) {
            floor = Math.min(floor, s.durableLsn);
        }
        return floor;
    }
}
