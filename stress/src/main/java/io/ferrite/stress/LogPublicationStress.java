package io.ferrite.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import io.ferrite.pmlog.PayloadWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Publication of a log record through its commit word: a reader that finds a record's LSN word
 * (acquire) holding the record's LSN must find the record's payload, never the stale bytes of an
 * earlier lap of the ring. The appender copies the payload, writes the header, then
 * release-stores the LSN word ({@code LogAppender.complete}). The payload is two words derived
 * from the LSN, so bytes of any earlier record at that place differ.
 */
@JCStressTest
@Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "The reader ran before the reservation: nothing to look at.")
@Outcome(id = "1, 0", expect = ACCEPTABLE_INTERESTING, desc = "Reserved, commit word not yet published: the reader must ignore the record.")
@Outcome(id = "2, 0", expect = ACCEPTABLE, desc = "Commit word published and both payload words are the new record's.")
@Outcome(id = "3, 0", expect = FORBIDDEN, desc = "Commit word published but a payload word is stale: publication is broken.")
@Outcome(id = ".*, 1", expect = FORBIDDEN, desc = "After the append returned, the commit word or payload is wrong.")
@State
public class LogPublicationStress {
    static final long MAGIC = 0x5EED_F00D_CAFE_0000L;
    volatile long reserved = -1;
    long lsn = -1;
    private final PayloadWriter writer = new PayloadWriter() {
        @Override
        public void reserved(long l) {
            reserved = l;
        }

        @Override
        public void write(MemorySegment seg, long offset, int length) {
            long l = reserved;
            seg.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, l ^ MAGIC);
            seg.set(ValueLayout.JAVA_LONG_UNALIGNED, offset + 8, ~l ^ MAGIC);
        }
    };

    @Actor
    public void appender() {
        lsn = SharedLog.LOG.appendAsync(16, SharedLog.TYPE, writer);
    }

    @Actor
    public void reader(II_Result r) {
        long l = reserved;
        if (l < 0) {
            r.r1 = 0;
        } else if (SharedLog.lsnWord(l) != l) {
            r.r1 = 1;
        } else if (SharedLog.payloadWord(l, 0) == (l ^ MAGIC) && SharedLog.payloadWord(l, 1) == (~l ^ MAGIC)) {
            r.r1 = 2;
        } else {
            r.r1 = 3;
        }
    }

    @Arbiter
    public void check(II_Result r) {
        long l = lsn;
        boolean ok = l == reserved && SharedLog.lsnWord(l) == l && SharedLog.payloadWord(l, 0) == (l ^ MAGIC)
                && SharedLog.payloadWord(l, 1) == (~l ^ MAGIC);
        r.r2 = ok ? 0 : 1;
        SharedLog.settle(l);
    }
}
