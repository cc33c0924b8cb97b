package io.ferrite.store;

import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.ListIterator;

/**
 * A live reversed view of a {@link PersistentList} ({@link PersistentList#reversed()}): index i
 * is the list's {@code size() - 1 - i}, first is last. Every operation goes to the list; one that
 * uses an index reads the size first, so under concurrent writers it is as weakly consistent as
 * two separate operations.
 *
 * @param <E> element type
 */
public final class ReversedList<E> extends ListDequeBase<E> implements List<E>, Deque<E> {
    private final PersistentList<E> list;

    ReversedList(PersistentList<E> list) {
        this.list = list;
    }

    private int flip(int index, int size) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + ", size " + size + " (reversed list)");
        }
        return size - 1 - index;
    }

    @Override
    public int size() {
        return list.size();
    }

    @Override
    public E get(int index) {
        return list.get(flip(index, list.size()));
    }

    @Override
    public E set(int index, E e) {
        return list.set(flip(index, list.size()), e);
    }

    @Override
    public void add(int index, E e) {
        int size = list.size();
        if (index < 0 || index > size) {
            throw new IndexOutOfBoundsException("index " + index + ", size " + size + " (reversed list)");
        }
        list.add(size - index, e);
    }

    @Override
    public E remove(int index) {
        return list.remove(flip(index, list.size()));
    }

    @Override
    public boolean add(E e) {
        list.addFirst(e);
        return true;
    }

    @Override
    public void clear() {
        list.clear();
    }

    @Override
    public Iterator<E> iterator() {
        return list.descendingIterator();
    }

    @Override
    public ListIterator<E> listIterator(int index) {
        return super.listIterator(index);
    }

    @Override
    public Iterator<E> descendingIterator() {
        return list.iterator();
    }

    @Override
    public PersistentList<E> reversed() {
        return list;
    }

    @Override
    public void addFirst(E e) {
        list.addLast(e);
    }

    @Override
    public void addLast(E e) {
        list.addFirst(e);
    }

    @Override
    public boolean offerFirst(E e) {
        return list.offerLast(e);
    }

    @Override
    public boolean offerLast(E e) {
        return list.offerFirst(e);
    }

    @Override
    public E removeFirst() {
        return list.removeLast();
    }

    @Override
    public E removeLast() {
        return list.removeFirst();
    }

    @Override
    public E pollFirst() {
        return list.pollLast();
    }

    @Override
    public E pollLast() {
        return list.pollFirst();
    }

    @Override
    public E getFirst() {
        return list.getLast();
    }

    @Override
    public E getLast() {
        return list.getFirst();
    }

    @Override
    public E peekFirst() {
        return list.peekLast();
    }

    @Override
    public E peekLast() {
        return list.peekFirst();
    }

    @Override
    public boolean removeFirstOccurrence(Object o) {
        return list.removeLastOccurrence(o);
    }

    @Override
    public boolean removeLastOccurrence(Object o) {
        return list.removeFirstOccurrence(o);
    }

    @Override
    public boolean remove(Object o) {
        return list.removeLastOccurrence(o);
    }

}
