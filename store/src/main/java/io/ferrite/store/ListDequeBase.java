package io.ferrite.store;

import java.util.AbstractList;
import java.util.Deque;

/**
 * The {@link Deque} operations that are other names of first/last operations ({@code offer},
 * {@code poll}, {@code peek}, {@code element}, {@code remove()}, {@code push}, {@code pop}), for
 * {@link PersistentList} and its {@link ReversedList} view, as {@link java.util.ArrayDeque}
 * defines them.
 *
 * @param <E> element type
 */
abstract class ListDequeBase<E> extends AbstractList<E> implements Deque<E> {
    /** A reversed view that is a List and a Deque. */
    @Override
    public abstract ListDequeBase<E> reversed();

    @Override
    public abstract void addFirst(E e);

    @Override
    public abstract void addLast(E e);

    @Override
    public abstract E getFirst();

    @Override
    public abstract E getLast();

    @Override
    public abstract E removeFirst();

    @Override
    public abstract E removeLast();

    @Override
    public boolean offer(E e) {
        addLast(e);
        return true;
    }

    @Override
    public E remove() {
        return removeFirst();
    }

    @Override
    public E poll() {
        return pollFirst();
    }

    @Override
    public E element() {
        return getFirst();
    }

    @Override
    public E peek() {
        return peekFirst();
    }

    @Override
    public void push(E e) {
        addFirst(e);
    }

    @Override
    public E pop() {
        return removeFirst();
    }
}
