package io.ferrite.pheap.annotation;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** A {@code long} record component that is a pointer to an object of the target type. */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT, ElementType.FIELD, ElementType.PARAMETER})
public @interface Pointer {
    /** The target record type (annotated with {@link Persistent}). */
    Class<?> value() default Void.class;

    /** The target type by name (wins over {@link #value()}); {@code "ferrite.blob"} for any blob. */
    String name() default "";
}
