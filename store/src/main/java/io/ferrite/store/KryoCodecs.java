package io.ferrite.store;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.SerializerFactory;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.serializers.CompatibleFieldSerializer;
import com.esotericsoftware.kryo.util.DefaultInstantiatorStrategy;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Kryo 5 for the classes registered in the store's {@link Store.Context}: registration is required
 * (an unregistered class is refused in both directions), every class uses Kryo's
 * {@link CompatibleFieldSerializer} (fields matched by name, so a class may gain or lose fields),
 * objects are created through their no-argument constructor (any visibility) or, for records,
 * their canonical constructor — never without a constructor. One Kryo per thread.
 *
 * <p>Kryo would use the JDK's internal unsafe memory access for some fields when it finds it;
 * Ferrite does not reach into JDK internals, so unless the application chose otherwise, the
 * system property {@code kryo.unsafe} is set to {@code false} before Kryo is first used.
 */
final class KryoCodecs {
    static {
        if (System.getProperty("kryo.unsafe") == null) {
            System.setProperty("kryo.unsafe", "false");
        }
    }

    private final Map<Class<?>, Integer> registrations;
    private final Consumer<Kryo> customizer;
    private final ThreadLocal<Kryo> kryos;

    KryoCodecs(Map<Class<?>, Integer> registrations, Consumer<Kryo> customizer) {
        this.registrations = new LinkedHashMap<>(registrations);
        this.customizer = customizer;
        this.kryos = ThreadLocal.withInitial(this::newKryo);
    }

    private Kryo newKryo() {
        Kryo k = new Kryo();
        k.setRegistrationRequired(true);
        k.setReferences(false);
        CompatibleFieldSerializer.CompatibleFieldSerializerConfig cfs = new CompatibleFieldSerializer.CompatibleFieldSerializerConfig();
        cfs.setChunkedEncoding(true); // a field whose class is gone can be skipped
        k.setDefaultSerializer(new SerializerFactory.CompatibleFieldSerializerFactory(cfs));
        k.setInstantiatorStrategy(new DefaultInstantiatorStrategy());
        for (Map.Entry<Class<?>, Integer> e : registrations.entrySet()) {
            k.register(e.getKey(), e.getValue());
        }
        if (customizer != null) {
            customizer.accept(k);
        }
        return k;
    }

    boolean isRegistered(Class<?> c) {
        return registrations.containsKey(c) || kryos.get().getClassResolver().getRegistration(c) != null;
    }

    <T> Codec<T> codec(Class<T> type) {
        if (!isRegistered(type)) {
            throw unregistered(type.getName());
        }
        return new KryoCodec<>(type, kryos.get().getRegistration(type).getId());
    }

    static UnregisteredClassException unregistered(String className) {
        return new UnregisteredClassException("class " + className + " is not registered with the store's Kryo; registration"
                + " is required so that a pool can never make Ferrite instantiate an arbitrary class",
                "register it with a stable id: new Store.Context().register(" + simple(className) + ".class, <id>)");
    }

    private static String simple(String className) {
        int i = Math.max(className.lastIndexOf('.'), className.lastIndexOf('$'));
        return className.substring(i + 1);
    }

    private final class KryoCodec<T> implements Codec<T> {
        private final Class<T> type;
        private final String name;

        KryoCodec(Class<T> type, int id) {
            this.type = type;
            this.name = "kryo#" + id;
        }

        /** By registration id, not class name: the bytes name the id, and a class may be renamed or evolve under it. */
        @Override
        public String name() {
            return name;
        }

        @Override
        public byte[] encode(T value) {
            if (!type.isInstance(value)) {
                throw new CodecException("value of class " + value.getClass().getName() + " given for " + type.getName(), "");
            }
            Kryo k = kryos.get();
            Output out = new Output(64, -1);
            try {
                k.writeClassAndObject(out, value);
            } catch (IllegalArgumentException | KryoException e) {
                throw translate(e, "encode a " + type.getName());
            }
            return out.toBytes();
        }

        @Override
        public T decode(byte[] bytes, int offset, int length) {
            Kryo k = kryos.get();
            Object o;
            try {
                o = k.readClassAndObject(new Input(bytes, offset, length));
            } catch (IllegalArgumentException | KryoException | IndexOutOfBoundsException | ClassCastException e) {
                throw translate(e, "decode a " + type.getName());
            }
            if (!type.isInstance(o)) {
                throw new CodecException("stored value is a " + (o == null ? "null" : o.getClass().getName()) + ", not a "
                        + type.getName(), "open the collection with the value type it was written with");
            }
            return type.cast(o);
        }

        @Override
        public String toString() {
            return "codec " + name();
        }
    }

    /** Kryo's exceptions become ours, quoting Kryo's first line, without Kryo's stack. */
    private static CodecException translate(RuntimeException e, String what) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        String first = nl < 0 ? m : m.substring(0, nl);
        if (first.startsWith("Class is not registered: ")) {
            String cls = first.substring("Class is not registered: ".length()).strip();
            return unregistered(cls);
        }
        if (first.startsWith("Encountered unregistered class ID")) {
            return new UnregisteredClassException("cannot " + what + ": the stored bytes name Kryo class id"
                    + first.substring("Encountered unregistered class ID".length()) + ", which is not registered",
                    "register the class with that id in Store.Context, as it was when the value was written");
        }
        return new CodecException("cannot " + what + " with Kryo: " + first, "check the class's Kryo registration and fields");
    }
}
