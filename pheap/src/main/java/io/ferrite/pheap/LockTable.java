package io.ferrite.pheap;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel's table of file locks ({@code /proc/locks} on Linux), read for one thing: which
 * process holds the {@code flock} on a pool file. The lock itself says nothing about its holder,
 * and the lock-file sidecar is named by a path, while a pool has as many paths as it has links;
 * the kernel's table is keyed by device and inode, like the lock. Empty where there is no such
 * table (other systems) or it cannot be read.
 */
final class LockTable {
    private static final Path PROC_LOCKS = Path.of("/proc/locks");
    /** Bounds the read on a machine with very many locks; a pool's writer is rarely that far down. */
    private static final int MAX_LINES = 1_000_000;

    private LockTable() {
    }

    /** One {@code flock} on the file: the pid that took it (0 or less: not visible here) and whether it is exclusive. */
    record Entry(long pid, boolean exclusive) {
    }

    /** The {@code flock} locks held (not waited for) on the file with this device and inode number. */
    static List<Entry> flocks(long dev, long ino) {
        List<Entry> out = new ArrayList<>();
        if (!Files.isReadable(PROC_LOCKS)) {
            return out;
        }
        // "1: FLOCK  ADVISORY  WRITE 25259 00:1b:780 0 EOF"; waiters have "->" after the number
        String id = String.format(":%x:%x:%d", major(dev), minor(dev), ino);
        try (BufferedReader r = Files.newBufferedReader(PROC_LOCKS, StandardCharsets.US_ASCII)) {
            String line;
            for (int n = 0; n < MAX_LINES && (line = r.readLine()) != null; n++) {
                String[] t = line.trim().split("\\s+");
                if (t.length < 6 || !t[1].equals("FLOCK")) {
                    continue;
                }
                String[] d = t[5].split(":");
                if (d.length != 3 || !id.equals(String.format(":%x:%x:%s", Long.parseLong(d[0], 16), Long.parseLong(d[1], 16), d[2]))) {
                    continue;
                }
                out.add(new Entry(Long.parseLong(t[4]), t[3].equals("WRITE")));
            }
        } catch (IOException | RuntimeException e) {
            // a table we cannot read or parse names nobody: the caller says "holder unknown"
        }
        return out;
    }

    /** The pid of the process holding the exclusive {@code flock} on the file, or -1 when unknown. */
    static long exclusiveHolder(long dev, long ino) {
        for (Entry e : flocks(dev, ino)) {
            if (e.exclusive() && e.pid() > 0) {
                return e.pid();
            }
        }
        return -1;
    }

    /** Whether anybody holds an exclusive {@code flock} on the file (false also when the table cannot tell). */
    static boolean exclusivelyLocked(long dev, long ino) {
        return flocks(dev, ino).stream().anyMatch(Entry::exclusive);
    }

    /** glibc's {@code major()} of a {@code dev_t}. */
    static long major(long dev) {
        return ((dev >>> 32) & 0xffff_f000L) | ((dev >>> 8) & 0xfffL);
    }

    /** glibc's {@code minor()} of a {@code dev_t}. */
    static long minor(long dev) {
        return ((dev >>> 12) & 0xffff_ff00L) | (dev & 0xffL);
    }
}
