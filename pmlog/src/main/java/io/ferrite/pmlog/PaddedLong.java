package io.ferrite.pmlog;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** Padding before the value: keeps hot counters of the log on cache lines of their own. */
abstract class PaddedLongLhs {
    long p00, p01, p02, p03, p04, p05, p06, p07;
    long p08, p09, p10, p11, p12, p13, p14, p15;
}

abstract class PaddedLongValue extends PaddedLongLhs {
    volatile long value;
}

/**
 * A volatile long alone on its cache lines (JCTools/Agrona padding by inheritance, no
 * {@code @Contended}). Method names say the ordering: {@code lv} load-volatile, {@code sv}
 * store-volatile, {@code so} store-ordered (release), {@code cas}.
 */
final class PaddedLong extends PaddedLongValue {
    long p16, p17, p18, p19, p20, p21, p22, p23;
    long p24, p25, p26, p27, p28, p29, p30, p31;

    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(PaddedLongValue.class, "value", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    PaddedLong(long initial) {
        this.value = initial;
    }

    long lv() {
        return value;
    }

    void sv(long v) {
        value = v;
    }

    void so(long v) {
        VALUE.setRelease(this, v);
    }

    boolean cas(long expect, long update) {
        return VALUE.compareAndSet(this, expect, update);
    }
}
