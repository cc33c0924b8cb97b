package io.ferrite.store;

/**
 * An entry of a collection failed its check on read: its CRC32C does not match, its lengths are
 * impossible, or a pointer leads outside the pool. Names the collection, the key (when known) and
 * the pool offset.
 */
public class CorruptedEntryException extends StoreException {
    private static final long serialVersionUID = 1L;
    private final String collection;
    private final String key;
    private final long offset;

    public CorruptedEntryException(String collection, String key, long offset, String problem, String pool) {
        super("collection '" + collection + "'" + (key == null ? "" : ", key " + key) + ": the entry at pool offset " + offset
                + " of " + pool + " is corrupted: " + problem,
                "run `ferrite check " + pool + "`; restore the pool from a replica or backup, or remove the key");
        this.collection = collection;
        this.key = key;
        this.offset = offset;
    }

    /** The collection's name in the store's directory. */
    public String collection() {
        return collection;
    }

    /** The key as text (as the caller gave it, or decoded), or null when it could not be read. */
    public String key() {
        return key;
    }

    /** Pool offset of the damaged entry blob or node. */
    public long offset() {
        return offset;
    }
}
