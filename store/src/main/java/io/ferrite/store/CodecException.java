package io.ferrite.store;

/**
 * A value could not be encoded or decoded: an unregistered class, a value of another type than
 * the collection's, or bytes the codec rejects. Kryo's own exception is never passed through; its
 * message is quoted.
 */
public class CodecException extends StoreException {
    private static final long serialVersionUID = 1L;

    public CodecException(String message, String hint) {
        super(message, hint);
    }
}
