/**
 * The object store: a {@code Store} facade over a {@code Heap} with named roots, thread-safe
 * persistent collections and codecs (issue 5). Being built.
 */
package io.ferrite.store;
