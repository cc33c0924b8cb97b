package io.ferrite.store;

import static io.ferrite.store.StoreTypes.*;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.ConcurrentModificationException;
import java.util.Deque;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.ListIterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * A persistent list and deque: a doubly linked list of {@code store.LNode}, each pointing at a
 * checksummed entry blob. Adding or removing at either end is O(1); access by index walks from
 * the nearer end (O(n)).
 *
 * <p><b>Threading.</b> One read-write lock per list: reads outside a transaction take the read
 * lock; writes, and every operation inside {@link Store#inTransaction}, take the write lock (held
 * to the end of the transaction, which sees its own writes).
 *
 * <p><b>Durability.</b> Each operation outside a transaction is one atomic, durable commit.
 *
 * <p><b>Iteration</b> ({@link #iterator()}, {@link #listIterator}, {@link #snapshot()}) walks a
 * snapshot of the whole list taken atomically under the read lock when iteration starts; it never
 * throws {@link java.util.ConcurrentModificationException} on reads and does not see later
 * changes. The list iterator's {@code remove}/{@code set}/{@code add} write through ({@link ListIter}).
 *
 * <p><b>Contract.</b> {@link List} and {@link Deque} in full, except that null elements are
 * refused ({@link NullPointerException}, as {@link java.util.ArrayDeque} does); negative or too
 * large indices throw {@link IndexOutOfBoundsException}; {@code removeIf}, {@code removeAll},
 * {@code retainAll} and {@code replaceAll} are one commit each. See docs/store.md for the
 * complexity of each operation.
 *
 * @param <E> element type
 */
public final class PersistentList<E> extends ListDequeBase<E> implements List<E>, Deque<E> {
    private final String name;
    private final Heap heap;
    private final Mem mem;
    private final Guarded guard;
    private final Codec<E> codec;
    private final long hdr;
    private final Ref hdrRef;
    /** Most nodes the pool can hold: the bound on the size a header may claim. */
    private final long capacity;

    PersistentList(Store store, String name, long header, Codec<E> codec) {
        this.name = name;
        this.heap = store.heap();
        this.mem = store.mem;
        this.guard = new Guarded(store);
        this.codec = codec;
        this.hdr = header;
        this.hdrRef = heap.ref(header);
        this.capacity = mem.capacity(LNODE);
    }

    static Ref allocate(Tx tx) {
        return tx.allocate(LHDR);
    }

    public String name() {
        return name;
    }

    private long link(Nav nav, long obj, io.ferrite.pheap.PField f) {
        long n = nav.ptr(obj, f);
        if (n == Mem.BAD) {
            throw new CorruptedEntryException(name, null, obj, "a list link leads outside the pool", mem.pool);
        }
        return n;
    }

    private byte[] entryOf(Nav nav, long node, long index) {
        long e = nav.ptr(node, LNODE_ENTRY);
        byte[] b = e <= 0 ? null : nav.blob(e);
        String p = b == null ? "the node's entry pointer or blob length is impossible" : EntryDescriptor.problem(b);
        if (p != null) {
            throw new CorruptedEntryException(name, index < 0 ? null : "index " + index, e <= 0 ? node : e, p, mem.pool);
        }
        return b;
    }

    private E decode(byte[] e, long index) {
        return Store.decode(codec, e, EntryDescriptor.valueOffset(e), EntryDescriptor.valueLength(e), name,
                index < 0 ? null : new Store.Label("index " + index));
    }

    /**
     * The size the header holds, checked against what the pool can hold. It bounds every walk: a
     * sound list links exactly that many nodes (the size is written in the same commit as the
     * links), so a walk that needs more steps follows a loop.
     */
    private long sizeOf(Nav nav) {
        return mem.count(name, hdr, nav.i64(hdr, LHDR_SIZE), capacity, "list nodes");
    }

    /** The node at {@code index}, walking from the nearer end. */
    private long nodeAt(Nav nav, long index, long size) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + ", size " + size + " (list '" + name + "')");
        }
        long x;
        if (index < size / 2) {
            x = link(nav, hdr, LHDR_HEAD);
            for (long i = 0; i < index && x != 0; i++) {
                x = link(nav, x, LNODE_NEXT);
            }
        } else {
            x = link(nav, hdr, LHDR_TAIL);
            for (long i = size - 1; i > index && x != 0; i--) {
                x = link(nav, x, LNODE_PREV);
            }
        }
        if (x == 0) {
            throw new CorruptedEntryException(name, "index " + index, hdr, "the list is shorter than its size " + size, mem.pool);
        }
        return x;
    }

    // ================================================================== reads

    @Override
    public int size() {
        Nav nav = guard.beginRead();
        try {
            return (int) Math.min(Integer.MAX_VALUE, sizeOf(nav));
        } finally {
            guard.endRead(nav);
        }
    }

    @Override
    public E get(int index) {
        Nav nav = guard.beginRead();
        byte[] e;
        try {
            e = entryOf(nav, nodeAt(nav, index, sizeOf(nav)), index);
        } finally {
            guard.endRead(nav);
        }
        return decode(e, index);
    }

    /** The first element, or null when empty. */
    public E peekFirst() {
        return peek(true);
    }

    /** The last element, or null when empty. */
    public E peekLast() {
        return peek(false);
    }

    private E peek(boolean first) {
        Nav nav = guard.beginRead();
        byte[] e;
        long idx;
        try {
            long x = link(nav, hdr, first ? LHDR_HEAD : LHDR_TAIL);
            if (x == 0) {
                return null;
            }
            idx = first ? 0 : sizeOf(nav) - 1;
            e = entryOf(nav, x, idx);
        } finally {
            guard.endRead(nav);
        }
        return decode(e, idx);
    }

    @Override
    public E getFirst() {
        E e = peekFirst();
        if (e == null) {
            throw new NoSuchElementException("list '" + name + "' is empty");
        }
        return e;
    }

    @Override
    public E getLast() {
        E e = peekLast();
        if (e == null) {
            throw new NoSuchElementException("list '" + name + "' is empty");
        }
        return e;
    }

    /** Every element, read atomically under the read lock (or in the current transaction). */
    public List<E> snapshot() {
        List<byte[]> raws = raw();
        List<E> out = new ArrayList<>(raws.size());
        for (int i = 0; i < raws.size(); i++) {
            out.add(decode(raws.get(i), i));
        }
        return Collections.unmodifiableList(out);
    }

    /** Every entry blob, read atomically. */
    private List<byte[]> raw() {
        List<byte[]> raws = new ArrayList<>();
        Nav nav = guard.beginRead();
        try {
            long size = sizeOf(nav);
            long i = 0;
            for (long x = link(nav, hdr, LHDR_HEAD); x != 0; x = link(nav, x, LNODE_NEXT)) {
                if (i >= size) {
                    throw new CorruptedEntryException(name, null, x, "the list links more nodes than its size " + size
                            + ": its links loop back to an earlier node, or the size is wrong", mem.pool);
                }
                raws.add(entryOf(nav, x, i++));
            }
        } finally {
            guard.endRead(nav);
        }
        return raws;
    }

    @Override
    public Iterator<E> iterator() {
        return listIterator(0);
    }

    @Override
    public ListIterator<E> listIterator(int index) {
        List<byte[]> raws = raw();
        if (index < 0 || index > raws.size()) {
            throw new IndexOutOfBoundsException("index " + index + ", size " + raws.size() + " (list '" + name + "')");
        }
        List<E> vals = new ArrayList<>(raws.size());
        for (int i = 0; i < raws.size(); i++) {
            vals.add(decode(raws.get(i), i));
        }
        return new ListIter<>(this, raws, vals, index);
    }

    @Override
    public Iterator<E> descendingIterator() {
        ListIterator<E> li = listIterator(size());
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return li.hasPrevious();
            }

            @Override
            public E next() {
                return li.previous();
            }

            @Override
            public void remove() {
                li.remove();
            }
        };
    }

    /** A live reversed view (List and Deque). */
    @Override
    public ReversedList<E> reversed() {
        return new ReversedList<>(this);
    }

    // ================================================================== writes

    /** Appends {@code e} at the end; always true. */
    @Override
    public boolean add(E e) {
        insert(-1, e, false);
        return true;
    }

    @Override
    public void add(int index, E e) {
        if (index < 0) {
            throw new IndexOutOfBoundsException("index " + index + " (list '" + name + "')");
        }
        insert(index, e, false);
    }

    /** Inserts at {@code index} and returns the new entry blob (for iterators). */
    byte[] insertAt(int index, E e) {
        add(index, e);
        return entryBytes(e);
    }

    @Override
    public void addFirst(E e) {
        insert(0, e, true);
    }

    @Override
    public void addLast(E e) {
        insert(-1, e, false);
    }

    /** Inserts before {@code index} ({@code -1} = at the end). */
    private void insert(long index, E value, boolean first) {
        Objects.requireNonNull(value, "element");
        byte[] entry = EntryDescriptor.build(null, codec.encode(value));
        guard.write((tx, nav, standalone) -> {
            long size = sizeOf(nav);
            if (index > size || index < -1) {
                throw new IndexOutOfBoundsException("index " + index + ", size " + size + " (list '" + name + "')");
            }
            long at = first ? 0 : index < 0 ? size : index;
            Ref n = tx.allocate(LNODE);
            tx.setRef(n, LNODE_ENTRY, tx.allocateBytes(entry));
            Ref next = at == size ? null : heap.ref(nodeAt(nav, at, size));
            Ref prev = at == 0 ? null : next == null ? tx.getRef(hdrRef, LHDR_TAIL) : tx.getRef(next, LNODE_PREV);
            tx.setRef(n, LNODE_PREV, prev);
            tx.setRef(n, LNODE_NEXT, next);
            tx.setRef(prev == null ? hdrRef : prev, prev == null ? LHDR_HEAD : LNODE_NEXT, n);
            tx.setRef(next == null ? hdrRef : next, next == null ? LHDR_TAIL : LNODE_PREV, n);
            tx.setLong(hdrRef, LHDR_SIZE, size + 1);
            return null;
        });
    }

    @Override
    public E set(int index, E value) {
        return decode(setAt(index, value, null), index);
    }

    /**
     * Replaces the element at {@code index}; with {@code expected}, only if that position still
     * holds that entry (else {@link ConcurrentModificationException}). Returns the old entry blob.
     */
    byte[] setAt(int index, E value, byte[] expected) {
        Objects.requireNonNull(value, "element");
        byte[] entry = entryBytes(value);
        return guard.write((tx, nav, standalone) -> {
            Ref n = heap.ref(nodeAt(nav, index, sizeOf(nav)));
            Ref oldEntry = tx.getRef(n, LNODE_ENTRY);
            byte[] o = entryOf(nav, n.offset(), index);
            expect(expected, o, index);
            tx.setRef(n, LNODE_ENTRY, tx.allocateBytes(entry));
            tx.free(oldEntry);
            return o;
        });
    }

    /** The entry blob that stores {@code value}. */
    byte[] entryBytes(E value) {
        return EntryDescriptor.build(null, codec.encode(value));
    }

    private void expect(byte[] expected, byte[] found, long index) {
        if (expected != null && !Arrays.equals(expected, found)) {
            throw new ConcurrentModificationException("list '" + name + "': index " + index + " no longer holds the element the iterator"
                    + " returned (another writer changed the list)");
        }
    }

    @Override
    public E remove(int index) {
        if (index < 0) {
            throw new IndexOutOfBoundsException("index " + index + " (list '" + name + "')");
        }
        byte[] old = unlink(index, false, null);
        return decode(old, index);
    }

    /** Removes the element at {@code index} if it still holds {@code expected} (for iterators). */
    void removeAt(int index, byte[] expected) {
        unlink(index, false, expected);
    }

    /** Removes and returns the first element, or null when empty. */
    public E pollFirst() {
        byte[] old = unlink(0, true, null);
        return old == null ? null : decode(old, 0);
    }

    /** Removes and returns the last element, or null when empty. */
    public E pollLast() {
        byte[] old = unlink(-1, true, null);
        return old == null ? null : decode(old, -1);
    }

    @Override
    public E removeFirst() {
        E e = pollFirst();
        if (e == null) {
            throw new NoSuchElementException("list '" + name + "' is empty");
        }
        return e;
    }

    @Override
    public E removeLast() {
        E e = pollLast();
        if (e == null) {
            throw new NoSuchElementException("list '" + name + "' is empty");
        }
        return e;
    }

    /** Unlinks the node at {@code index} ({@code -1} = last); null when {@code orNull} and empty. */
    private byte[] unlink(long index, boolean orNull, byte[] expected) {
        return guard.write((tx, nav, standalone) -> {
            long size = sizeOf(nav);
            if (size == 0 && orNull) {
                return null;
            }
            long at = index < 0 ? size - 1 : index;
            Ref n = heap.ref(nodeAt(nav, at, size));
            byte[] old = entryOf(nav, n.offset(), at);
            expect(expected, old, at);
            Ref prev = tx.getRef(n, LNODE_PREV);
            Ref next = tx.getRef(n, LNODE_NEXT);
            tx.setRef(prev == null ? hdrRef : prev, prev == null ? LHDR_HEAD : LNODE_NEXT, next);
            tx.setRef(next == null ? hdrRef : next, next == null ? LHDR_TAIL : LNODE_PREV, prev);
            freeNode(tx, n);
            tx.setLong(hdrRef, LHDR_SIZE, size - 1);
            return old;
        });
    }

    private static void freeNode(Tx tx, Ref n) {
        Ref e = tx.getRef(n, LNODE_ENTRY);
        if (e != null) {
            tx.free(e);
        }
        tx.free(n);
    }

    /** Removes every element, in commits of at most 512 (atomic only inside a transaction). */
    @Override
    public void clear() {
        boolean more = true;
        while (more) {
            more = guard.write((tx, nav, standalone) -> {
                long size = sizeOf(nav);
                int limit = standalone ? 512 : Integer.MAX_VALUE;
                int removed = 0;
                Ref x = tx.getRef(hdrRef, LHDR_HEAD);
                FreeWalk walk = new FreeWalk(heap, standalone);
                while (x != null && removed < limit) {
                    String p = walk.problem(x);
                    if (p != null || removed >= size) {
                        throw new CorruptedEntryException(name, null, x.offset(), p != null ? p : "the list links more nodes than its size "
                                + size + ": its links loop back to an earlier node, or the size is wrong", mem.pool);
                    }
                    Ref next = tx.getRef(x, LNODE_NEXT);
                    freeNode(tx, x);
                    removed++;
                    x = next;
                }
                tx.setRef(hdrRef, LHDR_HEAD, x);
                tx.setRef(x == null ? hdrRef : x, x == null ? LHDR_TAIL : LNODE_PREV, null);
                tx.setLong(hdrRef, LHDR_SIZE, Math.max(0, size - removed));
                return x != null;
            });
        }
    }

    // ================================================================== bulk and Deque

    /** Removes every element {@code filter} accepts, in one commit (atomic). */
    @Override
    public boolean removeIf(Predicate<? super E> filter) {
        Objects.requireNonNull(filter, "filter");
        return guard.write((tx, nav, standalone) -> {
            long size = sizeOf(nav);
            long i = 0;
            long removed = 0;
            for (Ref x = tx.getRef(hdrRef, LHDR_HEAD); x != null; i++) {
                if (i >= size) {
                    throw new CorruptedEntryException(name, null, x.offset(), "the list links more nodes than its size " + size, mem.pool);
                }
                Ref next = tx.getRef(x, LNODE_NEXT);
                if (filter.test(decode(entryOf(nav, x.offset(), i), i))) {
                    Ref prev = tx.getRef(x, LNODE_PREV);
                    tx.setRef(prev == null ? hdrRef : prev, prev == null ? LHDR_HEAD : LNODE_NEXT, next);
                    tx.setRef(next == null ? hdrRef : next, next == null ? LHDR_TAIL : LNODE_PREV, prev);
                    freeNode(tx, x);
                    removed++;
                }
                x = next;
            }
            if (removed > 0) {
                tx.setLong(hdrRef, LHDR_SIZE, size - removed);
            }
            return removed > 0;
        });
    }

    @Override
    public boolean removeAll(Collection<?> c) {
        Objects.requireNonNull(c, "collection");
        return removeIf(c::contains);
    }

    @Override
    public boolean retainAll(Collection<?> c) {
        Objects.requireNonNull(c, "collection");
        return removeIf(e -> !c.contains(e));
    }

    /** Replaces every element with {@code op(element)} in one commit (atomic); a null result throws and changes nothing. */
    @Override
    public void replaceAll(UnaryOperator<E> op) {
        Objects.requireNonNull(op, "operator");
        guard.write((tx, nav, standalone) -> {
            long size = sizeOf(nav);
            long i = 0;
            for (Ref x = tx.getRef(hdrRef, LHDR_HEAD); x != null; x = tx.getRef(x, LNODE_NEXT), i++) {
                if (i >= size) {
                    throw new CorruptedEntryException(name, null, x.offset(), "the list links more nodes than its size " + size, mem.pool);
                }
                E v = Objects.requireNonNull(op.apply(decode(entryOf(nav, x.offset(), i), i)), "replaceAll's operator returned null");
                Ref old = tx.getRef(x, LNODE_ENTRY);
                tx.setRef(x, LNODE_ENTRY, tx.allocateBytes(EntryDescriptor.build(null, codec.encode(v))));
                tx.free(old);
            }
            return null;
        });
    }

    /** Removes the first element equal to {@code o}, in one commit; false when there is none. */
    @Override
    public boolean remove(Object o) {
        return removeFirstOccurrence(o);
    }

    @Override
    public boolean removeFirstOccurrence(Object o) {
        return removeOccurrence(o, true);
    }

    @Override
    public boolean removeLastOccurrence(Object o) {
        return removeOccurrence(o, false);
    }

    private boolean removeOccurrence(Object o, boolean first) {
        if (o == null) {
            return false;
        }
        return guard.write((tx, nav, standalone) -> {
            long size = sizeOf(nav);
            long i = first ? 0 : size - 1;
            long steps = 0;
            for (Ref x = tx.getRef(hdrRef, first ? LHDR_HEAD : LHDR_TAIL); x != null; i += first ? 1 : -1) {
                if (++steps > size) {
                    throw new CorruptedEntryException(name, null, x.offset(), "the list links more nodes than its size " + size, mem.pool);
                }
                Ref prev = tx.getRef(x, LNODE_PREV);
                Ref next = tx.getRef(x, LNODE_NEXT);
                if (o.equals(decode(entryOf(nav, x.offset(), i), i))) {
                    tx.setRef(prev == null ? hdrRef : prev, prev == null ? LHDR_HEAD : LNODE_NEXT, next);
                    tx.setRef(next == null ? hdrRef : next, next == null ? LHDR_TAIL : LNODE_PREV, prev);
                    freeNode(tx, x);
                    tx.setLong(hdrRef, LHDR_SIZE, size - 1);
                    return true;
                }
                x = first ? next : prev;
            }
            return false;
        });
    }

    @Override
    public boolean offerFirst(E e) {
        addFirst(e);
        return true;
    }

    @Override
    public boolean offerLast(E e) {
        addLast(e);
        return true;
    }

    /** The name and codec of the list, as {@code PersistentList[name, codec]}. */
    public String describe() {
        return "PersistentList[" + name + ", " + codec.name() + "]";
    }

    // toString, equals, hashCode: AbstractList's ([a, b], element-wise), like any java.util.List
}
