package io.ferrite.swizzle;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** JFR event committed once per swizzle, with the numbers of its {@link SwizzleReport}. */
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
}
