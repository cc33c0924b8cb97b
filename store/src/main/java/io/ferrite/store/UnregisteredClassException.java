package io.ferrite.store;

/**
 * A class that is neither native nor registered with the store's Kryo was about to be written or
 * read. Registration is required so that the bytes of a pool can never make Ferrite instantiate an
 * arbitrary class.
 */
public class UnregisteredClassException extends CodecException {
    private static final long serialVersionUID = 1L;

    public UnregisteredClassException(String message, String hint) {
        super(message, hint);
    }
}
