package io.ferrite.swizzle;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JFR event committed once per swizzle, with the numbers of its {@link SwizzleReport}. Created
 * only when the Flight Recorder is initialized (a recording runs or ran in this JVM).
 */
@Name("io.ferrite.Swizzle")
@Label("Ferrite Swizzle")
@Category({"Ferrite", "Recovery"})
@Description("Pointers rewritten because the pool was mapped at another base")
@StackTrace(false)
public final class SwizzleEvent extends jdk.jfr.Event {
    @Label("Pool")
    public String pool;
    @Label("From Base")
    public long fromBase;
    @Label("To Base")
    public long toBase;
    @Label("Slabs")
    public long slabs;
    @Label("One-Pass Slabs")
    public long onePassSlabs;
    @Label("Two-Pass Slabs")
    public long twoPassSlabs;
    @Label("Objects")
    public long objects;
    @Label("Pointers")
    public long pointers;
    @Label("Bytes")
    @DataAmount
    public long bytes;
    @Label("Suspect Words")
    public long suspectWords;
    @Label("Fences")
    public long fences;
    @Label("Threads")
    public int threads;

    /** A begun event (typed Object so that callers need not load this class when JFR is off). */
    static Object started() {
        SwizzleEvent e = new SwizzleEvent();
        e.begin();
        return e;
    }

    static void commit(Object started, String pool, SwizzleReport r) {
        SwizzleEvent e = (SwizzleEvent) started;
        e.end();
        if (e.shouldCommit()) {
            e.pool = pool;
            e.fromBase = r.fromBase();
            e.toBase = r.toBase();
            e.slabs = r.slabs();
            e.onePassSlabs = r.onePassSlabs();
            e.twoPassSlabs = r.twoPassSlabs();
            e.objects = r.objects();
            e.pointers = r.pointers();
            e.bytes = r.bytes();
            e.suspectWords = r.suspectWords();
            e.fences = r.fences();
            e.threads = r.threads();
            e.commit();
        }
    }
}
