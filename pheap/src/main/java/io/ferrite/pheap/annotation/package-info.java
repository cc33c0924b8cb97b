/**
 * Annotations that turn a Java record into a persistent type ({@link io.ferrite.pheap.PType#of}).
 * Read once by reflection when the type is derived, never on the access path. No threading or
 * durability concerns.
 */
package io.ferrite.pheap.annotation;
