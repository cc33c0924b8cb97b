package io.ferrite.store;

import java.util.List;
import java.util.ListIterator;
import java.util.NoSuchElementException;

/**
 * The list iterator of {@link PersistentList}: it walks a snapshot of the list taken atomically
 * when it was created (it never throws {@link java.util.ConcurrentModificationException} on
 * reads and does not see other writers' later changes). {@code remove} and {@code set} write to
 * the list at the position the snapshot gives, and only if that position still holds the element
 * the iterator returned: if another writer moved it, they throw
 * {@link java.util.ConcurrentModificationException} and change nothing. {@code add} inserts at the
 * iterator's position. Each is one commit (or part of the current transaction).
 *
 * @param <E> element type
 */
final class ListIter<E> implements ListIterator<E> {
    private final PersistentList<E> list;
    /** The entry blobs and the decoded elements of the snapshot, kept in step with this iterator's writes. */
    private final List<byte[]> raws;
    private final List<E> vals;
    private int cursor;
    private int lastRet = -1;

    ListIter(PersistentList<E> list, List<byte[]> raws, List<E> vals, int index) {
        this.list = list;
        this.raws = raws;
        this.vals = vals;
        this.cursor = index;
    }

    @Override
    public boolean hasNext() {
        return cursor < vals.size();
    }

    @Override
    public E next() {
        if (cursor >= vals.size()) {
            throw new NoSuchElementException();
        }
        lastRet = cursor;
        return vals.get(cursor++);
    }

    @Override
    public boolean hasPrevious() {
        return cursor > 0;
    }

    @Override
    public E previous() {
        if (cursor <= 0) {
            throw new NoSuchElementException();
        }
        lastRet = --cursor;
        return vals.get(cursor);
    }

    @Override
    public int nextIndex() {
        return cursor;
    }

    @Override
    public int previousIndex() {
        return cursor - 1;
    }

    @Override
    public void remove() {
        if (lastRet < 0) {
            throw new IllegalStateException("next() or previous() first, once per remove");
        }
        list.removeAt(lastRet, raws.get(lastRet));
        raws.remove(lastRet);
        vals.remove(lastRet);
        if (lastRet < cursor) {
            cursor--;
        }
        lastRet = -1;
    }

    @Override
    public void set(E e) {
        if (lastRet < 0) {
            throw new IllegalStateException("next() or previous() first");
        }
        list.setAt(lastRet, e, raws.get(lastRet));
        raws.set(lastRet, list.entryBytes(e));
        vals.set(lastRet, e);
    }

    @Override
    public void add(E e) {
        raws.add(cursor, list.insertAt(cursor, e));
        vals.add(cursor, e);
        cursor++;
        lastRet = -1;
    }
}
