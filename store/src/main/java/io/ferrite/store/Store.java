package io.ferrite.store;

import com.esotericsoftware.kryo.Kryo;
import io.ferrite.ConfigurationException;
import io.ferrite.media.Media;
import io.ferrite.pheap.Durability;
import io.ferrite.pheap.Heap;
import io.ferrite.pheap.HeapOptions;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * An object store over one persistent heap: a directory of named roots (collections and single
 * values) and thread-safe persistent collections whose every operation is atomic and durable.
 *
 * <pre>{@code
 * try (Store store = Store.openOrCreate(path, 64 << 20, new Store.Context().register(User.class, 100))) {
 *     PersistentMap<String, User> users = store.map("users", String.class, User.class);
 *     users.put("alice", new User("Alice", 42));
 * }
 * }</pre>
 *
 * <p>The store owns the pool's root object (type {@code store.Root}); a pool is either a store or
 * an application's own heap, not both (objects of the application's own pheap types would not be
 * reachable from the root, and {@code ferrite check} would count them as leaks).
 *
 * <p>Threading: a store and its collections are shared by any number of threads. Durability: an
 * operation has returned only after its redo record is persisted ({@link Durability#SYNC}) and
 * applied; a transaction ({@link #inTransaction}) commits all its operations in one record.
 */
public final class Store implements AutoCloseable {
    /** How errors about the directory itself name the collection. */
    static final String DIRECTORY = "<directory>";
    static final int KIND_MAP = StoreTypes.KIND_MAP;
    static final int KIND_SORTED = StoreTypes.KIND_SORTED;
    static final int KIND_LIST = StoreTypes.KIND_LIST;
    static final int KIND_VALUE = StoreTypes.KIND_VALUE;

    private final Heap heap;
    private final Context ctx;
    final Mem mem;
    final long lockTimeoutNanos;
    private final KryoCodecs kryo;
    private final ThreadLocal<Transaction> txs = new ThreadLocal<>();
    private final ReentrantReadWriteLock dirLock = new ReentrantReadWriteLock();
    /** name → directory entry, in directory order (newest first); guarded by dirLock. */
    private final Map<String, DirEntry> dir = new LinkedHashMap<>();
    private final Ref root;
    private final StoreDirectory directory;
    private final RootValues roots;
    private volatile boolean closed;

    static final class DirEntry {
        final String name;
        final long offset;
        final int kind;
        volatile String sig;
        Object collection;

        DirEntry(String name, long offset, int kind, String sig) {
            this.name = name;
            this.offset = offset;
            this.kind = kind;
            this.sig = sig;
        }
    }

    private Store(Heap heap, Context ctx) {
        this.heap = heap;
        this.ctx = ctx;
        this.mem = new Mem(heap);
        this.lockTimeoutNanos = ctx.lockTimeout.toNanos();
        this.kryo = new KryoCodecs(ctx.registrations, ctx.kryoCustomizer);
        for (var t : new io.ferrite.pheap.PType[] {StoreTypes.ROOT, StoreTypes.DENT, StoreTypes.HMAP, StoreTypes.HNODE,
            StoreTypes.BKT, StoreTypes.DIR1, StoreTypes.DIR2, StoreTypes.CNT, StoreTypes.SHDR, StoreTypes.SNODE,
            StoreTypes.LHDR, StoreTypes.LNODE}) {
            heap.register(t);
        }
        try {
            this.root = heap.root(StoreTypes.ROOT);
        } catch (IllegalArgumentException e) {
            throw new StoreException("pool " + mem.pool + " is not an object store: " + e.getMessage(),
                    "open it with Heap.open (it is an application's own heap), or create a new pool for the store", e);
        }
        long v = heap.getLong(root, StoreTypes.ROOT_VERSION);
        if (v == 0) {
            try (Tx tx = heap.begin(Durability.SYNC)) {
                tx.setLong(root, StoreTypes.ROOT_VERSION, StoreTypes.FORMAT_VERSION);
                tx.commit();
            }
        } else if (v != StoreTypes.FORMAT_VERSION) {
            throw new StoreException("pool " + mem.pool + " holds a store of format version " + v + "; this build reads version "
                    + StoreTypes.FORMAT_VERSION, "open it with a Ferrite release that knows store version " + v);
        }
        this.directory = new StoreDirectory(this, heap, mem, dirLock, dir, root);
        directory.load();
        this.roots = new RootValues(this, directory);
    }

    // ================================================================== open / create

    /** Creates a pool file of {@code size} bytes (it must not exist) holding an empty store. */
    public static Store create(Path path, long size, Context context) {
        Context c = context.copy().conclude();
        return start(Heap.create(path, size, c.heapOptions), c);
    }

    /**
     * Creates a store in a new pool file that grows on its own: it starts small (16 MiB with the
     * default slab size) and grows, without moving, up to the heap options' maxSize (64 GiB of
     * address space when unset) as the store fills; see docs/store.md.
     */
    public static Store create(Path path, Context context) {
        Context c = context.copy().conclude();
        return start(Heap.create(path, c.heapOptions), c);
    }

    /** Opens the pool file if it exists, else creates a growing one ({@link #create(Path, Context)}). */
    public static Store openOrCreate(Path path, Context context) {
        return Files.exists(path) ? open(path, context) : create(path, context);
    }

    /** Opens the store in an existing pool file (recovering it if it was not closed cleanly). */
    public static Store open(Path path, Context context) {
        Context c = context.copy().conclude();
        return start(Heap.open(path, c.heapOptions), c);
    }

    /** Opens the pool file if it exists, else creates it with {@code size} bytes. */
    public static Store openOrCreate(Path path, long size, Context context) {
        return Files.exists(path) ? open(path, context) : create(path, size, context);
    }

    /** Creates a store in caller-owned, zero-filled media (tests, crash simulation); close leaves the media open. */
    public static Store create(Media media, Context context) {
        Context c = context.copy().conclude();
        return start(Heap.create(media, c.heapOptions), c);
    }

    /** Opens the store held in caller-owned media. */
    public static Store open(Media media, Context context) {
        Context c = context.copy().conclude();
        return start(Heap.open(media, c.heapOptions), c);
    }

    private static Store start(Heap heap, Context c) {
        try {
            return new Store(heap, c);
        } catch (RuntimeException | Error e) {
            heap.close();
            throw e;
        }
    }

    // ================================================================== accessors

    public Heap heap() {
        return heap;
    }

    /** The pool file, or null for caller-owned media. */
    public Path path() {
        return heap.path();
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("store " + mem.pool + " is closed");
        }
    }

    String pool() {
        return mem.pool;
    }

    Transaction txState() {
        Transaction t = txs.get();
        if (t == null) {
            t = new Transaction(this);
            txs.set(t);
        }
        return t;
    }

    /** True when the calling thread is inside {@link #inTransaction}. */
    boolean inUserTransaction() {
        Transaction t = txs.get();
        return t != null && t.active;
    }

    /**
     * The codec for {@code type}: the one plugged in with {@link Context#codec}, else the native one
     * (primitive wrappers, String, byte[]), else Kryo if the class is registered; else an
     * {@link UnregisteredClassException}.
     */
    @SuppressWarnings("unchecked")
    public <T> Codec<T> codec(Class<T> type) {
        Codec<?> c = ctx.codecs.get(type);
        if (c != null) {
            return (Codec<T>) c;
        }
        Codec<T> n = Codecs.nativeCodec(type);
        return n != null ? n : kryo.codec(type);
    }

    // ================================================================== transactions

    /**
     * Runs {@code body} in one transaction: every store operation the calling thread makes inside
     * it commits together, atomically and durably, when the body returns; an exception aborts all
     * of them and is rethrown. Nested calls join the outer transaction.
     *
     * <p>Operations keep their collection's lock until the end. If a lock cannot be taken within
     * {@link Context#lockTimeout} (another transaction holds it, maybe waiting for one of ours),
     * the attempt is aborted and the body runs again after a short random pause, up to
     * {@link Context#maxAttempts} times: the body must be free of side effects outside the store.
     */
    public void inTransaction(Consumer<Transaction> body) {
        callInTransaction(t -> {
            body.accept(t);
            return null;
        });
    }

    /** {@link #inTransaction} returning the body's result. */
    public <T> T callInTransaction(Function<Transaction, T> body) {
        Objects.requireNonNull(body, "body");
        Transaction t = txState();
        if (t.active) {
            if (!t.user) {
                throw new IllegalStateException("a store transaction cannot start inside a collection operation");
            }
            return body.apply(t);
        }
        for (int attempt = 1; ; attempt++) {
            t.begin(true);
            try {
                T r = body.apply(t);
                if (t.doomed) {
                    throw Transaction.LockConflict.INSTANCE; // the body caught a conflict: retry all the same
                }
                t.commit();
                return r;
            } catch (Transaction.LockConflict c) {
                t.abortIfActive();
                if (attempt >= ctx.maxAttempts) {
                    throw new StoreException("transaction on " + mem.pool + " could not take its locks in " + attempt
                            + " attempts of " + ctx.lockTimeout.toMillis() + " ms", "keep transactions short, or raise"
                            + " Store.Context.lockTimeout / maxAttempts");
                }
                LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(50_000L * Math.min(attempt, 20)));
            } catch (RuntimeException | Error e) {
                t.abortIfActive();
                throw e;
            }
        }
    }

    // ================================================================== directory

    /** A hash map of that name, created empty if absent; keys and values use {@link #codec}. */
    public <K, V> PersistentMap<K, V> map(String name, Class<K> keyType, Class<V> valueType) {
        return map(name, codec(keyType), codec(valueType));
    }

    public <K, V> PersistentMap<K, V> map(String name, Codec<K> keys, Codec<V> values) {
        String sig = StoreTypes.signature(KIND_MAP, keys.name(), values.name());
        @SuppressWarnings("unchecked")
        PersistentMap<K, V> m = (PersistentMap<K, V>) directory.collection(name, KIND_MAP, sig,
                tx -> PersistentMap.allocate(tx), d -> new PersistentMap<>(this, name, directory.headerOf(d), keys, values));
        return m;
    }

    /** A sorted map of that name in the keys' natural order, created empty if absent. */
    public <K extends Comparable<? super K>, V> PersistentSortedMap<K, V> sortedMap(String name, Class<K> keyType, Class<V> valueType) {
        return sortedMap(name, codec(keyType), codec(valueType), Comparator.naturalOrder());
    }

    /**
     * A sorted map ordered by {@code comparator}; the comparator is not persisted, so pass the same
     * one every time the map is opened.
     */
    public <K, V> PersistentSortedMap<K, V> sortedMap(String name, Codec<K> keys, Codec<V> values, Comparator<? super K> comparator) {
        String sig = StoreTypes.signature(KIND_SORTED, keys.name(), values.name());
        @SuppressWarnings("unchecked")
        PersistentSortedMap<K, V> m = (PersistentSortedMap<K, V>) directory.collection(name, KIND_SORTED, sig,
                tx -> PersistentSortedMap.allocate(tx), d -> new PersistentSortedMap<>(this, name, directory.headerOf(d), keys, values, comparator));
        return m;
    }

    /** A list / deque of that name, created empty if absent. */
    public <E> PersistentList<E> list(String name, Class<E> elementType) {
        return list(name, codec(elementType));
    }

    public <E> PersistentList<E> list(String name, Codec<E> elements) {
        String sig = StoreTypes.signature(KIND_LIST, elements.name(), null);
        @SuppressWarnings("unchecked")
        PersistentList<E> l = (PersistentList<E>) directory.collection(name, KIND_LIST, sig,
                tx -> PersistentList.allocate(tx), d -> new PersistentList<>(this, name, directory.headerOf(d), elements));
        return l;
    }

    static void checkName(String name) {
        if (name == null || name.isEmpty() || name.length() > 1024) {
            throw new IllegalArgumentException("root name must be 1..1024 characters, got " + (name == null ? "null" : name.length()));
        }
    }

    /** The names in the store's directory (collections and values), newest first. */
    public Set<String> names() {
        dirLock.readLock().lock();
        try {
            return Collections.unmodifiableSet(new LinkedHashSet<>(dir.keySet()));
        } finally {
            dirLock.readLock().unlock();
        }
    }

    /**
     * Stores {@code value} under {@code name} (a named root value, encoded with {@link #codec}),
     * replacing any previous value of that name; atomic and durable, or part of the current
     * transaction.
     */
    public <T> void setRoot(String name, T value) {
        roots.setRoot(name, value);
    }

    /** The value stored under {@code name}, or null if there is none. */
    public <T> T getRoot(String name, Class<T> type) {
        return roots.getRoot(name, type);
    }

    /**
     * Removes the named value {@code name} (set with {@link #setRoot}); true when there was one.
     * Collections cannot be removed from the directory (they can be cleared).
     */
    public boolean removeRoot(String name) {
        return roots.removeRoot(name);
    }

    /**
     * Decodes with {@code c}, turning any codec failure into a {@link CodecException} naming the
     * collection and key ({@code key} is described only then: {@link #describeKey}).
     */
    static <T> T decode(Codec<T> c, byte[] b, int off, int len, String collection, Object keyObject) {
        try {
            return c.decode(b, off, len);
        } catch (CodecException e) {
            String key = keyObject == null ? null : describeKey(keyObject);
            String m = e.getMessage();
            String suffix = " (" + e.hint() + ")";
            if (!e.hint().isEmpty() && m.endsWith(suffix)) {
                m = m.substring(0, m.length() - suffix.length());
            }
            CodecException w = e instanceof UnregisteredClassException
                    ? new UnregisteredClassException("collection '" + collection + "'" + (key == null ? "" : ", key " + key) + ": " + m, e.hint())
                    : new CodecException("collection '" + collection + "'" + (key == null ? "" : ", key " + key) + ": " + m, e.hint());
            throw w;
        } catch (RuntimeException e) {
            String key = keyObject == null ? null : describeKey(keyObject);
            throw new CodecException("collection '" + collection + "'" + (key == null ? "" : ", key " + key) + ": codec "
                    + c.name() + " cannot decode the stored " + len + " bytes: " + e, "open the collection with its codec");
        }
    }

    /** A position described as is in error messages (e.g. a list index). */
    record Label(String text) {
    }

    /** The key as text for error messages (byte arrays as hex, long texts cut). */
    static String describeKey(Object key) {
        String s;
        if (key instanceof Label l) {
            s = l.text();
        } else if (key instanceof byte[] b) {
            StringBuilder sb = new StringBuilder("0x");
            for (int i = 0; i < Math.min(b.length, 32); i++) {
                sb.append(String.format("%02x", b[i]));
            }
            s = sb.append(b.length > 32 ? "..." : "").toString();
        } else if (key instanceof String str) {
            s = '"' + str + '"';
        } else {
            s = String.valueOf(key);
        }
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }

    // ================================================================== close

    /** Checkpoints and closes the heap. Collections of this store fail from now on. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        heap.close();
    }

    @Override
    public String toString() {
        return "Store[" + mem.pool + ", " + dir.size() + " names]";
    }

    // ================================================================== context

    /**
     * How a store is opened. Fluent setters, documented defaults, one {@link #conclude()}.
     *
     * <table>
     * <caption>Store options</caption>
     * <tr><th>option</th><th>default</th><th>meaning</th></tr>
     * <tr><td>heapOptions</td><td>{@link HeapOptions#defaults()}</td><td>the heap underneath; its durability
     *     must be SYNC (the store always commits SYNC)</td></tr>
     * <tr><td>register(class, id)</td><td>none</td><td>a class Kryo may write and read, with a stable id &ge; 16;
     *     every non-native class stored must be registered (and the classes of its fields)</td></tr>
     * <tr><td>codec(class, codec)</td><td>none</td><td>a user codec for a class (wins over native and Kryo)</td></tr>
     * <tr><td>kryo(customizer)</td><td>none</td><td>called on each new Kryo instance (e.g. custom serializers)</td></tr>
     * <tr><td>lockTimeout</td><td>{@value #LOCK_TIMEOUT_MS_DEFAULT} ms (system property
     *     {@value #LOCK_TIMEOUT_MS_PROP_NAME})</td><td>longest wait for a lock inside a transaction before the
     *     attempt is retried</td></tr>
     * <tr><td>maxAttempts</td><td>{@value #MAX_ATTEMPTS_DEFAULT} (system property {@value #MAX_ATTEMPTS_PROP_NAME})</td>
     *     <td>attempts of a transaction body before it fails</td></tr>
     * </table>
     */
    public static final class Context {
        public static final String LOCK_TIMEOUT_MS_PROP_NAME = "ferrite.store.lockTimeoutMs";
        public static final long LOCK_TIMEOUT_MS_DEFAULT = 20;
        public static final String MAX_ATTEMPTS_PROP_NAME = "ferrite.store.maxAttempts";
        public static final int MAX_ATTEMPTS_DEFAULT = 200;
        /** Kryo ids below this are Kryo's own (primitives, String). */
        public static final int MIN_KRYO_ID = 16;

        private HeapOptions heapOptions = HeapOptions.defaults();
        private final Map<Class<?>, Integer> registrations = new LinkedHashMap<>();
        private final Map<Class<?>, Codec<?>> codecs = new HashMap<>();
        private Consumer<Kryo> kryoCustomizer;
        private Duration lockTimeout = Duration.ofMillis(Long.getLong(LOCK_TIMEOUT_MS_PROP_NAME, LOCK_TIMEOUT_MS_DEFAULT));
        private int maxAttempts = Integer.getInteger(MAX_ATTEMPTS_PROP_NAME, MAX_ATTEMPTS_DEFAULT);

        public Context heapOptions(HeapOptions options) {
            this.heapOptions = options;
            return this;
        }

        /** Allows Kryo to write and read {@code type} under {@code id}; the id must never change for that class. */
        public Context register(Class<?> type, int id) {
            registrations.put(Objects.requireNonNull(type, "type"), id);
            return this;
        }

        public <T> Context codec(Class<T> type, Codec<T> codec) {
            codecs.put(Objects.requireNonNull(type, "type"), Objects.requireNonNull(codec, "codec"));
            return this;
        }

        public Context kryo(Consumer<Kryo> customizer) {
            this.kryoCustomizer = customizer;
            return this;
        }

        public Context lockTimeout(Duration timeout) {
            this.lockTimeout = timeout;
            return this;
        }

        public Context maxAttempts(int attempts) {
            this.maxAttempts = attempts;
            return this;
        }

        public HeapOptions heapOptions() {
            return heapOptions;
        }

        public Duration lockTimeout() {
            return lockTimeout;
        }

        public int maxAttempts() {
            return maxAttempts;
        }

        public Context copy() {
            Context c = new Context();
            c.heapOptions = heapOptions == null ? null : heapOptions.copy();
            c.registrations.putAll(registrations);
            c.codecs.putAll(codecs);
            c.kryoCustomizer = kryoCustomizer;
            c.lockTimeout = lockTimeout;
            c.maxAttempts = maxAttempts;
            return c;
        }

        /** Validates the options together; {@link ConfigurationException} naming the bad value or combination. */
        public Context conclude() {
            ConfigurationException.requireSet(heapOptions, "heapOptions");
            if (heapOptions.durability() != Durability.SYNC) {
                throw new ConfigurationException("heapOptions.durability=" + heapOptions.durability() + ": the store needs SYNC;"
                        + " its collections publish a change once it is applied, and ASYNC applies later");
            }
            if (lockTimeout == null || lockTimeout.isNegative() || lockTimeout.isZero()) {
                throw new ConfigurationException("lockTimeout=" + lockTimeout + " must be positive");
            }
            if (maxAttempts < 1) {
                throw new ConfigurationException("maxAttempts=" + maxAttempts + " must be at least 1");
            }
            Map<Integer, Class<?>> byId = new HashMap<>();
            for (Map.Entry<Class<?>, Integer> e : registrations.entrySet()) {
                Class<?> c = e.getKey();
                int id = e.getValue();
                if (id < MIN_KRYO_ID) {
                    throw new ConfigurationException("register(" + c.getName() + ", " + id + "): ids below " + MIN_KRYO_ID
                            + " are Kryo's own");
                }
                if (Codecs.nativeCodec(c) != null) {
                    throw new ConfigurationException("register(" + c.getName() + ", " + id + "): " + c.getName()
                            + " has a native codec; it needs no registration");
                }
                Class<?> other = byId.put(id, c);
                if (other != null) {
                    throw new ConfigurationException("register: id " + id + " given to both " + other.getName() + " and "
                            + c.getName());
                }
            }
            heapOptions.conclude();
            return this;
        }
    }
}
