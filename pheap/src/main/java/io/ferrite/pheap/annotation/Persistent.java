package io.ferrite.pheap.annotation;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a record as a persistent type for {@link io.ferrite.pheap.PType#of(Class)}. Components map
 * to fields in order: byte/short/int/long/float/double to int8..double, {@code long} with
 * {@link Pointer} to a pointer, {@code byte[]} with {@link Bytes} to a fixed-length byte array.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface Persistent {
    /** The persisted type name; the record's simple name when empty. */
    String value() default "";
}
