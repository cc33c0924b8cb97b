package io.ferrite.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.ferrite.pmlog.LogRecordDescriptor;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Two appenders reserve at the same time (a CAS on the tail, {@code LogAppender.reserve}): their
 * records, of different sizes, must get disjoint LSN ranges, and each record's commit word must
 * hold its own LSN afterwards (one did not overwrite the other's header).
 */
@JCStressTest
@Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "The first appender reserved first; ranges disjoint; both records intact.")
@Outcome(id = "2, 1, 1", expect = ACCEPTABLE, desc = "The second appender reserved first; ranges disjoint; both records intact.")
@Outcome(id = ".*, 0, .*", expect = FORBIDDEN, desc = "The two reservations overlap: two records share log bytes.")
@Outcome(id = ".*, .*, 0", expect = FORBIDDEN, desc = "A record's commit word does not hold its LSN after both appends returned.")
@Outcome(id = "0, .*, .*", expect = FORBIDDEN, desc = "Both appenders got the same LSN.")
@State
public class LogReservationStress {
    static final int LEN1 = 8;
    static final int LEN2 = 40;
    static final byte[] P1 = new byte[LEN1];
    static final byte[] P2 = new byte[LEN2];
    long lsn1;
    long lsn2;

    @Actor
    public void appender1() {
        lsn1 = SharedLog.LOG.appendAsync(P1, SharedLog.TYPE);
    }

    @Actor
    public void appender2() {
        lsn2 = SharedLog.LOG.appendAsync(P2, SharedLog.TYPE);
    }

    @Arbiter
    public void check(III_Result r) {
        long e1 = lsn1 + LogRecordDescriptor.recordLength(LEN1);
        long e2 = lsn2 + LogRecordDescriptor.recordLength(LEN2);
        r.r1 = lsn1 < lsn2 ? 1 : lsn2 < lsn1 ? 2 : 0;
        r.r2 = e1 <= lsn2 || e2 <= lsn1 ? 1 : 0;
        r.r3 = SharedLog.lsnWord(lsn1) == lsn1 && SharedLog.lsnWord(lsn2) == lsn2 ? 1 : 0;
        SharedLog.settle(Math.max(lsn1, lsn2));
    }
}
