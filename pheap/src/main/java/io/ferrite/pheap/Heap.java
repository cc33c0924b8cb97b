package io.ferrite.pheap;

import io.ferrite.FerriteException;
import io.ferrite.media.FlushBackend;
import io.ferrite.media.Media;
import io.ferrite.media.MediaOptions;
import io.ferrite.pheap.format.Le;
import io.ferrite.pheap.format.PoolValidation;
import io.ferrite.pheap.format.RedoRecordDescriptor;
import io.ferrite.pheap.format.Superblock;
import io.ferrite.pheap.format.SuperblockDescriptor;
import io.ferrite.pheap.format.TypeRegistryDescriptor;
import io.ferrite.pmlog.LogFullException;
import io.ferrite.pmlog.PmLog;
import io.ferrite.pmlog.PmLogOptions;
import io.ferrite.swizzle.PointerVerifier;
import io.ferrite.swizzle.SwizzleOptions;
import io.ferrite.swizzle.SwizzleReport;
import io.ferrite.swizzle.Swizzler;
import io.ferrite.swizzle.VerifyReport;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent heap in one pool file: slabs of typed objects, a type registry, and a redo log,
 * laid out as in {@code docs/pool-format.md}. Open with {@link #create} or {@link #open}; change
 * it with transactions ({@link #begin()}); close it to checkpoint and mark a clean close.
 *
 * <p>Threading: a heap is shared by any number of threads; each thread runs at most one
 * transaction at a time. The pool has one writer: a second open, in this process or another, is
 * refused ({@link HeapLockedException}).
 *
 * <p>Pointers in objects are absolute addresses in the current mapping. Open asks the kernel to
 * map the pool at the base its pointers assume; when it lands elsewhere (the range is taken,
 * {@link HeapOptions#forceRelocation}, {@link HeapOptions#addressHint}) or an earlier swizzle
 * was interrupted, recovery replays the log, checkpoints, and then rewrites every pointer with the
 * swizzle module ({@link io.ferrite.swizzle.Swizzler}) before the heap is handed out; the
 * {@link RecoveryReport} says what the swizzle did (docs/swizzling.md).
 */
public final class Heap implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.ferrite.pheap");
    /** Header bytes read before mapping, to validate a file and learn its recorded base. */
    private static final int PROBE_LENGTH = 2 * SuperblockDescriptor.SLOT_LENGTH;
    /** System property: the address hint used at create (0 = let the kernel choose). */
    public static final String CREATE_HINT_PROP_NAME = "ferrite.heap.createAddressHint";
    private static final long CREATE_HINT_BASE = 0x2000_0000_0000L;

    private final Media media;
    private final boolean ownsMedia;
    private final PoolLock lock;
    private final String poolName;
    private final HeapOptions options;
    private final MemorySegment seg;
    private volatile Superblock sb;
    private final Object sbLock = new Object();
    private PmLog log;
    private final TypeRegistry registry;
    private final SlabAllocator allocator;
    private final DirtyLineSet dirty;
    private final RedoApplier applier;
    private final long base;
    private final ThreadLocal<ThreadCtx> ctxs = new ThreadLocal<>();
    private final List<ThreadCtx> allCtxs = new CopyOnWriteArrayList<>();
    private final Object checkpointLock = new Object();
    private final Object rootLock = new Object();
    /** ASYNC records appended and not applied yet, over all threads (each holds at most one). */
    private final java.util.concurrent.atomic.AtomicInteger pendingAsync = new java.util.concurrent.atomic.AtomicInteger();
    /** Held while pending ASYNC records are applied, so that they are applied in log order. */
    private final Object applyOrderLock = new Object();
    private RecoveryReport recovery;
    private Thread checkpointer;
    private volatile boolean closed;
    private volatile boolean stopping;
    private volatile boolean checkpointWanted;
    private final java.util.concurrent.atomic.LongAdder commits = new java.util.concurrent.atomic.LongAdder();
    private final AtomicLong checkpoints = new AtomicLong();

    private Heap(Media media, boolean ownsMedia, PoolLock lock, Superblock sb, HeapOptions options) {
        this.media = media;
        this.ownsMedia = ownsMedia;
        this.lock = lock;
        this.poolName = media.path() == null ? "<memory pool " + sb.poolId() + ">" : media.path().toString();
        this.options = options;
        // the pool's bytes only: a file grown past the pool (after a crash mid-swizzle, say) must not
        // widen what the swizzle decides by, nor what a pointer may reach
        this.seg = media.segment().asSlice(0, sb.poolSize());
        this.sb = sb;
        this.base = media.baseAddress();
        this.dirty = new DirtyLineSet(sb.poolSize());
        this.applier = new RedoApplier(seg, base, 2L * SuperblockDescriptor.SLOT_LENGTH, sb.logOffset(),
                sb.logOffset() + sb.logLength(), dirty);
        if ((base & 4095) != 0 || base <= 0) {
            throw new FerriteException(String.format("pool %s is mapped at 0x%x, which is not page aligned", poolName, base),
                    "map pools with Media.create/Media.open (page-aligned mappings)");
        }
        this.registry = new TypeRegistry(seg, sb.registryOffset(), sb.registryLength(), sb.slabSize(), poolName);
        this.allocator = new SlabAllocator(seg, sb, poolName);
    }

    // ================================================================== create / open

    /** Creates a new pool file of {@code size} bytes (it must not exist) and opens it. */
    public static Heap create(Path path, long size, HeapOptions options) {
        HeapOptions o = options.copy().conclude();
        PoolLock lock = null;
        Media media = null;
        try {
            MediaOptions mo = o.mediaOptions().copy();
            if (mo.backend() != FlushBackend.JDK_SYNC) {
                mo.addressHint(o.addressHint() != 0 ? o.addressHint() : createAddressHint());
            }
            media = Media.create(path, size, mo);
            // the lock is on the pool file itself, so it exists first; an open before this sees no superblock
            lock = PoolLock.acquire(path);
            Superblock sb = format(media, o);
            return start(media, true, lock, sb, o);
        } catch (RuntimeException | Error e) {
            if (media != null) {
                media.close();
                try {
                    Files.deleteIfExists(path);
                } catch (IOException ignored) {
                    // report the original failure
                }
            }
            if (lock != null) {
                lock.close();
            }
            throw e;
        }
    }

    /**
     * Formats a pool in caller-owned, zero-filled media and opens it; closing the heap leaves the
     * media open (tests, crash simulation).
     */
    public static Heap create(Media media, HeapOptions options) {
        HeapOptions o = options.copy().conclude();
        Superblock sb = format(media, o);
        return start(media, false, null, sb, o);
    }

    /**
     * Where a new pool asks to be mapped: a random 1 GiB-aligned address in [32 TiB, 48 TiB), far
     * below where the kernel puts thread stacks, malloc arenas and other mappings (top-down from
     * the mmap base), so that the range is still free when the pool is opened again, even in the
     * same process. If it is taken, the kernel chooses (the hint is not required at create).
     */
    static long createAddressHint() {
        String p = System.getProperty(CREATE_HINT_PROP_NAME);
        if (p != null) {
            return Long.decode(p);
        }
        return CREATE_HINT_BASE + (java.util.concurrent.ThreadLocalRandom.current().nextLong(16 * 1024) << 30);
    }

    /**
     * Who holds the writer lock of the pool at {@code pool}, in words (pid, host, thread, since
     * when, and the lock file), or empty when nobody does, whatever path names the pool (the lock
     * is on the pool file; see {@link PoolLock}). Never creates the lock file. Safe to call in the
     * writer's own JVM (then it answers from the in-process registry).
     */
    public static java.util.Optional<String> lockHolder(Path pool) {
        return PoolLock.holder(pool);
    }

    /** The writer-lock sidecar of a pool, {@code <pool>.lock} next to its real path: to name it or delete it with the pool. */
    public static Path lockFile(Path pool) {
        return PoolLock.lockFile(pool);
    }

    /** Opens an existing pool file: recovery replays the log from the last checkpoint. */
    public static Heap open(Path path, HeapOptions options) {
        HeapOptions o = options.copy().conclude();
        return openLocked(PoolLock.acquire(path), o);
    }

    /**
     * Takes the writer lock of the pool at {@code pool} without opening it, for a caller that must
     * keep other writers out across more than one open (`ferrite check --repair`: check, then
     * repair); open it with {@link #open(PoolLock, HeapOptions)}. Throws {@link
     * HeapLockedException} naming the holder when another writer has it.
     */
    public static PoolLock lock(Path pool) {
        return PoolLock.acquire(pool);
    }

    /**
     * Opens the pool whose writer lock the caller holds ({@link #lock(Path)}). The heap borrows the
     * lock: closing the heap leaves it held, and the caller releases it after the heap is closed.
     */
    public static Heap open(PoolLock lock, HeapOptions options) {
        HeapOptions o = options.copy().conclude();
        return openLocked(lock.lend(), o);
    }

    private static Heap openLocked(PoolLock lock, HeapOptions o) {
        Path path = lock.pool();
        Media media = null;
        try {
            Superblock sb = probe(path);
            media = Media.open(path, mapOptions(o, sb.baseAddress(), sb.poolSize()));
            return start(media, true, lock, sb, o);
        } catch (RuntimeException | Error e) {
            if (media != null) {
                media.close();
            }
            lock.close();
            throw e;
        }
    }

    /**
     * How an open maps the pool: at the address hint (the recorded base unless the options name
     * another), or, with forceRelocation, anywhere but the recorded base. Never required: where
     * the mapping lands, recovery swizzles.
     */
    static MediaOptions mapOptions(HeapOptions o, long recordedBase, long size) {
        MediaOptions mo = o.mediaOptions().copy();
        if (mo.backend() == FlushBackend.JDK_SYNC) {
            return mo; // maps where the JDK chooses
        }
        long hint = o.addressHint() != 0 ? o.addressHint() : recordedBase;
        if (o.forceRelocation() && recordedBase > 0) {
            if (hint == recordedBase) {
                hint = 0;
            }
            // keep the recorded range off limits, unless the hint asks for a range that overlaps it
            if (hint == 0 || hint + size <= recordedBase || recordedBase + size <= hint) {
                mo.avoidAddress(recordedBase);
            }
        }
        return mo.addressHint(hint);
    }

    /**
     * Opens the pool held in caller-owned media (which stays open after {@link #close()}). When
     * the media is mapped at another base than the pool's pointers assume, recovery swizzles.
     */
    public static Heap open(Media media, HeapOptions options) {
        HeapOptions o = options.copy().conclude();
        Superblock sb = choose(media.segment(), media.size(), media.path() == null ? "<memory pool>" : media.path().toString());
        return start(media, false, null, sb, o);
    }

    private static Superblock format(Media media, HeapOptions o) {
        long size = media.size();
        long logRegion = PmLog.regionLength(o.logCapacityFor(size));
        Superblock sb;
        try {
            sb = Superblock.layout(UUID.randomUUID(), size, o.slabSize(), o.registryLength(), logRegion,
                    HeapOptions.SLAB_AREA_ALIGNMENT, System.currentTimeMillis());
        } catch (IllegalArgumentException e) {
            throw new FerriteException("cannot create pool " + media.path() + ": " + e.getMessage(), "choose a larger size");
        }
        MemorySegment seg = media.segment();
        seg.asSlice(0, sb.logOffset()).fill((byte) 0);
        TypeRegistry.format(seg, sb.registryOffset(), sb.registryLength(), sb.slabSize());
        long cp;
        try (PmLog log = PmLog.format(media, sb.logOffset(), sb.logLength(), logOptions(null, o, sb))) {
            cp = log.tailLsn();
        }
        media.persist(sb.registryOffset(), sb.logOffset() - sb.registryOffset());
        sb = sb.withBaseAndCheckpoint(media.baseAddress(), cp);
        sb.write(seg, SuperblockDescriptor.A_OFFSET);
        media.persist(0, 2L * SuperblockDescriptor.SLOT_LENGTH);
        return sb;
    }

    private static PmLogOptions logOptions(Heap heap, HeapOptions o, Superblock sb) {
        long capacity = sb.logLength() - PmLog.regionLength(0);
        PmLogOptions lo = PmLogOptions.defaults()
                .maxRecordSize((int) Math.min(Integer.MAX_VALUE - 64, (capacity / 2 - 64) & ~63L))
                .fullPolicy(o.logFullPolicy() == HeapOptions.LogFullPolicy.FAIL ? PmLogOptions.FullPolicy.FAIL
                        : PmLogOptions.FullPolicy.WAIT)
                .fullWaitTimeout(o.logFullTimeout());
        if (heap != null) {
            lo.onFull(heap::onLogFull);
        }
        return lo;
    }

    /** Reads the superblocks of a file without mapping it; errors name the path and `ferrite check`. */
    static Superblock probe(Path path) {
        long fileSize;
        ByteBuffer buf = ByteBuffer.allocate(PROBE_LENGTH);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            fileSize = ch.size();
            while (buf.hasRemaining() && ch.read(buf, buf.position()) > 0) {
                // read the two superblock slots
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw new PoolFormatException("no such pool file: " + path, "check the path, or create the pool with Heap.create");
        } catch (IOException e) {
            throw new PoolFormatException("cannot read pool " + path + ": " + e, "check its permissions");
        }
        MemorySegment s = MemorySegment.ofArray(new long[PROBE_LENGTH / 8]).asSlice(0, buf.position());
        MemorySegment.copy(MemorySegment.ofArray(buf.array()), 0, s, 0, buf.position());
        return choose(s, fileSize, path.toString());
    }

    /** Picks the valid superblock with the higher sequence and checks version and size. */
    static Superblock choose(MemorySegment s, long fileSize, String path) {
        String pa = s.byteSize() >= SuperblockDescriptor.LENGTH ? Superblock.problem(s, SuperblockDescriptor.A_OFFSET) : "too short";
        String pb = s.byteSize() >= SuperblockDescriptor.B_OFFSET + SuperblockDescriptor.LENGTH
                ? Superblock.problem(s, SuperblockDescriptor.B_OFFSET) : "too short";
        if (pa != null && pb != null) {
            boolean any = s.byteSize() >= 8 && (s.get(Le.U64_UNALIGNED, 0) == SuperblockDescriptor.MAGIC
                    || (s.byteSize() >= SuperblockDescriptor.B_OFFSET + 8 && s.get(Le.U64_UNALIGNED, SuperblockDescriptor.B_OFFSET) == SuperblockDescriptor.MAGIC));
            if (!any) {
                throw new PoolFormatException(path + " is not a Ferrite pool (no superblock magic \"FERRITE\\0\" at offset 0 or 4096; "
                        + fileSize + " bytes)", "check the path; `ferrite check " + path + "` describes the file");
            }
            throw new PoolFormatException("both superblocks of pool " + path + " are damaged: A at offset 0: " + pa
                    + "; B at offset 4096: " + pb, "run `ferrite check " + path + "`");
        }
        Superblock a = pa == null ? Superblock.read(s, SuperblockDescriptor.A_OFFSET) : null;
        Superblock b = pb == null ? Superblock.read(s, SuperblockDescriptor.B_OFFSET) : null;
        Superblock sb = a == null ? b : b == null ? a : a.sequence() >= b.sequence() ? a : b;
        if (sb.formatVersion() != SuperblockDescriptor.FORMAT_VERSION) {
            throw new PoolFormatException("pool " + path + " has format version " + sb.formatVersion() + "; this build of Ferrite reads"
                    + " version " + SuperblockDescriptor.FORMAT_VERSION + (sb.formatVersion() > SuperblockDescriptor.FORMAT_VERSION
                    ? " (the pool was written by a newer Ferrite)" : ""), "open it with a Ferrite release that knows version "
                    + sb.formatVersion() + "; `ferrite check " + path + "` shows the header");
        }
        if (fileSize < sb.poolSize()) {
            throw new PoolFormatException("pool " + path + " is " + fileSize + " bytes but its superblock says " + sb.poolSize()
                    + " (truncated?)", "run `ferrite check " + path + "`; restore the pool from a replica or backup");
        }
        String g = sb.geometryProblem();
        if (g != null) {
            throw new PoolFormatException("pool " + path + " superblock (sequence " + sb.sequence() + ") is inconsistent: " + g,
                    "run `ferrite check " + path + "`");
        }
        return sb;
    }

    private static Heap start(Media media, boolean owns, PoolLock lock, Superblock sb, HeapOptions o) {
        Heap h = new Heap(media, owns, lock, sb, o);
        try {
            h.recover();
        } catch (RuntimeException | Error e) {
            h.closeLogQuietly();
            throw e;
        }
        h.startCheckpointer();
        return h;
    }

    private void recover() {
        long t0 = System.nanoTime();
        HeapEvents.Recovery ev = new HeapEvents.Recovery();
        ev.begin();
        Superblock s = sb;
        registry.checkVersion(); // before anything is written
        String bases = PoolValidation.recordedBasesProblem(seg, s); // before replay stores pointers for them
        if (bases != null) {
            throw new PoolFormatException("slab metadata of pool " + poolName + " is damaged: " + bases,
                    "run `ferrite check " + poolName + "`");
        }
        log = PmLog.open(media, s.logOffset(), s.logLength(), logOptions(this, options, s));
        long[] counts = new long[2];
        long from = s.checkpointLsn();
        // 1. replay: pointer words in the form of their slab's recorded base (the swizzle moves them)
        applier.atRecordedBases(true, s.slabTableOffset(), s.slabAreaOffset(), s.slabSize(), s.slabCount());
        long to;
        try {
            to = log.read(from, (lsn, type, rec, off, len) -> {
                if (type == RedoRecordDescriptor.LOG_RECORD_TYPE) {
                    applier.apply(lsn, rec, off, len);
                    counts[0]++;
                    counts[1] += len;
                }
                return true;
            });
        } catch (IllegalArgumentException e) {
            // the checkpoint LSN is no record of the log (reclaimed, beyond its end, mid-record):
            // the superblock or the log is damaged; replay stopped there
            throw new PoolFormatException("pool " + poolName + ": cannot replay its log from the superblock's checkpoint LSN "
                    + from + ": " + e.getMessage(), "run `ferrite check " + poolName + "`", e);
        } finally {
            applier.atRecordedBases(false, 0, 0, 1, 0);
        }
        long t1 = System.nanoTime();
        // 2. checkpoint: the replayed writes durable before the checkpoint LSN passes them, so no
        //    redo record remains that a later replay would apply over swizzled words
        if (counts[0] > 0) {
            flushDirty();
        }
        writeSuperblock(s.next(Math.max(to, s.checkpointLsn()), false));
        // also when nothing was replayed: a crash between a checkpoint's superblock and its
        // reclaim leaves the log's head behind the checkpoint LSN, and a full log would stay full
        log.reclaim(to);
        registry.load();
        long live = allocator.rebuild(registry);
        String rootProblem = PoolValidation.rootProblem(seg, s, registry.rootTypeId(), registry.rootOffset());
        if (rootProblem != null) {
            throw new PoolFormatException("type registry of pool " + poolName + ": " + rootProblem,
                    "run `ferrite check " + poolName + "`");
        }
        // 3. swizzle when the mapping moved or an earlier swizzle was interrupted (a no-op otherwise)
        SwizzleReport swz = Swizzler.swizzle(swizzleView(), SwizzleOptions.defaults().parallelism(options.swizzleThreads()));
        // 4. only now records may be appended again: give back slabs found empty
        if (allocator.hasRetiring()) {
            allocator.retirePending(ctx().sysWriter, this::commitSystem);
        }
        long t3 = System.nanoTime();
        recovery = new RecoveryReport(s.cleanClose(), from, to, counts[0], counts[1], live, Duration.ofNanos(t1 - t0),
                Duration.ofNanos(t3 - t0), swz, swz.nothingToDo() ? Duration.ZERO : Duration.ofNanos(swz.nanos()));
        if (ev.shouldCommit()) {
            ev.pool = poolName;
            ev.records = counts[0];
            ev.bytes = counts[1];
            ev.cleanClose = s.cleanClose();
            ev.commit();
        }
        LOG.log(counts[0] > 0 || recovery.relocated() ? System.Logger.Level.INFO : System.Logger.Level.DEBUG, () -> poolName + ": " + recovery);
    }

    private void writeSuperblock(Superblock next) {
        synchronized (sbLock) {
            long slot = SuperblockDescriptor.slotOffset((int) ((next.sequence() + 1) & 1));
            next.write(seg, slot);
            media.persist(slot, SuperblockDescriptor.LENGTH);
            sb = next;
        }
    }

    // ================================================================== swizzling

    /** The pool as the swizzle module sees it, with the registry as it is now. */
    PoolSwizzleView swizzleView() {
        return new PoolSwizzleView(media, sb, registry, poolName, () -> sb.baseAddress(), this::persistPoolBase);
    }

    /** Swizzling's pool base P: the superblock's "base the pointers assume", durable on return. */
    private void persistPoolBase(long newBase) {
        synchronized (checkpointLock) {
            writeSuperblock(sb.nextWithBase(newBase));
        }
    }

    /**
     * Checks every pointer of the pool ({@link PointerVerifier}): each non-null pointer must land on
     * the start of an allocated object of the field's declared type; bad ones are listed with
     * slab, object index and field name (at most {@link PointerVerifier#MAX_REPORTED_DEFAULT}). No
     * bad pointer is followed. Run it while no transaction changes the pool.
     */
    public VerifyReport verifyPointers() {
        return verifyPointers(PointerVerifier.MAX_REPORTED_DEFAULT);
    }

    /** As {@link #verifyPointers()}, listing at most {@code maxReported} problems (all are counted). */
    public VerifyReport verifyPointers(int maxReported) {
        ensureOpen();
        return PointerVerifier.verify(swizzleView(), maxReported);
    }

    // ================================================================== accessors

    public RecoveryReport recoveryReport() {
        return recovery;
    }

    public UUID poolId() {
        return sb.poolId();
    }

    /** The replication term recorded in the superblock (0 until the replicator raises it). */
    public long term() {
        return sb.term();
    }

    /**
     * Persists a higher term in the superblock (the other copy, sequence + 1) before returning.
     * For the replicator's promotion and fencing; a term never goes down.
     */
    public void persistTerm(long term) {
        ensureOpen();
        synchronized (checkpointLock) {
            Superblock s = sb;
            if (term < s.term()) {
                throw new IllegalArgumentException("term " + term + " is below the pool's term " + s.term() + " (" + poolName + ")");
            }
            if (term != s.term()) {
                writeSuperblock(s.nextWithTerm(term));
            }
        }
    }

    /** The pool file, or null for caller-owned in-memory media. */
    public Path path() {
        return media.path();
    }

    public Media media() {
        return media;
    }

    /**
     * The base address pointers in this pool assume: the mapping base (once open, every slab has
     * been swizzled to it).
     */
    public long baseAddress() {
        return base;
    }

    /** The current superblock (a copy; it changes at every checkpoint). */
    public Superblock superblock() {
        return sb;
    }

    public HeapOptions options() {
        return options.copy();
    }

    MemorySegment segment() {
        return seg;
    }

    TypeRegistry registry() {
        return registry;
    }

    SlabAllocator allocator() {
        return allocator;
    }

    PmLog log() {
        return log;
    }

    /** The absolute address of an object (what a pointer field holds). */
    public long address(Ref ref) {
        return base + ref.offset();
    }

    long offsetOfAddress(long address, long fieldOffset) {
        if (address == 0) {
            return 0;
        }
        long off = address - base;
        if (off < sb.slabAreaOffset() || off >= sb.poolSize()) {
            throw new FerriteException(String.format("pointer at pool offset %d of %s holds 0x%x, outside the slab area of the pool"
                    + " mapped at 0x%x", fieldOffset, poolName, address, base), "run `ferrite check " + poolName + "`");
        }
        return off;
    }

    Ref refAt(long offset, String targetType) {
        if (targetType != null && !PType.ANY_BLOB.equals(targetType)) {
            TypeInfo t = registry.byName(targetType);
            if (t != null) {
                return new Ref(offset, t.def);
            }
        }
        return new Ref(offset, allocator.slabOf(offset).type.def);
    }

    /** A reference to the object at {@code poolOffset} (its type from its slab); checks it is an object start. */
    public Ref ref(long poolOffset) {
        return new Ref(poolOffset, allocator.slabOf(poolOffset).type.def);
    }

    /** The object an absolute address points to (0 = null). */
    public Ref refOfAddress(long address) {
        return address == 0 ? null : ref(offsetOfAddress(address, -1));
    }

    /** True when {@code ref} is an allocated object (its bit is set in the allocator's DRAM bitmap). */
    public boolean isAllocated(Ref ref) {
        applyPendingAsync();
        try {
            SlabAllocator.SlabState s = allocator.slabOf(ref.offset());
            return s.isSet(SlabAllocator.slotOf(s, ref.offset()));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Registers a type (persisted in the pool) or checks it against the persisted one of that name. */
    public void register(PType type) {
        typeInfo(type);
    }

    TypeInfo typeInfo(PType type) {
        TypeInfo t = registry.lookup(type);
        if (t != null) {
            return t;
        }
        ensureOpen();
        return registry.register(type, this::commitSystem, ctx().sysWriter);
    }

    /** The registered type of that name (application or decoded from the pool), or null. */
    public PType type(String name) {
        TypeInfo t = registry.byName(name);
        return t == null ? null : t.def;
    }

    /** Every type in the pool's registry, in id order. */
    public List<PType> types() {
        return registry.all().stream().map(t -> t.def).toList();
    }

    /**
     * The pool's root object, of {@code type}; created zeroed, in its own committed transaction,
     * the first time. A root of another type is an error.
     */
    public Ref root(PType type) {
        ensureOpen();
        TypeInfo t = typeInfo(type);
        synchronized (rootLock) {
            long reg = sb.registryOffset();
            long off = seg.get(Le.U64, reg + TypeRegistryDescriptor.ROOT_OFFSET_OFFSET);
            int tid = seg.get(Le.U32, reg + TypeRegistryDescriptor.ROOT_TYPE_ID_OFFSET);
            if (off != 0) {
                if (tid != t.id) {
                    TypeInfo had = registry.byId(tid);
                    throw new IllegalArgumentException("pool " + poolName + " has a root of type " + (had == null ? "#" + tid : had.name)
                            + ", not " + type.name());
                }
                return new Ref(off, type);
            }
            if (t.large || t.variable) {
                throw new IllegalArgumentException("root type " + type.name() + " must fit in a slab");
            }
            ThreadCtx c = ctx();
            SlabAllocator.SlabState s = allocator.reserveSmall(c.current(t.id), t, c.slotOut, c.sysWriter, this::commitSystem);
            int slot = c.slotOut[0];
            long obj = s.objectOffset(slot);
            RedoWriter w = c.sysWriter.begin(0);
            w.setBits(s.bitmapWordOffset(slot), 1L << slot);
            try {
                registry.commitRoot(w, t.id, obj, this::commitSystem);
            } catch (RuntimeException | Error e) {
                s.release(slot);
                throw e;
            }
            return new Ref(obj, type);
        }
    }

    /** Statistics: live objects, slabs in use and free, commits, checkpoints. */
    public HeapStats stats() {
        long[] u = allocator.usage();
        return new HeapStats(u[0], u[1], allocator.freeSlabs(), allocator.slabCount(), sb.slabSize(), commits.sum(),
                checkpoints.get(), sb.checkpointLsn(), log.durableLsn());
    }

    // ================================================================== direct reads (no transaction)

    public long getLong(Ref ref, PField f) {
        applyPendingAsync();
        return (long) f.handle().get(seg, ref.offset());
    }

    public int getInt(Ref ref, PField f) {
        applyPendingAsync();
        return (int) f.handle().get(seg, ref.offset());
    }

    public double getDouble(Ref ref, PField f) {
        applyPendingAsync();
        return (double) f.handle().get(seg, ref.offset());
    }

    public Ref getRef(Ref ref, PField f) {
        applyPendingAsync();
        long off = offsetOfAddress(seg.get(ValueLayout.JAVA_LONG, ref.offset() + f.offset()), ref.offset() + f.offset());
        return off == 0 ? null : refAt(off, f.target());
    }

    // ================================================================== transactions

    private ThreadCtx ctx() {
        ThreadCtx c = ctxs.get();
        if (c == null) {
            c = new ThreadCtx(this, Thread.currentThread());
            ctxs.set(c);
            allCtxs.add(c);
        }
        return c;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("heap " + poolName + " is closed");
        }
    }

    /** Begins a transaction with the heap's default durability. */
    public Tx begin() {
        return begin(options.durability());
    }

    /** Begins a transaction on this thread (one at a time per thread). */
    public Tx begin(Durability durability) {
        ensureOpen();
        ThreadCtx c = ctx();
        if (c.tx.isActive()) {
            throw new IllegalStateException("thread " + c.thread.getName() + " already has an open transaction on " + poolName
                    + "; commit or close it first (transactions do not nest)");
        }
        // what this transaction reads includes every commit that returned before it began
        applyPendingAsync();
        if (allocator.hasRetiring()) {
            allocator.retirePending(c.sysWriter, this::commitSystem);
        }
        c.tx.start(durability, ++c.txCount);
        return c.tx;
    }

    void txEnded(ThreadCtx c) {
        // nothing to release today; kept as the hook for per-thread statistics
    }

    /** Appends, makes durable and applies a record of the heap's own (slab init, registry, root). */
    void commitSystem(RedoWriter w) {
        ensureOpen();
        ThreadCtx c = ctx();
        append(c, w, Durability.SYNC, null, null, 0);
    }

    /** Commit of a transaction's record; frees are released in DRAM once applied. */
    void commit(ThreadCtx c, RedoWriter w, Durability d, SlabAllocator.SlabState[] fSlab, int[] fSlot, int frees) {
        ensureOpen();
        append(c, w, d, fSlab, fSlot, frees);
    }

    private void append(ThreadCtx c, RedoWriter w, Durability d, SlabAllocator.SlabState[] fSlab, int[] fSlot, int frees) {
        HeapEvents.Commit ev = new HeapEvents.Commit();
        ev.begin();
        int len = w.length();
        if (len > log.maxRecordSize()) {
            throw new TransactionTooLargeException(String.format("transaction too large for pool %s: its redo record is %,d bytes"
                    + " (%d operations), the log takes records up to %,d bytes (log capacity %,d)", poolName, len, w.opCount(),
                    log.maxRecordSize(), log.capacity()), "split it into smaller transactions, or create the pool with a larger logCapacity");
        }
        MemorySegment rec = w.segment().asSlice(0, len);
        // No bound before the append: the copy publishes the record's LSN as this thread's inflight
        // bound when the log reserves it, before the record is complete, so before it can be
        // durable; a checkpoint reads the durable LSN first and the bounds after, and never passes
        // the record. A bound published before the append (this thread's previous LSN) could be
        // far older than anything the thread can still write, and held every checkpoint back while
        // the append waited for log space that only a checkpoint could free. The bound is this
        // append's alone: the thread's pending ASYNC record has its own (pendingLsn), which
        // another thread may clear meanwhile by applying it.
        ThreadCtx.LogCopy copy = c.logCopy.of(rec);
        long lsn;
        try {
            lsn = d == Durability.SYNC ? log.append(len, RedoRecordDescriptor.LOG_RECORD_TYPE, copy)
                    : log.appendAsync(len, RedoRecordDescriptor.LOG_RECORD_TYPE, copy);
        } catch (LogFullException e) {
            c.inflight = ThreadCtx.NONE;
            throw new LogFullException("commit of " + len + " bytes to pool " + poolName + " failed: " + e.getMessage()
                    + " (checkpoint LSN " + sb.checkpointLsn() + ")", "checkpoint more often, create the pool with a larger logCapacity,"
                    + " or use logFullPolicy WAIT");
        } catch (RuntimeException | Error e) {
            c.inflight = ThreadCtx.NONE;
            throw e;
        }
        if (d == Durability.SYNC) {
            applyAndRelease(lsn, rec, len, fSlab, fSlot, frees);
            c.inflight = ThreadCtx.NONE;
        } else {
            synchronized (c) {
                c.pendingLsn = lsn;
                RedoWriter t = c.txWriter;
                c.txWriter = c.pendingWriter;
                c.pendingWriter = t;
                if (c.pendingFreeSlab.length < frees) {
                    c.pendingFreeSlab = new SlabAllocator.SlabState[frees];
                    c.pendingFreeSlot = new int[frees];
                }
                if (frees > 0) {
                    System.arraycopy(fSlab, 0, c.pendingFreeSlab, 0, frees);
                    System.arraycopy(fSlot, 0, c.pendingFreeSlot, 0, frees);
                }
                c.pendingFrees = frees;
                pendingAsync.incrementAndGet();
                c.inflight = ThreadCtx.NONE; // after pendingLsn took over the bound
            }
        }
        commits.increment();
        if (ev.shouldCommit()) {
            ev.lsn = lsn;
            ev.bytes = len;
            ev.operations = w.opCount();
            ev.durability = d.name();
            ev.commit();
        }
        if ((++c.commitsSinceCheck & 63) == 0) {
            maybeWakeCheckpointer();
        }
    }

    private void applyAndRelease(long lsn, MemorySegment rec, int len, SlabAllocator.SlabState[] fSlab, int[] fSlot, int frees) {
        applyPendingBelow(lsn); // earlier ASYNC records first: applies happen in log order
        applier.apply(lsn, rec, 0, len);
        for (int i = 0; i < frees; i++) {
            SlabAllocator.SlabState s = fSlab[i];
            if (s.large()) {
                allocator.releaseLarge(s);
            } else if (s.release(fSlot[i])) {
                allocator.retireLater(s);
            }
        }
    }

    /**
     * Applies every pending ASYNC record appended before now (waiting until each is durable), so
     * that whatever the caller reads next includes every commit that returned before this call:
     * ASYNC defers durability, not visibility. One volatile read when nothing is pending.
     */
    private void applyPendingAsync() {
        if (pendingAsync.get() != 0) {
            applyPendingBelow(log.tailLsn());
        }
    }

    /**
     * Applies the pending ASYNC records below {@code limit} in LSN order, under one lock, waiting
     * until each is durable (an ASYNC record is applied only once durable: redo only, nothing of
     * it may reach the pool before its record is in the log). Every apply, SYNC or ASYNC, first
     * calls this with its own LSN, so no record is applied over a later one: the live heap then
     * holds what replaying the log gives. A record appended after the limit was read is not
     * waited for (commits that had not returned when the caller started).
     */
    private void applyPendingBelow(long limit) {
        if (pendingAsync.get() == 0) {
            return;
        }
        synchronized (applyOrderLock) {
            while (pendingAsync.get() != 0) {
                ThreadCtx first = null;
                long firstLsn = limit;
                for (ThreadCtx c : allCtxs) {
                    long l = c.pendingLsn;
                    if (l < firstLsn) {
                        first = c;
                        firstLsn = l;
                    }
                }
                if (first == null) {
                    return;
                }
                drainPending(first);
            }
        }
    }

    /** Applies a thread's ASYNC record once it is durable; only through {@link #applyPendingBelow}. */
    private void drainPending(ThreadCtx c) {
        synchronized (c) {
            long lsn = c.pendingLsn;
            if (lsn == ThreadCtx.NONE) {
                return;
            }
            log.awaitDurable(lsn);
            RedoWriter w = c.pendingWriter;
            applyAndRelease(lsn, w.segment(), w.length(), c.pendingFreeSlab, c.pendingFreeSlot, c.pendingFrees);
            java.util.Arrays.fill(c.pendingFreeSlab, 0, c.pendingFrees, null);
            c.pendingFrees = 0;
            c.pendingLsn = ThreadCtx.NONE;
            pendingAsync.decrementAndGet();
        }
    }

    // ================================================================== checkpoint

    /**
     * Writes back every line applied since the last checkpoint, persists the checkpoint LSN in the
     * superblock (the other copy, sequence + 1) and reclaims the log before it. Returns the
     * checkpoint LSN. Safe to call from any thread at any time.
     */
    public long checkpoint() {
        ensureOpen();
        return checkpoint("on demand");
    }

    private long checkpoint(String reason) {
        synchronized (checkpointLock) {
            HeapEvents.Checkpoint ev = new HeapEvents.Checkpoint();
            ev.begin();
            applyPendingAsync();
            reapDeadThreads();
            long cp = log.durableLsn();
            for (ThreadCtx c : allCtxs) {
                // inflight first: an ASYNC commit sets pendingLsn before it clears inflight
                cp = Math.min(cp, c.inflight);
                cp = Math.min(cp, c.pendingLsn);
            }
            Superblock s = sb;
            cp = Math.max(cp, s.checkpointLsn());
            long lines = flushDirty();
            if (cp != s.checkpointLsn()) {
                writeSuperblock(s.next(cp, false));
            }
            // even at an unchanged checkpoint LSN: the head may lag it (a crash between the two
            // persists); a no-op when the head is there already
            log.reclaim(cp);
            checkpoints.incrementAndGet();
            if (ev.shouldCommit()) {
                ev.lsn = cp;
                ev.lines = lines;
                ev.reason = reason;
                ev.commit();
            }
            return cp;
        }
    }

    /**
     * Gives the current slabs of threads that have ended back to the allocator (their free slots
     * would otherwise stay unused until the pool is reopened) and forgets their contexts.
     *
     * <p>Runs from checkpoints (under the checkpoint lock) and from allocations that found the heap
     * full (without it), so two reapers can meet: each ended thread is reaped by exactly one of
     * them, claimed under its context's monitor. A second reaper would disown slabs that another
     * thread may own by then, and queue an empty slab for retirement twice.
     */
    void reapDeadThreads() {
        for (ThreadCtx c : allCtxs) {
            if (c.thread.isAlive()) {
                continue;
            }
            long pending = c.pendingLsn;
            if (pending != ThreadCtx.NONE) {
                applyPendingBelow(pending + 1); // in log order, before this context's monitor
            }
            synchronized (c) {
                if (c.reaped) {
                    continue;
                }
                for (SlabAllocator.SlabState s : c.current) {
                    if (s != null && s.disown()) {
                        allocator.retireLater(s);
                    }
                }
                java.util.Arrays.fill(c.current, null);
                c.reaped = true;
            }
            allCtxs.remove(c);
        }
    }

    private long flushDirty() {
        long lines = dirty.drain(media::flush);
        media.fence();
        return lines;
    }

    private void onLogFull() {
        if (!closed) {
            checkpoint("log full");
        }
    }

    private void maybeWakeCheckpointer() {
        Thread t = checkpointer;
        if (t != null && !checkpointWanted) {
            long used = log.tailLsn() - log.headLsn();
            if (used > log.capacity() / 2) {
                checkpointWanted = true;
                LockSupport.unpark(t);
            }
        }
    }

    private void startCheckpointer() {
        Duration every = options.checkpointInterval();
        if (every.isZero()) {
            return;
        }
        Thread t = new Thread(() -> {
            long periodNanos = every.toNanos();
            long next = System.nanoTime() + periodNanos;
            while (!stopping) {
                long wait = next - System.nanoTime();
                if (wait > 0 && !checkpointWanted) {
                    LockSupport.parkNanos(this, Math.min(wait, 1_000_000_000L));
                    continue;
                }
                if (stopping) {
                    break;
                }
                try {
                    checkpoint(checkpointWanted ? "log half full" : "periodic");
                } catch (RuntimeException e) {
                    if (!stopping) {
                        LOG.log(System.Logger.Level.WARNING, "background checkpoint of " + poolName + " failed", e);
                    }
                }
                checkpointWanted = false;
                next = System.nanoTime() + periodNanos;
            }
        }, "ferrite-checkpoint " + (media.path() == null ? sb.poolId() : media.path().getFileName()));
        t.setDaemon(true);
        checkpointer = t;
        t.start();
    }

    // ================================================================== close

    /**
     * Checkpoints, marks the pool cleanly closed and unmaps it (unless the media is the caller's).
     * Open transactions of other threads fail from now on.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        ThreadCtx me = ctxs.get();
        if (me != null && me.tx.isActive()) {
            me.tx.abort();
        }
        stopCheckpointer();
        try {
            long cp = checkpoint("close");
            closed = true;
            writeSuperblock(sb.next(cp, true));
        } finally {
            closed = true;
            closeLogQuietly();
            if (ownsMedia) {
                media.close();
            }
            if (lock != null) {
                lock.close();
            }
        }
    }

    /**
     * Simulates a crash for tests: stops background work and drops the heap without a checkpoint
     * or a clean-close mark; whatever is not durable stays so. The media is closed if owned.
     */
    public void crash() {
        closed = true;
        stopCheckpointer();
        closeLogQuietly();
        if (ownsMedia) {
            media.close();
        }
        if (lock != null) {
            lock.close();
        }
    }

    private void stopCheckpointer() {
        Thread t = checkpointer;
        checkpointer = null;
        if (t != null) {
            stopping = true;
            LockSupport.unpark(t);
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void closeLogQuietly() {
        if (log != null) {
            try {
                log.close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "closing the log of " + poolName, e);
            }
        }
    }

    @Override
    public String toString() {
        return "Heap[" + poolName + ", " + sb.poolSize() + " bytes at 0x" + Long.toHexString(base) + "]";
    }
}
