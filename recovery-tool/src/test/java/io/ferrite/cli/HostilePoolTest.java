package io.ferrite.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.HeapOptions;
import io.ferrite.pheap.PType;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import io.ferrite.pheap.format.SlabTableDescriptor;
import io.ferrite.pheap.format.Superblock;
import io.ferrite.pheap.format.SuperblockDescriptor;
import io.ferrite.pheap.format.TypeDescriptor;
import io.ferrite.swizzle.Pointers;
import io.ferrite.swizzle.RecordedBaseDescriptor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Pools crafted to be hostile or caught mid-way (issue 20): an interrupted swizzle, wrapped
 * geometry, shared objects under {@code dump --root}, huge slabs, control characters in names,
 * absurd slab bases and overlapping slabs. Every command answers in bounded time and memory, in
 * one line or a finding that names the structure, never with a stack trace or a wrong answer.
 */
class HostilePoolTest {
    private final List<Path> pools = new ArrayList<>();

    private Path track(Path p) {
        pools.add(p);
        return p;
    }

    @AfterEach
    void cleanUp() {
        pools.forEach(TestPools::delete);
    }

    private static TestPools.Run run(String... args) {
        return org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(60), () -> TestPools.run(args));
    }

    /** The pool's model as the tool decodes it (read-only). */
    private static PoolModel model(Path p) {
        try (PoolImage img = PoolImage.open(p, false)) {
            MemorySegment copy = Arena.ofAuto().allocate(img.seg.byteSize(), 4096);
            MemorySegment.copy(img.seg, 0, copy, 0, img.seg.byteSize());
            return PoolModel.decode(copy, img.sb);
        }
    }

    private static PoolModel.Slab slabOf(PoolModel m, String type) {
        PoolModel.Type t = m.byName.get(type);
        for (PoolModel.Slab s : m.slabs) {
            if (s.ok && s.typeId == t.id()) {
                return s;
            }
        }
        throw new AssertionError("no slab of " + type);
    }

    private static long entry(PoolModel m, int slab) {
        return SlabTableDescriptor.entryOffset(m.sb.slabTableOffset(), slab);
    }

    /** Rewrites both superblock copies (with their CRCs) through {@code change}. */
    static void rewriteSuperblocks(Path p, UnaryOperator<Superblock> change) {
        for (int slot = 0; slot < 2; slot++) {
            long off = SuperblockDescriptor.slotOffset(slot);
            MemorySegment b = Arena.ofAuto().allocate(SuperblockDescriptor.LENGTH, 8);
            MemorySegment.copy(MemorySegment.ofArray(TestPools.read(p, off, SuperblockDescriptor.LENGTH)), 0, b, 0, b.byteSize());
            change.apply(Superblock.read(b, 0)).write(b, 0);
            TestPools.patch(p, off, b.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
    }

    private static void assertOneLine(TestPools.Run r, String cmd) {
        assertFalse(r.err().contains("\tat "), cmd + ": stack trace: " + r);
        assertFalse(r.err().contains("internal error"), cmd + ": " + r);
        assertTrue(r.err().lines().count() <= 1, cmd + ": not one line: " + r);
    }

    // ------------------------------------------------------------------ item 4

    /**
     * A writer that crashed mid-swizzle leaves slabs in MIXED (tagged words) or SHIFT (words for
     * either of two bases): a legal crash state that recovery completes. check calls it "needs
     * recovery", finds no leak, and --repair (the heap's open) finishes it.
     */
    @Test
    void interruptedSwizzleNeedsRecoveryNotARestore() {
        for (int state : new int[] {RecordedBaseDescriptor.STATE_MIXED, RecordedBaseDescriptor.STATE_SHIFT}) {
            Path p = track(TestPools.bank("swizzle-" + state, 20));
            PoolModel m = model(p);
            PoolModel.Slab s = slabOf(m, "Account");
            long b = RecordedBaseDescriptor.base(s.recordedBase);
            long shifted = b + 16 * m.sb.poolSize();
            int rewritten = 0;
            for (int i = 0; i < s.count; i++) {
                if (!s.allocated(i)) {
                    continue;
                }
                for (PoolModel.Field f : m.byName.get("Account").pointers()) {
                    long at = s.objectOffset(i) + f.offset();
                    long v = TestPools.u64(p, at);
                    if (v == 0) {
                        continue;
                    }
                    // MIXED: every other word tagged; SHIFT: every other word for the new base
                    if ((rewritten++ & 1) == 0) {
                        TestPools.patch(p, at, TestPools.le64(state == RecordedBaseDescriptor.STATE_MIXED
                                ? Pointers.tagged(v - b) : v - b + shifted));
                    }
                }
            }
            long word = state == RecordedBaseDescriptor.STATE_MIXED ? RecordedBaseDescriptor.mixed(b)
                    : RecordedBaseDescriptor.shift(shifted);
            TestPools.patch(p, entry(m, s.index) + SlabTableDescriptor.RECORDED_BASE_OFFSET, TestPools.le64(word));
            // as a crash leaves it: recovery clears the clean-close flag before it swizzles
            rewriteSuperblocks(p, sb -> sb.next(sb.checkpointLsn(), false));
            String what = RecordedBaseDescriptor.describe(word);

            TestPools.Run check = run("check", p.toString());
            assertEquals(4, check.exit(), what + ": " + check);
            assertFalse(check.out().contains("(leaked)"), what + ": false leaks: " + check.out());
            assertFalse(check.out().contains("\n  error:"), what + ": an error: " + check.out());
            assertFalse(check.out().contains("restore"), what + ": told to restore: " + check.out());
            assertTrue(check.out().contains("needs recovery: pointer") && check.out().contains("slab " + s.index), what + ": "
                    + check.out());
            assertTrue(check.out().contains("reachability: 41 objects reachable from the root, 0 leaked"), what + ": " + check.out());
            TestPools.Run dump = run("dump", "--root", "--depth", "30", p.toString());
            assertEquals(0, dump.exit(), what + ": " + dump);
            assertFalse(dump.out().contains("bad pointer"), what + ": " + dump.out());
            TestPools.Run repair = run("check", "--repair", p.toString());
            assertEquals(1, repair.exit(), what + ": " + repair);
            TestPools.Run after = run("check", p.toString());
            assertEquals(0, after.exit(), what + ": " + after);
        }
    }

    // ------------------------------------------------------------------ item 9

    private static Superblock geometry(Superblock s, long registryLength, long slabTableLength, long logOffset, long logLength,
            long slabAreaOffset, int slabSize, int slabCount) {
        return new Superblock(s.formatVersion(), s.flags(), s.sequence(), s.poolId(), s.poolSize(), slabSize, slabCount,
                s.registryOffset(), registryLength, s.registryOffset() + registryLength, slabTableLength, logOffset, logLength,
                slabAreaOffset, s.baseAddress(), s.checkpointLsn(), s.term(), s.created());
    }

    /**
     * Region sums that wrap past 2^63 pass a naive "regions in order" check: the tool then sized
     * arrays from them (2^31-1 slabs) or read past the file. Every read command says the
     * superblock is inconsistent, in one line (check: as a finding), exit 4.
     */
    @Test
    void wrappedGeometryIsDamageNotACrash() {
        List<UnaryOperator<Superblock>> hostile = new ArrayList<>();
        // 2^31-1 slabs of 4 KiB after a log whose length wraps the sum negative
        hostile.add(s -> {
            long st = 1L << 36;
            long logOff = s.slabTableOffset() + st;
            long logLen = Long.MAX_VALUE - logOff + 1 + 4096;
            return geometry(s, s.registryLength(), st, logOff, logLen, logOff + logLen, 4096, Integer.MAX_VALUE);
        });
        // a registry whose length wraps its end around to before the slab table
        hostile.add(s -> with(s, "registryLength", Long.MAX_VALUE));
        // boundary values of single fields
        hostile.add(s -> with(s, "slabAreaOffset", Long.MAX_VALUE - 4095));
        hostile.add(s -> with(s, "slabCount", -1));
        hostile.add(s -> with(s, "slabSize", 0));
        hostile.add(s -> with(s, "slabSize", Integer.MIN_VALUE));
        hostile.add(s -> with(s, "registryOffset", s.registryOffset() + 1));
        hostile.add(s -> with(s, "slabTableLength", 0));
        hostile.add(s -> with(s, "logLength", -1));
        hostile.add(s -> with(s, "logOffset", s.slabAreaOffset()));
        int runs = 0;
        for (int i = 0; i < hostile.size(); i++) {
            Path p = track(TestPools.bank("wrap-" + i, 2));
            rewriteSuperblocks(p, hostile.get(i));
            for (String cmd : new String[] {"info", "dump", "recover", "log"}) {
                TestPools.Run r = run(cmd, p.toString());
                runs++;
                assertEquals(4, r.exit(), "variant " + i + ": " + cmd + ": " + r);
                assertOneLine(r, cmd);
                assertTrue(r.err().contains("is inconsistent") && r.err().contains("ferrite check"), cmd + ": " + r);
            }
            TestPools.Run check = run("check", p.toString());
            runs++;
            assertEquals(4, check.exit(), "variant " + i + ": " + check);
            assertTrue(check.err().isEmpty(), check.toString());
            assertTrue(check.out().contains("is inconsistent"), check.out());
        }
        System.out.println("hostile geometry: " + hostile.size() + " superblocks, " + runs + " command runs checked");
    }

    /** {@code s} with one component replaced (by name), for crafting superblocks. */
    static Superblock with(Superblock s, String component, long value) {
        try {
            var comps = Superblock.class.getRecordComponents();
            Object[] args = new Object[comps.length];
            Class<?>[] types = new Class<?>[comps.length];
            for (int i = 0; i < comps.length; i++) {
                types[i] = comps[i].getType();
                args[i] = comps[i].getName().equals(component) ? (types[i] == int.class ? (Object) (int) value : (Object) value)
                        : comps[i].getAccessor().invoke(s);
            }
            return Superblock.class.getDeclaredConstructor(types).newInstance(args);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** Whatever escapes a command (an Error too) is one line and exit 8; the trace only with --verbose. */
    @Test
    void anErrorEscapingACommandIsOneLine() {
        java.io.StringWriter o = new java.io.StringWriter();
        java.io.StringWriter e = new java.io.StringWriter();
        int code = Ferrite.runCommand(new Throwing(), new String[0], new java.io.PrintWriter(o, true), new java.io.PrintWriter(e, true));
        assertEquals(8, code, e.toString());
        assertEquals(1, e.toString().lines().count(), e.toString());
        assertTrue(e.toString().startsWith("ferrite throwing: internal error: OutOfMemoryError: Java heap space"), e.toString());
    }

    @picocli.CommandLine.Command(name = "throwing")
    static final class Throwing implements java.util.concurrent.Callable<Integer> {
        @Override
        public Integer call() {
            throw new OutOfMemoryError("Java heap space");
        }
    }

    // ------------------------------------------------------------------ item 10

    private static Path fan(String name, int objects, int pointers) {
        PType.Builder b = PType.builder("Fan");
        for (int i = 0; i < pointers; i++) {
            b.pointer("p" + i, "Fan");
        }
        PType fan = b.build();
        Path p = TestPools.fresh(name);
        try (Heap h = Heap.create(p, TestPools.SIZE, TestPools.options()); Tx tx = h.begin()) {
            Ref root = tx.root(fan);
            Ref[] all = new Ref[objects];
            for (int i = 0; i < objects; i++) {
                all[i] = tx.allocate(fan);
            }
            for (Ref from : all) {
                for (int i = 0; i < pointers; i++) {
                    tx.setRef(from, fan.field("p" + i), all[i % objects]);
                }
            }
            for (int i = 0; i < pointers; i++) {
                tx.setRef(root, fan.field("p" + i), all[i % objects]);
            }
            tx.commit();
        }
        return p;
    }

    /**
     * {@code dump --root} visits each object once (a repeat prints a reference), so shared
     * objects cost their number, not the number of paths to them; {@code --limit} holds there too.
     */
    @Test
    void sharedObjectsAreDumpedOnce() {
        Path small = track(fan("fan-small", 4, 8));
        TestPools.Run r = run("dump", "--root", small.toString());
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().endsWith("(5 objects)\n"), "each of the 5 objects once: " + r.out().lines().reduce((a, c) -> c).orElse(""));
        assertTrue(r.out().contains("(shown above)"), r.out());
        TestPools.Run json = run("dump", "--root", "--json", small.toString());
        assertEquals(5, json.out().split("\"type\": \"Fan\"").length - 1, json.out());
        TestPools.Run limited = run("dump", "--root", "--limit", "2", small.toString());
        assertTrue(limited.out().endsWith("(2 objects)\n"), limited.out());
        // the reproducer: four objects of 128 pointers each, at the default depth
        Path big = track(fan("fan-big", 4, 128));
        TestPools.Run b = run("dump", "--root", big.toString());
        assertEquals(0, b.exit(), b.toString().substring(0, Math.min(2000, b.toString().length())));
        assertTrue(b.out().endsWith("(5 objects)\n"), b.out().lines().reduce((a, c) -> c).orElse(""));
    }

    // ------------------------------------------------------------------ item 11

    /**
     * check reads a pool with 256 MiB slabs through bounded buffers: no slab-sized zero buffer, no
     * array per free slot (the same code reads 1 GiB slabs; 256 MiB keeps the test's file small).
     */
    @Test
    void checkOfHugeSlabsUsesBoundedBuffers() {
        int slab = 256 << 20;
        Path p = track(TestPools.fresh("huge-slabs"));
        try (Heap h = Heap.create(p, slab + (4L << 20), HeapOptions.defaults().slabSize(slab).logCapacity(256 << 10)
                .checkpointInterval(Duration.ZERO))) {
            TestPools.fill(h, 0);
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        TestPools.Run check = TestPools.runCheck(p.toString());
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertEquals(0, check.exit(), check.toString());
        System.out.println("check of a pool with 256 MiB slabs allocated " + (allocated >> 20) + " MiB on the heap");
        assertTrue(allocated < 32L << 20, "check allocated " + allocated + " bytes for a pool with 256 MiB slabs");
    }

    /**
     * Every slot of a 256 MiB slab marked allocated (4.8 million Banks, one of them the root): check
     * lists the leaks and keeps what --repair would free without a copy per object.
     */
    @Test
    void checkOfMillionsOfLeaksUsesBoundedMemory() {
        int slab = 256 << 20;
        Path p = track(TestPools.fresh("many-leaks"));
        try (Heap h = Heap.create(p, slab + (4L << 20), HeapOptions.defaults().slabSize(slab).logCapacity(256 << 10)
                .checkpointInterval(Duration.ZERO))) {
            TestPools.fill(h, 0);
        }
        PoolModel.Slab s = slabOf(model(p), "Bank");
        byte[] ones = new byte[s.bits.length * 8];
        java.util.Arrays.fill(ones, (byte) -1);
        if ((s.count & 63) != 0) {
            for (int b = s.count & 63; b < 64; b++) {
                ones[ones.length - 8 + b / 8] &= (byte) ~(1 << (b % 8));
            }
        }
        TestPools.patch(p, s.start + io.ferrite.pheap.format.SlabHeaderDescriptor.BITMAP_OFFSET, ones);
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = mx.getCurrentThreadAllocatedBytes();
        TestPools.Run check = TestPools.runCheck(p.toString());
        long allocated = mx.getCurrentThreadAllocatedBytes() - before;
        assertEquals(4, check.exit(), check.toString());
        assertTrue(check.out().contains("1 objects reachable from the root, " + (s.count - 1) + " leaked"), check.out());
        System.out.println("check of " + s.count + " objects, " + (s.count - 1) + " leaked, allocated " + (allocated >> 20)
                + " MiB on the heap");
        assertTrue(allocated < 64L << 20, "check allocated " + allocated + " bytes for " + (s.count - 1) + " leaks");
    }

    // ------------------------------------------------------------------ item 12

    /** Type and field names come from the pool: control characters in them are escaped, never sent to the terminal. */
    @Test
    void controlCharactersInNamesAreEscaped() {
        String typeName = "Evil\u001b]0;owned\u0007\u009b31m";
        PType evil = PType.builder(typeName).int64("x\u001b[2J").pointer("next\r", typeName).build();
        Path p = track(TestPools.fresh("escape"));
        try (Heap h = Heap.create(p, TestPools.SIZE, TestPools.options()); Tx tx = h.begin()) {
            Ref r = tx.root(evil);
            tx.allocate(evil); // leaked: check names it
            tx.setLong(r, evil.field("x\u001b[2J"), 7);
            tx.commit();
        }
        int outputs = 0;
        for (String[] args : new String[][] {{"info"}, {"dump"}, {"dump", "--root"}, {"check"}, {"dump", "--type", "nope"}}) {
            String[] full = java.util.Arrays.copyOf(args, args.length + 1);
            full[args.length] = p.toString();
            TestPools.Run r = run(full);
            for (String text : new String[] {r.out(), r.err()}) {
                outputs++;
                for (char c : text.toCharArray()) {
                    assertFalse((c < 0x20 && c != '\n') || (c >= 0x7f && c < 0xa0), String.join(" ", args) + ": raw control 0x"
                            + Integer.toHexString(c) + " in: " + text);
                }
            }
            assertTrue(r.out().contains("Evil\\u001b]0;owned\\u0007\\u009b31m") || r.err().contains("Evil\\u001b"),
                    String.join(" ", args) + ": " + r);
        }
        for (String cmd : new String[] {"info", "dump", "check"}) {
            TestPools.Run r = run(cmd, "--json", p.toString());
            outputs++;
            assertTrue(r.out().contains("Evil\\u001b]0;owned\\u0007\\u009b31m"), cmd + ": " + r.out());
            assertFalse(r.out().chars().anyMatch(c -> c == 0x1b || c == 0x07 || c == 0x9b || c == '\r'), cmd + ": " + r.out());
        }
        System.out.println("escapes: " + outputs + " outputs checked");
    }

    /**
     * A registry header whose root offset changed without its CRC (issue 20 item 8, the tool's
     * side): check and info name the header, dump --root refuses in one line instead of following
     * the root into the registry.
     */
    @Test
    void aDamagedRegistryHeaderIsNamedByEveryCommand() {
        Path p = track(TestPools.bank("registry-header", 3));
        long reg = model(p).sb.registryOffset();
        TestPools.patch(p, reg + io.ferrite.pheap.format.TypeRegistryDescriptor.ROOT_OFFSET_OFFSET, TestPools.le64(reg + 64));
        TestPools.Run check = run("check", p.toString());
        assertEquals(4, check.exit(), check.toString());
        assertTrue(check.out().contains("registry header CRC32C mismatch"), check.out());
        TestPools.Run info = run("info", p.toString());
        assertEquals(4, info.exit(), info.toString());
        assertTrue(info.err().contains("registry header CRC32C mismatch"), info.toString());
        TestPools.Run dump = run("dump", "--root", p.toString());
        assertEquals(4, dump.exit(), dump.toString());
        assertOneLine(dump, "dump");
        assertTrue(dump.err().contains("registry header CRC32C mismatch"), dump.toString());
    }

    // ------------------------------------------------------------------ item 13

    /**
     * A slab whose recorded base is AT(2^63 - 1 MiB) cannot hold a pool of 3 MiB: a tagged word
     * minus that base wraps to a plausible offset. check and dump name the slab and never decode
     * its words.
     */
    @Test
    void absurdSlabBaseIsNamedNotDecoded() {
        Path p = track(TestPools.bank("absurd-base", 5));
        PoolModel m = model(p);
        PoolModel.Slab s = slabOf(m, "Account");
        long b = RecordedBaseDescriptor.base(s.recordedBase);
        long absurd = Long.MIN_VALUE - (1L << 20); // 2^63 - 1 MiB
        for (int i = 0; i < s.count; i++) {
            if (s.allocated(i)) {
                for (PoolModel.Field f : m.byName.get("Account").pointers()) {
                    long at = s.objectOffset(i) + f.offset();
                    long v = TestPools.u64(p, at);
                    if (v != 0) {
                        // tagged words that decode, minus the absurd base, to the right offsets
                        TestPools.patch(p, at, TestPools.le64(v - b + absurd));
                    }
                }
            }
        }
        TestPools.patch(p, entry(m, s.index) + SlabTableDescriptor.RECORDED_BASE_OFFSET,
                TestPools.le64(RecordedBaseDescriptor.at(absurd)));
        String named = "slab " + s.index + ": recorded base AT(0x" + Long.toHexString(absurd) + ")";
        TestPools.Run check = run("check", p.toString());
        assertEquals(4, check.exit(), check.toString());
        assertTrue(check.out().contains(named), check.out());
        TestPools.Run dump = run("dump", "--type", "Account", p.toString());
        assertEquals(4, dump.exit(), dump.toString());
        assertFalse(dump.out().contains("owner -> ferrite.blob"), "decoded through an absurd base: " + dump.out());
        assertTrue(dump.err().contains(named), dump.toString());
        TestPools.Run info = run("info", p.toString());
        assertEquals(4, info.exit(), info.toString());
        assertTrue(info.err().contains(named), info.toString());
    }

    /**
     * A large object's run whose following slab is not marked as a continuation overlaps another
     * slab: the model names the slab, and neither slab's memory is decoded as objects.
     */
    @Test
    void overlappingSlabsAreNamedNotDecoded() {
        Path p = track(TestPools.bank("overlap", 2));
        try (Heap h = Heap.open(p, TestPools.options()); Tx tx = h.begin()) {
            Ref first = tx.getRef(tx.root(TestPools.BANK), TestPools.BANK.field("first"));
            tx.setRef(first, TestPools.ACCOUNT.field("owner"), tx.allocateString("y".repeat(100_000)));
            tx.commit();
        }
        PoolModel m = model(p);
        PoolModel.Slab head = null;
        for (PoolModel.Slab s : m.slabs) {
            if (s.ok && s.state == SlabTableDescriptor.STATE_LARGE_HEAD) {
                head = s;
            }
        }
        assertTrue(head != null && head.span >= 2, "no large run");
        // the continuation becomes a small slab of the Account type, its header copied from the Account slab
        PoolModel.Slab acc = slabOf(m, "Account");
        int cont = head.index + 1;
        TestPools.patch(p, entry(m, cont), TestPools.read(p, entry(m, acc.index), SlabTableDescriptor.ENTRY_LENGTH));
        TestPools.patch(p, m.sb.slabOffset(cont), TestPools.read(p, acc.start, acc.dataOffset));
        TestPools.Run check = run("check", p.toString());
        assertEquals(4, check.exit(), check.toString());
        assertTrue(check.out().contains("slab " + cont), check.out());
        assertTrue(check.out().contains("overlap"), check.out());
        TestPools.Run dump = run("dump", "--type", "Account", p.toString());
        assertEquals(4, dump.exit(), dump.toString());
        assertTrue(dump.err().contains("slab " + cont) && dump.err().contains("overlap"), dump.toString());
    }
    // ------------------------------------------------------------------ the structure fuzz's findings

    /**
     * Rewrites type {@code name}'s registry descriptor through {@code change} (given the descriptor
     * and the offset of each field entry in it) and stores its CRC again: damage the CRC cannot see.
     */
    private static void rewriteDescriptor(Path p, String name, java.util.function.BiConsumer<MemorySegment, long[]> change) {
        PoolModel.Type t = model(p).byName.get(name);
        MemorySegment d = MemorySegment.ofArray(TestPools.read(p, t.descOffset(), t.descLength()));
        long[] fields = new long[t.fields().size()];
        long at = TypeDescriptor.HEADER_LENGTH + TypeDescriptor.align8(name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        for (int i = 0; i < fields.length; i++) {
            fields[i] = at;
            int names = Short.toUnsignedInt(d.get(io.ferrite.pheap.format.Le.U16_UNALIGNED, at + TypeDescriptor.FIELD_NAME_LENGTH_OFFSET))
                    + Short.toUnsignedInt(d.get(io.ferrite.pheap.format.Le.U16_UNALIGNED, at + TypeDescriptor.FIELD_TARGET_LENGTH_OFFSET));
            at += TypeDescriptor.FIELD_HEADER_LENGTH + TypeDescriptor.align8(names);
        }
        change.accept(d, fields);
        d.set(io.ferrite.pheap.format.Le.U32_UNALIGNED, TypeDescriptor.CRC_OFFSET, TypeDescriptor.computeCrc(d, 0, t.descLength()));
        TestPools.patch(p, t.descOffset(), d.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
    }

    /**
     * A built-in blob class persisted other than the library defines it (its CRC rewritten to
     * match): the heap derives a blob class's object size from its fields and refuses the slabs
     * that hold it, so check must call it an error naming the type, not clean (the structure
     * fuzz's mutants 645, 649, 758, 760, 761, 762 and 856).
     */
    @Test
    void aBuiltinTypeUnlikeTheLibrarysIsAnError() {
        record Change(String type, String what, java.util.function.BiConsumer<MemorySegment, long[]> edit) {
        }
        var u16 = io.ferrite.pheap.format.Le.U16_UNALIGNED;
        var u32 = io.ferrite.pheap.format.Le.U32_UNALIGNED;
        List<Change> changes = List.of(
                new Change("ferrite.blob.16", "field count 0", (d, f) -> d.set(u16, TypeDescriptor.FIELD_COUNT_OFFSET, (short) 0)),
                new Change("ferrite.blob.16", "field count 2", (d, f) -> d.set(u16, TypeDescriptor.FIELD_COUNT_OFFSET, (short) 2)),
                new Change("ferrite.blob.16", "data length 9", (d, f) -> d.set(u32, f[2] + TypeDescriptor.FIELD_LENGTH_OFFSET, 9)),
                new Change("ferrite.blob.16", "data length 16", (d, f) -> d.set(u32, f[2] + TypeDescriptor.FIELD_LENGTH_OFFSET, 16)),
                new Change("ferrite.blob.64", "data length 2^31-1",
                        (d, f) -> d.set(u32, f[2] + TypeDescriptor.FIELD_LENGTH_OFFSET, Integer.MAX_VALUE)));
        for (Change c : changes) {
            Path p = track(TestPools.bank("builtin", 3));
            rewriteDescriptor(p, c.type(), c.edit());
            TestPools.Run check = run("check", p.toString());
            assertEquals(4, check.exit(), c.type() + " " + c.what() + ": " + check);
            assertTrue(check.out().contains("  error:") && check.out().contains(c.type()), c.type() + " " + c.what() + ": "
                    + check.out());
            assertOneLine(check, "check");
        }
        System.out.println("built-in types: " + changes.size() + " damaged descriptors checked");
    }

    /**
     * A large object's continuation entry whose recorded base leaves no room for the pool below
     * 2^63 (the structure fuzz's mutant 2122): no legal state holds it, but nothing reads a
     * continuation's base (its head's is used) and the heap opens the pool, so check names the
     * slab in a warning.
     */
    @Test
    void aContinuationsAbsurdRecordedBaseIsNamed() {
        for (long word : new long[] {0x7ffffffffffffa51L, RecordedBaseDescriptor.at(Long.MIN_VALUE - (1L << 20))}) {
            Path p = track(TestPools.bank("cont-base", 2));
            try (Heap h = Heap.open(p, TestPools.options()); Tx tx = h.begin()) {
                Ref first = tx.getRef(tx.root(TestPools.BANK), TestPools.BANK.field("first"));
                tx.free(tx.getRef(first, TestPools.ACCOUNT.field("owner")));
                tx.setRef(first, TestPools.ACCOUNT.field("owner"), tx.allocateString("y".repeat(100_000)));
                tx.commit();
            }
            assertEquals(0, run("check", p.toString()).exit(), "the pool before the damage");
            PoolModel m = model(p);
            int cont = -1;
            for (PoolModel.Slab s : m.slabs) {
                cont = cont < 0 && s.state == SlabTableDescriptor.STATE_LARGE_CONT ? s.index : cont;
            }
            assertTrue(cont > 0, "no continuation slab");
            TestPools.patch(p, entry(m, cont) + SlabTableDescriptor.RECORDED_BASE_OFFSET, TestPools.le64(word));
            TestPools.Run check = run("check", p.toString());
            String what = RecordedBaseDescriptor.describe(word);
            // nothing reads a continuation's base (the heap opens the pool): a warning, not an error
            assertEquals(0, check.exit(), what + ": " + check);
            assertTrue(check.out().contains("warning: slab table") && check.out().contains("slab " + cont + ": recorded base "
                    + what), what + ": " + check.out());
            for (String cmd : new String[] {"info", "dump"}) {
                TestPools.Run r = run(cmd, p.toString());
                assertEquals(0, r.exit(), what + ": " + cmd + " takes the warning for damage: " + r);
            }
        }
    }

    /**
     * A superblock whose base address is 0 (with its CRC): no base a pool's pointers can assume.
     * Every command that replays or verifies the log answers with a finding or one line, exit 4;
     * none says "internal error" (the structure fuzz's mutant 237).
     */
    @Test
    void aSuperblockBaseOfZeroIsAFindingNotAnInternalError() {
        Path p = track(TestPools.bank("base-zero", 3));
        rewriteSuperblocks(p, s -> new Superblock(s.formatVersion(), s.flags(), s.sequence(), s.poolId(), s.poolSize(), s.slabSize(),
                s.slabCount(), s.registryOffset(), s.registryLength(), s.slabTableOffset(), s.slabTableLength(), s.logOffset(),
                s.logLength(), s.slabAreaOffset(), 0, s.checkpointLsn(), s.term(), s.created()));
        for (String[] args : new String[][] {{"check"}, {"check", "--json"}, {"log", "--verify"}, {"check", "--repair"}}) {
            String[] full = java.util.Arrays.copyOf(args, args.length + 1);
            full[args.length] = p.toString();
            TestPools.Run r = run(full);
            String cmd = String.join(" ", args);
            assertOneLine(r, cmd);
            assertEquals(4, r.exit(), cmd + ": " + r);
            assertTrue((r.out() + r.err()).contains("base address 0x0"), cmd + ": " + r);
        }
    }
    /**
     * Account renamed "Accoun" (its CRC rewritten): Bank.first names a target type that is not
     * registered, yet holds non-null pointers, which no legal pool can have (no object of an
     * unregistered type exists). check reports them as the heap's verifyPointers does, instead of
     * taking the field as pointing to any type (the structure fuzz's mutants 1714 and 1715).
     */
    @Test
    void aPointerToATypeThatIsNotRegisteredIsAnError() {
        Path p = track(TestPools.bank("unregistered-target", 3));
        rewriteDescriptor(p, "Account", (d, f) -> d.set(io.ferrite.pheap.format.Le.U16_UNALIGNED, TypeDescriptor.NAME_LENGTH_OFFSET,
                (short) 6));
        TestPools.Run check = run("check", p.toString());
        assertEquals(4, check.exit(), check.toString());
        assertTrue(check.out().contains("  error:") && check.out().contains("not registered"), check.out());
    }
    /**
     * A slab's recorded base moved by one page (AT(B + 4096), a base that fits): its pointers
     * then decode a page off, to slots that are free or hold another type. The heap opens such a
     * pool (the base is a legal one) and its verifyPointers reports them; check must too (the
     * structure fuzz's mutants 1894 and 1948).
     */
    @Test
    void aRecordedBaseMovedByAPageIsFound() {
        for (String type : new String[] {"Bank", "Account"}) {
            Path p = track(TestPools.bank("moved-base", 20));
            PoolModel m = model(p);
            PoolModel.Slab s = slabOf(m, type);
            long b = RecordedBaseDescriptor.base(s.recordedBase);
            TestPools.patch(p, entry(m, s.index) + SlabTableDescriptor.RECORDED_BASE_OFFSET,
                    TestPools.le64(RecordedBaseDescriptor.at(b + 4096)));
            TestPools.Run check = run("check", p.toString());
            assertEquals(4, check.exit(), type + ": " + check);
            assertTrue(check.out().contains("  error: pointer"), type + ": " + check.out());
        }
    }
    /**
     * In a cleanly closed pool every small slab and large head is AT one base; a slab without
     * pointers (the owner names' blob class) at another base is refused by the heap's open, so
     * check must not call the pool clean because no pointer is decoded against that base.
     */
    @Test
    void aPointerlessSlabAtAnotherBaseInACleanPoolIsAnError() {
        Path p = track(TestPools.bank("clean-bases", 5));
        PoolModel m = model(p);
        PoolModel.Slab s = slabOf(m, "ferrite.blob.16");
        long b = RecordedBaseDescriptor.base(s.recordedBase);
        TestPools.patch(p, entry(m, s.index) + SlabTableDescriptor.RECORDED_BASE_OFFSET,
                TestPools.le64(RecordedBaseDescriptor.at(b + 4096)));
        TestPools.Run check = run("check", p.toString());
        assertEquals(4, check.exit(), check.toString());
        assertTrue(check.out().contains("slab " + s.index + ": recorded base"), check.out());
    }
}
