package io.ferrite.replicator.basecopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.pheap.Heap;
import io.ferrite.replicator.primary.Shipper;
import io.ferrite.replicator.primary.Slots;
import io.ferrite.replicator.replica.ReplicaServer;
import io.ferrite.replicator.wire.Connection;
import io.ferrite.testsupport.ChildJvm;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A replica being seeded in a child JVM is killed with SIGKILL in the middle of the copy, twice:
 * each time no pool is installed (only the staging), and the next child resumes at the offset its
 * predecessor had made durable, not at 0. The third child completes the copy, streams, and its
 * pool ends equal to the primary's.
 */
class BaseCopyKillTest {
    /** The child: seeds the pool (printing LISTENING port, then INSTALLED offsets...), serves as a replica until stdin says stop. */
    public static final class SeedingReplicaMain {
        public static void main(String[] args) throws Exception {
            ReplicaServer.Config rc = Seed.replica(Path.of(args[0]), Integer.parseInt(args[1]));
            int port;
            try (BaseCopyReceiver r = BaseCopyReceiver.listen(rc)) {
                r.syncBytes = 1 << 20; // progress every 16 chunks
                port = r.port();
                System.out.println("LISTENING " + port);
                System.out.flush();
                BaseCopyReceiver.Installed inst = r.awaitInstalled(60_000);
                StringBuilder b = new StringBuilder("INSTALLED");
                inst.startOffsets().forEach(o -> b.append(' ').append(o));
                System.out.println(b);
                System.out.flush();
            }
            try (ReplicaServer s = ReplicaServer.start(Seed.replica(rc.pool(), port))) {
                System.out.println("READY " + s.durableLsn());
                System.out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line = in.readLine(); line != null && !line.equals("stop"); line = in.readLine()) {
                    // waiting for stop
                }
            }
            System.out.println("CLOSED");
        }
    }

    private static Process child(Path pool, int port) throws Exception {
        return new ProcessBuilder(ChildJvm.command(List.of("-Xmx256m"), SeedingReplicaMain.class, pool.toString(),
                String.valueOf(port))).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** The words of the child's first line starting with {@code tag}. */
    private static String[] line(Process p, BufferedReader out, String tag) throws Exception {
        for (int i = 0; i < 100; i++) {
            String line = out.readLine();
            if (line == null) {
                break;
            }
            if (line.startsWith(tag + " ") || line.equals(tag)) {
                return line.split(" ");
            }
        }
        throw new AssertionError("the seeding replica child (pid " + p.pid() + ") printed no " + tag + " line");
    }

    private static long staged(Path pool) {
        try (Staging st = Staging.open(pool, 1)) {
            return st.offset();
        }
    }

    @Test
    void aReplicaKilledMidCopyResumesItsStagedImageAndIsNeverHalfInstalled() throws Exception {
        List<Process> children = new ArrayList<>();
        try (Seed.Rig r = Seed.Rig.of("bc-kill", 61, 500)) {
            Heap primary = r.primary();
            BaseCopySource source = r.source();
            Random during = new Random(62);
            source.hooks = new BaseCopySource.Hooks() {
                @Override
                public void beforeChunk(String destination, long index, byte[] data, Connection conn) {
                    Seed.step(primary, during);
                    try {
                        Thread.sleep(10); // a slow link: the copy takes over a second, time to kill the replica in it
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            Process first = child(r.replicaPool(), 0);
            children.add(first);
            BufferedReader out = new BufferedReader(new InputStreamReader(first.getInputStream(), StandardCharsets.UTF_8));
            int port = Integer.parseInt(line(first, out, "LISTENING")[1]);
            List<Long> resumedAt = new ArrayList<>();
            try (Shipper shipper = Seed.shipper(primary, r.slots(), port, source, 100).start()) {
                Process current = first;
                for (long killAt : new long[] {40, 100}) {
                    for (int i = 0; i < 3000 && source.chunksSent() < killAt; i++) { // at most ~30 s
                        Thread.sleep(10);
                    }
                    assertTrue(source.chunksSent() >= killAt, "chunks sent " + source.chunksSent());
                    assertTrue(ChildJvm.kill(current), "the seeding replica ended");
                    long at = staged(r.replicaPool());
                    assertFalse(Files.exists(r.replicaPool()), "killed mid-copy: no pool installed");
                    assertTrue(Files.exists(Staging.imagePath(r.replicaPool())), "killed mid-copy: the staging stays");
                    assertTrue(at > 0 && at < Seed.POOL_SIZE, "staged " + at);
                    resumedAt.add(at);
                    current = child(r.replicaPool(), port);
                    children.add(current);
                    out = new BufferedReader(new InputStreamReader(current.getInputStream(), StandardCharsets.UTF_8));
                    line(current, out, "LISTENING");
                    System.out.println("base copy kill: SIGKILL after " + source.chunksSent() + " chunks sent, " + at
                            + " bytes durably staged; restarted");
                }
                String[] installed = line(current, out, "INSTALLED");
                long firstStart = Long.parseLong(installed[1]);
                assertEquals(resumedAt.get(1), firstStart, "the last child resumed at its predecessor's staged offset: "
                        + Arrays.toString(installed));
                long ready = Long.parseLong(line(current, out, "READY")[1]);
                for (int i = 0; i < 200; i++) {
                    Seed.step(primary, r.rnd());
                }
                long end = primary.logReader().durableLsn();
                for (int i = 0; i < 3000 && (r.slots().get("r1") == null || r.slots().get("r1").appliedLsn() < end); i++) {
                    Thread.sleep(20);
                }
                assertTrue(r.slots().get("r1").appliedLsn() >= end, "slot " + r.slots().get("r1") + ", primary durable " + end);
                try (PrintStream in = new PrintStream(current.getOutputStream(), true, StandardCharsets.UTF_8)) {
                    in.println("stop");
                }
                assertTrue(current.waitFor(60, TimeUnit.SECONDS), "the replica stopped");
                assertEquals(0, current.exitValue());
                System.out.println("base copy kill: installed after 2 kills (staged offsets " + resumedAt + ", the last child's"
                        + " sessions started at " + Arrays.toString(Arrays.copyOfRange(installed, 1, installed.length))
                        + "), ready at LSN " + ready + ", caught up to " + end + "; " + source.chunksSent() + " chunks sent in all");
            }
            try (ReplicaServer check = ReplicaServer.start(Seed.replica(r.replicaPool(), 0))) {
                List<Long> p = Seed.content(primary);
                assertEquals(p, Seed.content(check.heap()), "replica content after two kills mid-copy");
                System.out.println("base copy kill: contents equal, " + Seed.items(p) + " items");
            }
        } finally {
            for (Process p : children) {
                ChildJvm.kill(p);
            }
        }
    }
}
