package io.ferrite.pheap;

import io.ferrite.FerriteException;
import io.ferrite.media.FlushBackend;
import io.ferrite.media.Media;
import io.ferrite.media.MediaOptions;
import io.ferrite.pheap.format.Le;
import io.ferrite.pheap.format.Superblock;
import io.ferrite.pheap.format.SuperblockDescriptor;
import io.ferrite.pheap.format.TypeRegistryDescriptor;
import io.ferrite.pmlog.PmLog;
import io.ferrite.swizzle.PointerVerifier;
import io.ferrite.swizzle.SwizzleOptions;
import io.ferrite.swizzle.SwizzleReport;
import io.ferrite.swizzle.Swizzler;
import io.ferrite.swizzle.VerifyReport;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

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
 *
 * <p>Why this class is longer than the others: it is the package's facade, and most of its lines
 * are the javadoc of its public API (create and open variants, direct reads, types, root, the
 * replication hooks). Each job behind that API is a class of its own: {@link PoolFiles} (probe,
 * map options, format), {@link Recovery}, {@link Replay}, {@link DramState} (registry and
 * allocator), {@link CommitPath}, {@link Checkpointer} and {@link AdmissionGate}.
 */
public final class Heap implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.ferrite.pheap");
    /** System property: the address hint used at create (0 = let the kernel choose). */
    public static final String CREATE_HINT_PROP_NAME = "ferrite.heap.createAddressHint";

    private final Media media;
    private final boolean ownsMedia;
    private final PoolLock lock;
    private final String poolName;
    private final HeapOptions options;
    private final MemorySegment seg;
    private volatile Superblock sb;
    private final Object sbLock = new Object();
    private PmLog log;
    /** The registry and the allocator (a replica reloads them after applies). */
    private final DramState dram;
    private final DirtyLineSet dirty;
    private final Replay applier;
    /** Null when the pool cannot grow in this mapping. */
    private final PoolGrowth growth;
    private final long base;
    private final ThreadLocal<ThreadCtx> ctxs = new ThreadLocal<>();
    private final List<ThreadCtx> allCtxs = new CopyOnWriteArrayList<>();
    private final Object checkpointLock = new Object();
    private final Object rootLock = new Object();
    private final AdmissionGate admission;
    /** Opened as a replica: no transactions; records come in through {@link #applyReplicated}. */
    private final boolean replica;
    private RecoveryReport recovery;
    /** Made once the log is open, in {@link #recover}; the heap is handed out only after. */
    private Checkpointer checkpointer;
    private CommitPath commitPath;
    private volatile boolean closed;

    private Heap(Media media, boolean ownsMedia, PoolLock lock, Superblock sb, HeapOptions options) {
        this.media = media;
        this.ownsMedia = ownsMedia;
        this.lock = lock;
        this.poolName = media.path() == null ? "<memory pool " + sb.poolId() + ">" : media.path().toString();
        this.options = options;
        // the pool's bytes only: a file grown past the pool (after a crash mid-swizzle, say) must not
        // widen what the swizzle decides by, nor what a pointer may reach. A pool that can grow in
        // this mapping spans the reserved range: growth maps more of it and no pointer moves; every
        // check of an offset is against the superblock's current size, never the segment's
        long heapMax = Math.min(sb.maxSize(), media.maxSize());
        boolean growable = heapMax > sb.poolSize() && !options.replica() && !media.readOnly();
        this.seg = growable ? media.segment().reinterpret(heapMax) : media.segment().asSlice(0, sb.poolSize());
        this.sb = sb;
        this.base = media.baseAddress();
        this.dirty = new DirtyLineSet(growable ? heapMax : sb.poolSize());
        this.applier = Replay.atBase(seg, sb, base, dirty);
        this.growth = growable ? new PoolGrowth(this, media, seg, applier, heapMax, options) : null;
        if ((base & 4095) != 0 || base <= 0) {
            throw new FerriteException(String.format("pool %s is mapped at 0x%x, which is not page aligned", poolName, base),
                    "map pools with Media.create/Media.open (page-aligned mappings)");
        }
        this.dram = growable ? new DramState(seg, sb, poolName, (heapMax - sb.slabAreaOffset()) / sb.slabSize(), growth)
                : new DramState(seg, sb, poolName);
        this.admission = new AdmissionGate(allCtxs, poolName);
        this.replica = options.replica();
    }

    // ================================================================== create / open

    /**
     * Creates a new pool file that grows on its own: {@link HeapOptions#GROWABLE_INITIAL_SIZE_DEFAULT}
     * bytes at first, up to the options' maxSize ({@link HeapOptions#GROWABLE_MAX_SIZE_DEFAULT} when
     * unset).
     */
    public static Heap create(Path path, HeapOptions options) {
        HeapOptions o = options.copy();
        if (o.maxSize() == 0) {
            o.maxSize(HeapOptions.GROWABLE_MAX_SIZE_DEFAULT);
        }
        return create(path, PoolFiles.initialSize(o.copy().conclude()), o);
    }

    /**
     * Creates a new pool file of {@code size} bytes (it must not exist) and opens it. With {@link
     * HeapOptions#maxSize} above {@code size} (both page aligned), the pool grows when its slabs run
     * out, up to that maximum; otherwise it keeps {@code size}.
     */
    public static Heap create(Path path, long size, HeapOptions options) {
        HeapOptions o = options.copy().conclude();
        if (o.maxSize() != 0 && (o.maxSize() < size || size % 4096 != 0)) {
            throw new io.ferrite.ConfigurationException("maxSize=" + o.maxSize() + " must be at least the pool size " + size
                    + ", and the size a multiple of 4096, to create " + path);
        }
        PoolLock lock = null;
        Media media = null;
        try {
            MediaOptions mo = o.mediaOptions().copy();
            if (o.maxSize() > size) {
                mo.maxSize(o.maxSize());
            }
            if (mo.backend() != FlushBackend.JDK_SYNC) {
                mo.addressHint(o.addressHint() != 0 ? o.addressHint() : PoolFiles.createAddressHint());
            }
            media = Media.create(path, size, mo);
            // the lock is on the pool file itself, so it exists first; an open before this sees no superblock
            lock = PoolLock.acquire(path);
            Superblock sb = PoolFiles.format(media, o);
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
        Superblock sb = PoolFiles.format(media, o);
        return start(media, false, null, sb, o);
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
            Superblock sb = PoolFiles.probe(path);
            media = Media.open(path, PoolFiles.mapOptions(o, sb.baseAddress(), sb.poolSize(), o.replica() ? 0 : sb.maxSize()));
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
     * Opens the pool held in caller-owned media (which stays open after {@link #close()}). When
     * the media is mapped at another base than the pool's pointers assume, recovery swizzles.
     */
    public static Heap open(Media media, HeapOptions options) {
        HeapOptions o = options.copy().conclude();
        Superblock sb = PoolFiles.choose(media.segment(), media.size(), media.path() == null ? "<memory pool>" : media.path().toString());
        return start(media, false, null, sb, o);
    }

    private static Heap start(Media media, boolean owns, PoolLock lock, Superblock sb, HeapOptions o) {
        Heap h = new Heap(media, owns, lock, sb, o);
        try {
            h.recovery = Recovery.run(h);
        } catch (RuntimeException | Error e) {
            h.closeLogQuietly();
            throw e;
        }
        h.checkpointer.start();
        return h;
    }

    /**
     * Opens the pool's log (its own recovery finds the durable end) and makes the checkpointer and
     * the commit path over it; once, from {@link Recovery}, before any record is appended.
     */
    PmLog openLog() {
        Superblock s = sb;
        log = PmLog.open(media, s.logOffset(), s.logLength(), PoolFiles.logOptions(() -> checkpointer.onLogFull(), options, s));
        checkpointer = new Checkpointer(this, log, media, dirty, allCtxs, checkpointLock, poolName, options);
        commitPath = new CommitPath(this, log, applier, admission, checkpointer, allCtxs, poolName);
        return log;
    }

    Checkpointer checkpointer() {
        return checkpointer;
    }

    DirtyLineSet dirty() {
        return dirty;
    }

    String name() {
        return poolName;
    }

    boolean isReplica() {
        return replica;
    }

    /** What {@link #rebuildVolatileState} found: live objects, and what the swizzle did. */
    record VolatileState(long live, SwizzleReport swizzle) {
    }

    /**
     * Rebuilds what the heap keeps in DRAM from the pool as replay left it: loads the type
     * registry, rebuilds the allocator from the slab table and bitmaps, checks the root, and
     * swizzles when the mapping moved or an earlier swizzle was interrupted (a no-op otherwise).
     * Separate from the replay, so that a heap that was replayed into by other means (a replica
     * being promoted) can call it. Appends nothing to the log.
     */
    VolatileState rebuildVolatileState() {
        long live = dram.load();
        SwizzleReport swz = Swizzler.swizzle(swizzleView(), SwizzleOptions.defaults().parallelism(options.swizzleThreads()));
        return new VolatileState(live, swz);
    }

    // ================================================================== replica

    /**
     * Applies one redo record of the primary to this replica's pool ({@link HeapOptions#replica}
     * only), through the heap's {@link Replay} at its base; the lines it writes are flushed at the
     * next checkpoint. Records must come in LSN order, each whole and at most once past what the
     * pool already holds (replaying one again is harmless). Readers of this heap see the record
     * once this returns (the registry and allocator are reloaded before the next read).
     *
     * <p>Not durable by itself: a replica keeps the records in its own log (the mirror) before it
     * applies them, or asks its primary for them again after a crash. Returns the operations
     * applied; a malformed record changes nothing and raises {@link FerriteException}.
     */
    public int applyReplicated(long lsn, MemorySegment record, long offset, int length) {
        ensureOpen();
        if (!replica) {
            throw new IllegalStateException("heap " + poolName + " is not a replica: its pool changes through transactions only"
                    + " (open it with HeapOptions.replica(true) to apply a primary's records)");
        }
        return dram.applyReplicated(applier, lsn, record, offset, length);
    }

    /** Refuses a write on a replica. */
    private void ensureWritable() {
        if (replica) {
            throw new ReadOnlyHeapException("heap " + poolName + " is open as a replica: transactions, new types and a new root"
                    + " are refused; its pool changes only through the primary's records", "write to the primary, or open the pool"
                    + " without HeapOptions.replica to promote it");
        }
    }

    /**
     * The heap's admission gate: closing it refuses new transactions and commits at once ({@link
     * AdmissionClosedException}) while those in flight finish; see {@link AdmissionGate}.
     */
    public AdmissionGate admission() {
        return admission;
    }

    /**
     * Writes the successor that {@code change} makes of the superblock in force, under the
     * superblock lock: for a writer that is not serialized with checkpoints (growth), so that it
     * cannot carry an older checkpoint LSN over a newer one.
     */
    void updateSuperblock(java.util.function.UnaryOperator<Superblock> change) {
        synchronized (sbLock) {
            writeSuperblock(change.apply(sb));
        }
    }

    void writeSuperblock(Superblock next) {
        synchronized (sbLock) {
            // a copy made from an older superblock: the next sequence, and never a smaller pool
            next = next.after(sb);
            long slot = SuperblockDescriptor.slotOffset((int) ((next.sequence() + 1) & 1));
            next.write(seg, slot);
            media.persist(slot, SuperblockDescriptor.LENGTH);
            sb = next;
        }
    }

    // ================================================================== swizzling

    /** The pool as the swizzle module sees it, with the registry as it is now. */
    PoolSwizzleView swizzleView() {
        return new PoolSwizzleView(media, sb, registry(), poolName, () -> sb.baseAddress(), this::persistPoolBase);
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

    /** Bytes of the pool now (the superblock's size; it grows, it never shrinks while open). */
    public long poolSize() {
        return sb.poolSize();
    }

    /** Bytes this pool may grow to in this mapping: its size when it cannot grow. */
    public long maxSize() {
        return growth == null ? sb.poolSize() : growth.maxSize();
    }

    /**
     * Grows the pool to at least {@code bytes} (rounded up to whole slabs) now, durably; a no-op
     * when it is that large already. Throws {@link HeapFullException} when the file system has no
     * room (naming the free bytes; the pool keeps its size) and {@link IllegalArgumentException}
     * beyond the maximum.
     */
    public void grow(long bytes) {
        ensureOpen();
        if (bytes <= sb.poolSize()) {
            return;
        }
        if (growth == null) {
            throw new IllegalArgumentException(String.format("pool %s cannot grow: its size %,d is its maximum%s", poolName,
                    sb.poolSize(), replica ? " (a replica grows when its primary does)" : ""));
        }
        dram.allocator().growTo(growth, bytes);
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
        return dram.registry();
    }

    SlabAllocator allocator() {
        return dram.allocator();
    }

    PmLog log() {
        return log;
    }

    /**
     * The tailing reader of the pool's log, for a replication shipper: delivers durable records
     * as framed ({@link io.ferrite.pmlog.LogReader#pollFrames}); read-only, thread-safe. What it
     * may read is kept by the {@link RetentionFloor}.
     */
    public io.ferrite.pmlog.LogReader logReader() {
        ensureOpen();
        return log.reader();
    }

    /** The capacity of the pool's log ring in bytes (a replica's mirror log needs the same). */
    public long logCapacity() {
        return log.capacity();
    }

    /** The oldest LSN the pool's log still holds (its head). */
    public long logHeadLsn() {
        return log.headLsn();
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
            throw new PoolCorruptedException(String.format("pointer at pool offset %d of %s holds 0x%x, outside the slab area of the pool"
                    + " mapped at 0x%x", fieldOffset, poolName, address, base), "run `ferrite check " + poolName + "`");
        }
        return off;
    }

    Ref refAt(long offset, String targetType) {
        if (targetType != null && !PType.ANY_BLOB.equals(targetType)) {
            TypeInfo t = registry().byName(targetType);
            if (t != null) {
                return new Ref(offset, t.def);
            }
        }
        return new Ref(offset, allocator().slabOf(offset).type.def);
    }

    /** A reference to the object at {@code poolOffset} (its type from its slab); checks it is an object start. */
    public Ref ref(long poolOffset) {
        dram.reloadIfStale();
        return new Ref(poolOffset, allocator().slabOf(poolOffset).type.def);
    }

    /** The object an absolute address points to (0 = null). */
    public Ref refOfAddress(long address) {
        return address == 0 ? null : ref(offsetOfAddress(address, -1));
    }

    /** True when {@code ref} is an allocated object (its bit is set in the allocator's DRAM bitmap). */
    public boolean isAllocated(Ref ref) {
        readBarrier();
        try {
            SlabAllocator.SlabState s = allocator().slabOf(ref.offset());
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
        dram.reloadIfStale();
        TypeInfo t = registry().lookup(type);
        if (t != null) {
            return t;
        }
        ensureOpen();
        return registry().register(type, this::commitSystem, ctx().sysWriter);
    }

    /** The registered type of that name (application or decoded from the pool), or null. */
    public PType type(String name) {
        dram.reloadIfStale();
        TypeInfo t = registry().byName(name);
        return t == null ? null : t.def;
    }

    /** Every type in the pool's registry, in id order. */
    public List<PType> types() {
        dram.reloadIfStale();
        return registry().all().stream().map(t -> t.def).toList();
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
                    TypeInfo had = registry().byId(tid);
                    throw new IllegalArgumentException("pool " + poolName + " has a root of type " + (had == null ? "#" + tid : had.name)
                            + ", not " + type.name());
                }
                return new Ref(off, type);
            }
            ensureWritable();
            if (t.large || t.variable) {
                throw new IllegalArgumentException("root type " + type.name() + " must fit in a slab");
            }
            ThreadCtx c = ctx();
            SlabAllocator.SlabState s = allocator().reserveSmall(c.current(t.id), t, c.slotOut, c.sysWriter, this::commitSystem);
            int slot = c.slotOut[0];
            long obj = s.objectOffset(slot);
            RedoWriter w = c.sysWriter.begin(0);
            w.setBits(s.bitmapWordOffset(slot), 1L << slot);
            try {
                registry().commitRoot(w, t.id, obj, this::commitSystem);
            } catch (RuntimeException | Error e) {
                s.release(slot);
                throw e;
            }
            return new Ref(obj, type);
        }
    }

    /** Statistics: live objects, slabs in use and free, commits, checkpoints. */
    public HeapStats stats() {
        dram.reloadIfStale();
        SlabAllocator a = allocator();
        long[] u = a.usage();
        return new HeapStats(u[0], u[1], a.freeSlabs(), a.slabCount(), sb.slabSize(), commitPath.commits(),
                checkpointer.count(), sb.checkpointLsn(), log.durableLsn());
    }

    // ================================================================== direct reads (no transaction)

    public long getLong(Ref ref, PField f) {
        readBarrier();
        return (long) f.handle().get(seg, ref.offset());
    }

    public int getInt(Ref ref, PField f) {
        readBarrier();
        return (int) f.handle().get(seg, ref.offset());
    }

    public double getDouble(Ref ref, PField f) {
        readBarrier();
        return (double) f.handle().get(seg, ref.offset());
    }

    public Ref getRef(Ref ref, PField f) {
        readBarrier();
        long off = offsetOfAddress(seg.get(ValueLayout.JAVA_LONG, ref.offset() + f.offset()), ref.offset() + f.offset());
        return off == 0 ? null : refAt(off, f.target());
    }

    // ================================================================== transactions

    ThreadCtx ctx() {
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
        ensureWritable();
        admission.checkBegin();
        ThreadCtx c = ctx();
        if (c.tx.isActive()) {
            throw new IllegalStateException("thread " + c.thread.getName() + " already has an open transaction on " + poolName
                    + "; commit or close it first (transactions do not nest)");
        }
        // what this transaction reads includes every commit that returned before it began
        readBarrier();
        if (allocator().hasRetiring()) {
            allocator().retirePending(c.sysWriter, this::commitSystem);
        }
        c.tx.start(durability, ++c.txCount);
        return c.tx;
    }

    /** Appends, makes durable and applies a record of the heap's own (slab init, registry, root). */
    void commitSystem(RedoWriter w) {
        ensureOpen();
        ensureWritable();
        ThreadCtx c = ctx();
        commitPath.append(c, w, Durability.SYNC, null, null, 0);
    }

    /** Commit of a transaction's record; frees are released in DRAM once applied. */
    void commit(ThreadCtx c, RedoWriter w, Durability d, SlabAllocator.SlabState[] fSlab, int[] fSlot, int frees) {
        ensureOpen();
        commitPath.append(c, w, d, fSlab, fSlot, frees);
    }

    /**
     * Before a direct read, a transaction's begin, a checkpoint: a replica's registry and allocator
     * as of its last applied record, and every ASYNC record appended before now applied, so that
     * what the caller reads includes every commit that returned before this call (ASYNC defers
     * durability, not visibility). Two volatile reads when there is nothing to do.
     */
    private void readBarrier() {
        dram.reloadIfStale();
        commitPath.applyPendingAsync();
    }

    CommitPath commitPath() {
        return commitPath;
    }

    boolean isClosed() {
        return closed;
    }

    // ================================================================== checkpoint

    /**
     * Writes back every line applied since the last checkpoint, persists the checkpoint LSN in the
     * superblock (the other copy, sequence + 1) and reclaims the log before it. Returns the
     * checkpoint LSN. Safe to call from any thread at any time.
     */
    public long checkpoint() {
        ensureOpen();
        return checkpointer.checkpoint("on demand");
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
                commitPath.applyPendingBelow(pending + 1); // in log order, before this context's monitor
            }
            synchronized (c) {
                if (c.reaped) {
                    continue;
                }
                for (SlabAllocator.SlabState s : c.current) {
                    if (s != null && s.disown()) {
                        allocator().retireLater(s);
                    }
                }
                java.util.Arrays.fill(c.current, null);
                c.reaped = true;
            }
            allCtxs.remove(c);
        }
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
        if (checkpointer != null) {
            checkpointer.stop();
        }
        try {
            long cp = checkpointer.checkpoint("close");
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
     * Simulates a crash, for tests only: {@link #abandon()} under a name no application calls by
     * mistake for a close.
     */
    public void crashForTesting() {
        abandon();
    }

    /**
     * Drops the heap without a checkpoint or a clean-close mark, as a crash would: background work
     * stops, whatever is not durable stays so, and the next open recovers. The media is closed if
     * owned, the writer lock released. For a repair that failed half way (`ferrite check
     * --repair`), which must not mark the pool clean; {@link #close()} is the normal end.
     */
    public void abandon() {
        closed = true;
        if (checkpointer != null) {
            checkpointer.stop();
        }
        closeLogQuietly();
        if (ownsMedia) {
            media.close();
        }
        if (lock != null) {
            lock.close();
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
