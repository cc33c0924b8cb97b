package io.ferrite.bench;

import java.util.List;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * The slots one benchmark thread fills during an iteration: thread {@code i} of {@code n} owns
 * {@code [i * slots / n, (i + 1) * slots / n)}, so threads never write the same slot and never
 * contend on a shared counter. {@link #next} is touched by its own thread only during an
 * iteration and by the iteration teardown after JMH has stopped every thread (JMH's iteration
 * barrier orders the two).
 */
final class SlotRange {

    final long from;
    final long end;
    long next;
    private final String bench;
    private final long poolMiB;

    private SlotRange(long from, long end, String bench, long poolMiB) {
        this.from = from;
        this.end = end;
        this.next = from;
        this.bench = bench;
        this.poolMiB = poolMiB;
    }

    /** The range of the calling benchmark thread, registered in {@code all} so the teardown finds it. */
    static SlotRange of(ThreadParams t, long slots, List<SlotRange> all, String bench, long poolMiB) {
        long n = t.getThreadCount();
        long i = t.getThreadIndex();
        SlotRange r = new SlotRange(i * slots / n, (i + 1) * slots / n, bench, poolMiB);
        all.add(r);
        return r;
    }

    /** Called by the iteration teardown before it frees the range: warns when the range was nearly used up. */
    void noteUse() {
        long used = next - from;
        if (used > (end - from) / 4 * 3) {
            System.out.println(bench + ": a thread used " + used + " of its " + (end - from) + " slots in one iteration;"
                    + " longer iterations would stop. Use -jvmArgsPrepend -Dferrite.bench.poolMiB=" + 2 * poolMiB + " or a shorter -r");
        }
    }

    /** The next slot of this thread; fails with advice when the iteration outgrew the pool. */
    long take() {
        long i = next;
        if (i >= end) {
            throw new IllegalStateException(bench + ": a thread allocated more than " + (end - from)
                    + " objects in one iteration; run with a bigger pool (-jvmArgsPrepend -Dferrite.bench.poolMiB="
                    + 2 * poolMiB + ") or shorter iterations (-r)");
        }
        next = i + 1;
        return i;
    }
}
