package io.ferrite.store;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * The native codecs: fixed-width little-endian numbers, UTF-8 strings, raw byte arrays. No
 * reflection, no class names in the bytes.
 */
public final class Codecs {
    private Codecs() {
    }

    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);

    public static final Codec<byte[]> BYTES = new Native<>("bytes") {
        @Override
        public byte[] encode(byte[] v) {
            return v;
        }

        @Override
        public byte[] decode(byte[] b, int off, int len) {
            return off == 0 && len == b.length ? b : Arrays.copyOfRange(b, off, off + len);
        }
    };

    public static final Codec<String> STRING = new Native<>("string") {
        @Override
        public byte[] encode(String v) {
            return v.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String decode(byte[] b, int off, int len) {
            return new String(b, off, len, StandardCharsets.UTF_8);
        }
    };

    public static final Codec<Long> LONG_CODEC = new Native<>("int64") {
        @Override
        public byte[] encode(Long v) {
            byte[] b = new byte[8];
            LONG.set(b, 0, (long) v);
            return b;
        }

        @Override
        public Long decode(byte[] b, int off, int len) {
            check(len, 8, this);
            return (long) LONG.get(b, off);
        }
    };

    public static final Codec<Integer> INT_CODEC = new Native<>("int32") {
        @Override
        public byte[] encode(Integer v) {
            byte[] b = new byte[4];
            INT.set(b, 0, (int) v);
            return b;
        }

        @Override
        public Integer decode(byte[] b, int off, int len) {
            check(len, 4, this);
            return (int) INT.get(b, off);
        }
    };

    public static final Codec<Short> SHORT_CODEC = new Native<>("int16") {
        @Override
        public byte[] encode(Short v) {
            byte[] b = new byte[2];
            SHORT.set(b, 0, (short) v);
            return b;
        }

        @Override
        public Short decode(byte[] b, int off, int len) {
            check(len, 2, this);
            return (short) SHORT.get(b, off);
        }
    };

    public static final Codec<Byte> BYTE_CODEC = new Native<>("int8") {
        @Override
        public byte[] encode(Byte v) {
            return new byte[] {v};
        }

        @Override
        public Byte decode(byte[] b, int off, int len) {
            check(len, 1, this);
            return b[off];
        }
    };

    public static final Codec<Boolean> BOOLEAN_CODEC = new Native<>("bool") {
        @Override
        public byte[] encode(Boolean v) {
            return new byte[] {(byte) (v ? 1 : 0)};
        }

        @Override
        public Boolean decode(byte[] b, int off, int len) {
            check(len, 1, this);
            return b[off] != 0;
        }
    };

    public static final Codec<Character> CHAR_CODEC = new Native<>("char") {
        @Override
        public byte[] encode(Character v) {
            byte[] b = new byte[2];
            SHORT.set(b, 0, (short) v.charValue());
            return b;
        }

        @Override
        public Character decode(byte[] b, int off, int len) {
            check(len, 2, this);
            return (char) (short) SHORT.get(b, off);
        }
    };

    public static final Codec<Double> DOUBLE_CODEC = new Native<>("float64") {
        @Override
        public byte[] encode(Double v) {
            byte[] b = new byte[8];
            LONG.set(b, 0, Double.doubleToRawLongBits(v));
            return b;
        }

        @Override
        public Double decode(byte[] b, int off, int len) {
            check(len, 8, this);
            return Double.longBitsToDouble((long) LONG.get(b, off));
        }
    };

    public static final Codec<Float> FLOAT_CODEC = new Native<>("float32") {
        @Override
        public byte[] encode(Float v) {
            byte[] b = new byte[4];
            INT.set(b, 0, Float.floatToRawIntBits(v));
            return b;
        }

        @Override
        public Float decode(byte[] b, int off, int len) {
            check(len, 4, this);
            return Float.intBitsToFloat((int) INT.get(b, off));
        }
    };

    private static final Map<Class<?>, Codec<?>> NATIVE = Map.ofEntries(
            Map.entry(byte[].class, BYTES), Map.entry(String.class, STRING),
            Map.entry(Long.class, LONG_CODEC), Map.entry(long.class, LONG_CODEC),
            Map.entry(Integer.class, INT_CODEC), Map.entry(int.class, INT_CODEC),
            Map.entry(Short.class, SHORT_CODEC), Map.entry(short.class, SHORT_CODEC),
            Map.entry(Byte.class, BYTE_CODEC), Map.entry(byte.class, BYTE_CODEC),
            Map.entry(Boolean.class, BOOLEAN_CODEC), Map.entry(boolean.class, BOOLEAN_CODEC),
            Map.entry(Character.class, CHAR_CODEC), Map.entry(char.class, CHAR_CODEC),
            Map.entry(Double.class, DOUBLE_CODEC), Map.entry(double.class, DOUBLE_CODEC),
            Map.entry(Float.class, FLOAT_CODEC), Map.entry(float.class, FLOAT_CODEC));

    /** The native codec whose {@link Codec#name()} is {@code name}, or null (a Kryo or user codec's name). */
    public static Codec<?> nativeNamed(String name) {
        for (Codec<?> c : NATIVE.values()) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        return null;
    }

    /** The native codec of {@code type}, or null when it has none (Kryo or a user codec then). */
    @SuppressWarnings("unchecked")
    public static <T> Codec<T> nativeCodec(Class<T> type) {
        return (Codec<T>) NATIVE.get(type);
    }

    private static void check(int len, int want, Codec<?> c) {
        if (len != want) {
            throw new CodecException("codec " + c.name() + " needs " + want + " bytes, the stored value has " + len,
                    "the collection was written with another value type; open it with the type it was created with");
        }
    }

    private abstract static class Native<T> implements Codec<T> {
        private final String name;

        Native(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String toString() {
            return "codec " + name;
        }
    }
}
