package io.ferrite.store;

/**
 * Turns values of one type into bytes and back. The store has native codecs for the primitive
 * wrappers, {@code String} and {@code byte[]} ({@link Codecs}), uses Kryo for registered classes,
 * and takes any user codec ({@link Store.Context#codec}).
 *
 * <p>Contract: {@code decode(encode(v))} equals {@code v}; encoding is deterministic (equal keys
 * give equal bytes — hash-map keys are compared and hashed by their bytes); both methods are
 * thread-safe. {@link #name()} is persisted with each collection and checked when it is opened
 * again, so a collection of {@code Long} keys is not silently read as {@code String} keys.
 *
 * @param <T> the value type
 */
public interface Codec<T> {
    /** A stable name, persisted in the collection's signature, e.g. {@code "string"}. */
    String name();

    /** The bytes of {@code value} (not null). The store does not keep the array. */
    byte[] encode(T value);

    /** The value held in {@code bytes[offset, offset + length)}. */
    T decode(byte[] bytes, int offset, int length);
}
