package io.ferrite.cli;

import io.ferrite.pheap.Heap;
import io.ferrite.pheap.HeapOptions;
import io.ferrite.pheap.PField;
import io.ferrite.pheap.PType;
import io.ferrite.pheap.Ref;
import io.ferrite.pheap.Tx;
import io.ferrite.testsupport.TempPools;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Pools made by the library for the CLI tests: small (3 MiB), in /dev/shm, deterministic content. */
final class TestPools {
    static final Path DIR = TempPools.DIR;
    static final long SIZE = 3L << 20;
    static final int SLAB = 64 << 10;

    static final PType ACCOUNT = PType.builder("Account").int64("id").int64("balance").pointer("owner", PType.ANY_BLOB)
            .pointer("next", "Account").build();
    static final PType BANK = PType.builder("Bank").int64("count").int64("total").int32("version").float64("rate")
            .bytes("tag", 6).pointer("first", "Account").int8("flags").int16("branch").float32("fee").build();

    private TestPools() {
    }

    static HeapOptions options() {
        return HeapOptions.defaults().slabSize(SLAB).logCapacity(256 << 10).checkpointInterval(Duration.ZERO);
    }

    static Path fresh(String name) {
        Path p = TempPools.fresh("ferrite-cli-test-", name);
        p.toFile().deleteOnExit();
        LockProbe.lockFile(p).toFile().deleteOnExit();
        return p;
    }

    /** A bank of {@code n} accounts linked from the root, each with an owner-name blob; closed cleanly. */
    static Path bank(String name, int n) {
        Path p = fresh(name);
        try (Heap h = Heap.create(p, SIZE, options())) {
            fill(h, n);
        }
        return p;
    }

    static void fill(Heap h, int n) {
        PField first = BANK.field("first");
        try (Tx tx = h.begin()) {
            Ref bank = tx.root(BANK);
            tx.setInt(bank, BANK.field("version"), 7);
            tx.setDouble(bank, BANK.field("rate"), 0.25);
            tx.setBytes(bank, BANK.field("tag"), new byte[] {'b', 'a', 'n', 'k', 0, 1});
            tx.setByte(bank, BANK.field("flags"), (byte) -3);
            tx.setShort(bank, BANK.field("branch"), (short) 4711);
            tx.setFloat(bank, BANK.field("fee"), 1.5f);
            Ref prev = null;
            long total = 0;
            for (int i = n; i >= 1; i--) {
                Ref a = tx.allocate(ACCOUNT);
                tx.setLong(a, ACCOUNT.field("id"), i);
                tx.setLong(a, ACCOUNT.field("balance"), 100L * i);
                tx.setRef(a, ACCOUNT.field("owner"), tx.allocateString("owner-" + i));
                tx.setRef(a, ACCOUNT.field("next"), prev);
                total += 100L * i;
                prev = a;
            }
            tx.setRef(bank, first, prev);
            tx.setLong(bank, BANK.field("count"), n);
            tx.setLong(bank, BANK.field("total"), total);
            tx.commit();
        }
    }

    /** Writes {@code bytes} at {@code offset} of the file (damage made on purpose). */
    static void patch(Path p, long offset, byte[] bytes) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(bytes), offset);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] read(Path p, long offset, int length) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.READ)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(length);
            ch.read(b, offset);
            return b.array();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Flips bit {@code bit} of the byte at {@code offset}. */
    static void flip(Path p, long offset, int bit) {
        byte[] b = read(p, offset, 1);
        b[0] ^= (byte) (1 << bit);
        patch(p, offset, b);
    }

    static long u64(Path p, long offset) {
        return java.nio.ByteBuffer.wrap(read(p, offset, 8)).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    static byte[] le64(long v) {
        return java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    /** A pool that crashed: {@code n} accounts committed and checkpointed at open, then {@code more} transfers not checkpointed. */
    static Path crashed(String name, int n, int more) {
        Path p = bank(name, n);
        Heap h = Heap.open(p, options());
        Ref bank = h.root(BANK);
        Ref first = h.getRef(bank, BANK.field("first"));
        PField balance = ACCOUNT.field("balance");
        for (int i = 0; i < more; i++) {
            try (Tx tx = h.begin()) {
                tx.setLong(first, balance, tx.getLong(first, balance) + 1);
                tx.commit();
            }
        }
        h.crashForTesting();
        return p;
    }

    static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
            Files.deleteIfExists(LockProbe.lockFile(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The result of one command line run in this JVM. */
    record Run(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    /** {@code ferrite check ARGS} through the check command alone (no command tree to build: the fuzz runs thousands). */
    static Run runCheck(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Ferrite.runCommand(new CheckCommand(), args, new PrintWriter(o, true), new PrintWriter(e, true));
        return new Run(code, o.toString(), e.toString());
    }

    static Run run(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Ferrite.run(args, new PrintWriter(o, true), new PrintWriter(e, true));
        return new Run(code, o.toString(), e.toString());
    }
}
