package io.ferrite.store;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.ListIterator;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link PersistentList} against {@link ArrayList} (its {@link List} operations, sub lists, list
 * iterators with remove/set/add, bulk operations, index checks) and {@link ArrayDeque} (its
 * {@link Deque} operations, descending iterators, nulls), operation by operation over seeded
 * random sequences. Both models hold the same elements throughout; each step's outcome, results
 * or exception, must be the JDK's. (The store refuses null elements, which {@code ArrayList}
 * accepts: nulls are checked against {@code ArrayDeque}, which refuses them too.)
 */
class ListContractTest {
    static final int OPS = Integer.getInteger("ferrite.store.contractOps", 3000);

    @Test
    void matchesArrayListAndArrayDeque() {
        long seed = ModelTest.seed("ListContractTest");
        Random rnd = new Random(seed);
        Differ d = new Differ("ListContractTest");
        try (TestPools p = new TestPools("contract-list"); Store s = p.create(TestPools.context())) {
            PersistentList<Integer> pl = s.list("l", Integer.class);
            List<Integer> al = new ArrayList<>();
            for (int op = 0; op < OPS; op++) {
                Integer e = rnd.nextInt(20);
                int n = al.size();
                int i = rnd.nextInt(n + 5) - 2;
                String at = "op " + op + " index " + i + " element " + e + " size " + n + " seed " + seed;
                int kind = rnd.nextInt(30);
                if (kind >= 22) {
                    Deque<Integer> dq = new ArrayDeque<>(al);
                    deque(d, rnd, dq, pl, kind, e, at);
                    al = new ArrayList<>(dq);
                } else {
                    list(d, rnd, al, pl, kind, i, e, at);
                }
                if (op % 50 == 0) {
                    assertEquals(al, new ArrayList<>(pl), "whole list after " + at);
                }
            }
            assertEquals(al, pl);
            d.print(OPS);
        }
    }

    private static void list(Differ d, Random rnd, List<Integer> j, List<Integer> st, int kind, int i, Integer e, String at) {
        switch (kind) {
            case 0, 1, 2 -> d.same("add " + at, () -> j.add(e), () -> st.add(e));
            case 3, 4 -> d.same("add(i) " + at, () -> {
                j.add(i, e);
                return j;
            }, () -> {
                st.add(i, e);
                return st;
            });
            case 5 -> d.same("get " + at, () -> j.get(i), () -> st.get(i));
            case 6 -> d.same("set " + at, () -> j.set(i, e), () -> st.set(i, e));
            case 7 -> d.same("remove(int) " + at, () -> j.remove(i), () -> st.remove(i));
            case 8 -> d.same("remove(Object) " + at, () -> j.remove(e), () -> st.remove(e));
            case 9 -> {
                d.same("indexOf " + at, () -> j.indexOf(e), () -> st.indexOf(e));
                d.same("lastIndexOf " + at, () -> j.lastIndexOf(e), () -> st.lastIndexOf(e));
                d.same("contains " + at, () -> j.contains(e), () -> st.contains(e));
                d.same("contains(null) " + at, () -> j.contains(null), () -> st.contains(null));
            }
            case 10 -> {
                d.same("size " + at, j::size, st::size);
                d.same("isEmpty " + at, j::isEmpty, st::isEmpty);
                d.same("toString " + at, j::toString, st::toString);
                d.same("hashCode " + at, j::hashCode, st::hashCode);
                d.same("equals " + at, () -> j.equals(st), () -> st.equals(j));
            }
            case 11, 12 -> {
                int a = rnd.nextInt(j.size() + 3) - 1;
                int b = rnd.nextInt(j.size() + 3) - 1;
                d.same("subList(" + a + "," + b + ") " + at, () -> subList(j.subList(a, b), rnd, e, new Random(a * 31L + b)),
                        () -> subList(st.subList(a, b), rnd, e, new Random(a * 31L + b)));
            }
            case 13, 14 -> {
                long walk = rnd.nextLong();
                int start = rnd.nextInt(j.size() + 3) - 1;
                d.same("listIterator(" + start + ") " + at, () -> iterate(j, start, new Random(walk)), () -> iterate(st, start, new Random(walk)));
            }
            case 15 -> d.same("removeIf " + at, () -> List.of(j.removeIf(x -> x % 7 == e % 7), j), () -> List.of(st.removeIf(x -> x % 7 == e % 7), st));
            case 16 -> d.same("retainAll " + at, () -> List.of(j.retainAll(Set.of(e, e + 1, e + 2, 3, 4, 5, 6, 7, 8)), j),
                    () -> List.of(st.retainAll(Set.of(e, e + 1, e + 2, 3, 4, 5, 6, 7, 8)), st));
            case 17 -> d.same("removeAll " + at, () -> List.of(j.removeAll(Set.of(e)), j), () -> List.of(st.removeAll(Set.of(e)), st));
            case 18 -> d.same("replaceAll " + at, () -> {
                j.replaceAll(x -> (x + 1) % 20);
                return j;
            }, () -> {
                st.replaceAll(x -> (x + 1) % 20);
                return st;
            });
            case 19 -> d.same("iterator.remove " + at, () -> SortedMapContractTest.removeEvery(j.iterator(), 3),
                    () -> SortedMapContractTest.removeEvery(st.iterator(), 3));
            case 20 -> {
                d.same("reversed " + at, () -> new ArrayList<>(j.reversed()), () -> new ArrayList<>(st.reversed()));
                d.same("reversed.get " + at, () -> j.reversed().get(i), () -> st.reversed().get(i));
                d.same("reversed.add " + at, () -> {
                    j.reversed().add(e);
                    return j;
                }, () -> {
                    st.reversed().add(e);
                    return st;
                });
            }
            default -> {
                if (rnd.nextInt(10) == 0) {
                    d.same("clear " + at, () -> {
                        j.clear();
                        return j;
                    }, () -> {
                        st.clear();
                        return st;
                    });
                }
            }
        }
    }

    /** A few random operations on a sub list; returns what they returned, and the sub list. */
    private static List<Object> subList(List<Integer> sub, Random ignored, Integer e, Random r) {
        List<Object> out = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            int i = r.nextInt(sub.size() + 3) - 1;
            out.add(Differ.outcome(switch (r.nextInt(6)) {
                case 0 -> () -> sub.get(i);
                case 1 -> () -> sub.set(i, e);
                case 2 -> () -> {
                    sub.add(i, e);
                    return sub.size();
                };
                case 3 -> () -> sub.remove(i);
                case 4 -> () -> sub.indexOf(e);
                default -> () -> {
                    if (i % 4 == 0) {
                        sub.clear();
                    }
                    return sub.size();
                };
            }));
        }
        out.add(new ArrayList<>(sub));
        return out;
    }

    /** A random walk with a list iterator, writing through it; returns what each step gave. */
    private static List<Object> iterate(List<Integer> l, int start, Random r) {
        ListIterator<Integer> it = l.listIterator(start);
        List<Object> out = new ArrayList<>();
        for (int k = 0; k < 12; k++) {
            int e = r.nextInt(20);
            out.add(Differ.outcome(switch (r.nextInt(7)) {
                case 0, 1 -> it::next;
                case 2 -> it::previous;
                case 3 -> () -> {
                    it.remove();
                    return it.nextIndex();
                };
                case 4 -> () -> {
                    it.set(e);
                    return it.previousIndex();
                };
                case 5 -> () -> {
                    it.add(e);
                    return it.nextIndex();
                };
                default -> () -> List.of(it.hasNext(), it.hasPrevious(), it.nextIndex());
            }));
        }
        out.add(new ArrayList<>(l));
        return out;
    }

    private static void deque(Differ d, Random rnd, Deque<Integer> j, PersistentList<Integer> st, int kind, Integer e, String at) {
        Integer x = rnd.nextInt(10) == 0 ? null : e;
        switch (kind) {
            case 22 -> d.same("addFirst " + at, () -> {
                j.addFirst(x);
                return j;
            }, () -> {
                st.addFirst(x);
                return st;
            });
            case 23 -> d.same("offerLast/offer/push " + at, () -> List.of(j.offerLast(x), j.offer(e)), () -> List.of(st.offerLast(x), st.offer(e)));
            case 24 -> {
                d.same("pollFirst " + at, j::pollFirst, st::pollFirst);
                d.same("pollLast " + at, j::pollLast, st::pollLast);
                d.same("poll " + at, j::poll, st::poll);
            }
            case 25 -> {
                d.same("peekFirst " + at, j::peekFirst, st::peekFirst);
                d.same("peekLast " + at, j::peekLast, st::peekLast);
                d.same("peek " + at, j::peek, st::peek);
                d.same("getFirst " + at, j::getFirst, st::getFirst);
                d.same("getLast " + at, j::getLast, st::getLast);
                d.same("element " + at, j::element, st::element);
            }
            case 26 -> {
                d.same("removeFirst " + at, j::removeFirst, st::removeFirst);
                d.same("pop " + at, j::pop, st::pop);
                d.same("remove() " + at, () -> j.remove(), () -> st.remove());
                d.same("removeLast " + at, j::removeLast, st::removeLast);
            }
            case 27 -> {
                d.same("push " + at, () -> {
                    j.push(x);
                    return j;
                }, () -> {
                    st.push(x);
                    return st;
                });
                d.same("offerFirst " + at, () -> j.offerFirst(e), () -> st.offerFirst(e));
            }
            case 28 -> {
                d.same("removeFirstOccurrence " + at, () -> List.of(j.removeFirstOccurrence(e), j), () -> List.of(st.removeFirstOccurrence(e), st));
                d.same("removeLastOccurrence " + at, () -> List.of(j.removeLastOccurrence(e + 1), j), () -> List.of(st.removeLastOccurrence(e + 1), st));
                d.same("removeFirstOccurrence(null) " + at, () -> j.removeFirstOccurrence(null), () -> st.removeFirstOccurrence(null));
            }
            default -> {
                d.same("descendingIterator " + at, () -> listOf(j.descendingIterator()), () -> listOf(st.descendingIterator()));
                d.same("descendingIterator.remove " + at, () -> List.of(SortedMapContractTest.removeEvery(j.descendingIterator(), 4), new ArrayList<>(j)),
                        () -> List.of(SortedMapContractTest.removeEvery(st.descendingIterator(), 4), new ArrayList<>(st)));
            }
        }
    }

    private static List<Integer> listOf(Iterator<Integer> it) {
        List<Integer> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
