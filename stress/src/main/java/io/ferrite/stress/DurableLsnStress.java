package io.ferrite.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.ferrite.pmlog.PayloadWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The durable LSN against a reservation in progress. One actor reserves a record and writes it
 * ({@code appendAsync} with a writer that publishes the reserved LSN first); the other reads
 * {@code durableLsn()} twice around that LSN, then makes its own record durable with a
 * synchronous {@code append}, which leads a group commit over whatever is complete (and waits for
 * the first actor's record if that was reserved before its own). Durable never moves backwards;
 * when it has passed the reserved LSN, the record there is complete (its commit word holds the
 * LSN): group commit stops at the first incomplete record.
 */
@JCStressTest
@Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "Read before the reservation was published.")
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "Reserved, durable not yet past it.")
@Outcome(id = "1, 2, 1", expect = ACCEPTABLE, desc = "Durable past the reservation, whose record is complete.")
@Outcome(id = "1, 3, .*", expect = FORBIDDEN, desc = "Durable passed a reservation whose record is incomplete.")
@Outcome(id = "0, .*, .*", expect = FORBIDDEN, desc = "durableLsn moved backwards between two reads.")
@Outcome(id = ".*, .*, 0", expect = FORBIDDEN, desc = "After the synchronous append returned, durable is not past it.")
@State
public class DurableLsnStress {
    static final byte[] PAYLOAD = new byte[24];
    volatile long reserved = -1;
    long asyncLsn = -1;
    private final PayloadWriter writer = new PayloadWriter() {
        @Override
        public void reserved(long l) {
            reserved = l;
        }

        @Override
        public void write(MemorySegment seg, long offset, int length) {
            seg.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, reserved);
        }
    };

    @Actor
    public void appender() {
        asyncLsn = SharedLog.LOG.appendAsync(8, SharedLog.TYPE, writer);
    }

    @Actor
    public void committer(III_Result r) {
        long d1 = SharedLog.LOG.durableLsn();
        long l = reserved;
        long d2 = SharedLog.LOG.durableLsn();
        r.r1 = d2 >= d1 ? 1 : 0;
        if (l < 0) {
            r.r2 = 0;
        } else if (d2 <= l) {
            r.r2 = 1;
        } else {
            r.r2 = SharedLog.lsnWord(l) == l ? 2 : 3;
        }
        long mine = SharedLog.LOG.append(PAYLOAD, SharedLog.TYPE);
        long d3 = SharedLog.LOG.durableLsn();
        r.r3 = d3 > mine && d3 >= d2 ? 1 : 0;
    }

    @Arbiter
    public void settle() {
        SharedLog.settle(asyncLsn);
    }
}
