package io.ferrite.store;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The payload of every store entry: one pheap blob holding a checksummed key and value.
 *
 * <pre>
 *  pheap blob header (8 bytes, pheap's)        entry (the blob's data)
 *  +----------------+----------------+        +----------------+----------------+
 *  | length (u32)   | reserved (u32) |   0    | crc32c (u32)   | key length(u32)|   0
 *  +----------------+----------------+        +----------------+----------------+
 *  | entry ...                       |   8    | key bytes, then value bytes     |   8
 *  +---------------------------------+        +---------------------------------+
 * </pre>
 * The CRC32C covers entry bytes [{@value #KEY_LENGTH_OFFSET}, length): the key length, key and
 * value. Lists and named values store key length 0. Codecs produce the key and value bytes.
 *
 * <p>The hash map keeps the 8-byte header in its node instead ({@code store.HNode.meta} = CRC32C
 * in the high 32 bits, key length in the low 32; {@link #meta}) and only the body — key then value
 * — in the blob, with the same CRC: a 16-byte key and a 100-byte value then fit pheap's 128-byte
 * blob class instead of the 256-byte one. {@link #join} rebuilds the entry for the shared checks.
 *
 * <p>Public for tools ({@code ferrite check}), which check entries through these functions.
 */
public final class EntryDescriptor {
    private EntryDescriptor() {
    }

    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt U32_UNALIGNED = U32.withByteAlignment(1);

    /** pheap's blob layout: u32 length at 0, data from 8 (mirrors PType.BLOB_*_OFFSET). */
    public static final int BLOB_LENGTH_OFFSET = 0;
    public static final int BLOB_DATA_OFFSET = 8;

    public static final int CRC_OFFSET = 0;
    public static final int KEY_LENGTH_OFFSET = 4;
    public static final int KEY_OFFSET = 8;
    public static final int HEADER_LENGTH = 8;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(U32.withName("crc"), U32.withName("keyLength"));

    private static final VarHandle INT_LE = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** A new entry holding {@code key} and {@code value} with its CRC. */
    public static byte[] build(byte[] key, byte[] value) {
        int klen = key == null ? 0 : key.length;
        byte[] e = new byte[HEADER_LENGTH + klen + value.length];
        INT_LE.set(e, KEY_LENGTH_OFFSET, klen);
        if (klen > 0) {
            System.arraycopy(key, 0, e, KEY_OFFSET, klen);
        }
        System.arraycopy(value, 0, e, KEY_OFFSET + klen, value.length);
        INT_LE.set(e, CRC_OFFSET, crc(e, e.length));
        return e;
    }

    /** The body of a hash-map entry: key bytes then value bytes. */
    public static byte[] body(byte[] key, byte[] value) {
        byte[] b = new byte[key.length + value.length];
        System.arraycopy(key, 0, b, 0, key.length);
        System.arraycopy(value, 0, b, key.length, value.length);
        return b;
    }

    /** The CRC an entry of {@code key} and {@code value} carries (the same as {@link #build} computes). */
    public static int crc(byte[] key, byte[] value) {
        CRC32C c = new CRC32C();
        int kl = key.length;
        c.update(kl);
        c.update(kl >>> 8);
        c.update(kl >>> 16);
        c.update(kl >>> 24);
        c.update(key, 0, kl);
        c.update(value, 0, value.length);
        return (int) c.getValue();
    }

    /** A hash-map node's header word: CRC32C high, key length low. */
    public static long meta(int crc, int keyLength) {
        return ((long) crc << 32) | (keyLength & 0xffffffffL);
    }

    public static int metaCrc(long meta) {
        return (int) (meta >>> 32);
    }

    public static int metaKeyLength(long meta) {
        return (int) meta;
    }

    /** The entry (header + body) of a hash-map node's header word and blob body. */
    public static byte[] join(long meta, byte[] body) {
        byte[] e = new byte[HEADER_LENGTH + body.length];
        INT_LE.set(e, CRC_OFFSET, metaCrc(meta));
        INT_LE.set(e, KEY_LENGTH_OFFSET, metaKeyLength(meta));
        System.arraycopy(body, 0, e, HEADER_LENGTH, body.length);
        return e;
    }

    public static int crc(byte[] e, int length) {
        CRC32C c = new CRC32C();
        c.update(e, KEY_LENGTH_OFFSET, length - KEY_LENGTH_OFFSET);
        return (int) c.getValue();
    }

    public static int storedCrc(byte[] e) {
        return (int) INT_LE.get(e, CRC_OFFSET);
    }

    /** Null when the entry is well formed and its CRC matches, else what is wrong. */
    public static String problem(byte[] e) {
        if (e.length < HEADER_LENGTH) {
            return "entry of " + e.length + " bytes is shorter than its " + HEADER_LENGTH + "-byte header";
        }
        int klen = keyLength(e);
        if (klen < 0 || klen > e.length - HEADER_LENGTH) {
            return "key length " + (klen & 0xffffffffL) + " exceeds the entry's " + e.length + " bytes";
        }
        int want = storedCrc(e);
        int got = crc(e, e.length);
        if (want != got) {
            return String.format("CRC32C mismatch (stored 0x%08x, computed 0x%08x over %d bytes)", want, got, e.length);
        }
        return null;
    }

    public static int keyLength(byte[] e) {
        return (int) INT_LE.get(e, KEY_LENGTH_OFFSET);
    }

    public static int valueOffset(byte[] e) {
        return KEY_OFFSET + keyLength(e);
    }

    public static int valueLength(byte[] e) {
        return e.length - valueOffset(e);
    }

    /** True when the entry's key bytes equal {@code key}. */
    public static boolean keyEquals(byte[] e, byte[] key) {
        return e.length >= HEADER_LENGTH + key.length && keyLength(e) == key.length
                && java.util.Arrays.equals(e, KEY_OFFSET, KEY_OFFSET + key.length, key, 0, key.length);
    }
}
