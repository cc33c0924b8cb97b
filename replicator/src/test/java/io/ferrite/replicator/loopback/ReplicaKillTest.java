package io.ferrite.replicator.loopback;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ferrite.pheap.Heap;
import io.ferrite.replicator.primary.Shipper;
import io.ferrite.replicator.primary.Slots;
import io.ferrite.replicator.replica.ReplicaServer;
import io.ferrite.replicator.wire.Transport;
import io.ferrite.testsupport.ChildJvm;
import io.ferrite.testsupport.TempPools;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A replica in a child JVM is killed with SIGKILL while the primary streams to it; restarted, it
 * recovers from its mirror log, holds at least everything it had acknowledged durable, resumes
 * from its own durable LSN and converges to the primary's content.
 */
class ReplicaKillTest {
    /** The child: a replica that prints "READY port durable" and serves until stdin says stop. */
    public static final class ReplicaMain {
        public static void main(String[] args) throws Exception {
            ReplicaServer.Config rc = new ReplicaServer.Config(Path.of(args[0]), InetAddress.getLoopbackAddress(),
                    Integer.parseInt(args[1]), "r1", LoopbackReplicationTest.SECRET, Transport.plain(), 1 << 20, 2_000,
                    Long.parseLong(args[2]));
            try (ReplicaServer r = ReplicaServer.start(rc)) {
                System.out.println("READY " + r.port() + " " + r.durableLsn());
                System.out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line = in.readLine(); line != null && !line.equals("stop"); line = in.readLine()) {
                    // waiting for stop
                }
            }
            System.out.println("CLOSED");
        }
    }

    private static Process child(Path pool, int port, long from) throws Exception {
        return new ProcessBuilder(ChildJvm.command(List.of("-Xmx256m"), ReplicaMain.class, pool.toString(),
                String.valueOf(port), String.valueOf(from))).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** The READY line's port and durable LSN. */
    private static long[] ready(Process p) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (int i = 0; i < 100; i++) {
            String line = out.readLine();
            if (line == null) {
                break;
            }
            if (line.startsWith("READY ")) {
                String[] w = line.split(" ");
                return new long[] {Long.parseLong(w[1]), Long.parseLong(w[2])};
            }
        }
        throw new AssertionError("the replica child (pid " + p.pid() + ") did not get ready");
    }

    @Test
    void aKilledReplicaRecoversAndResumesFromItsDurableLsn() throws Exception {
        Path pool = TempPools.fresh("repl-kill", "primary");
        Path copy = TempPools.fresh("repl-kill", "replica");
        Random rnd = new Random(23);
        Process first = null;
        Process second = null;
        try {
            long from;
            try (Heap h = Heap.create(pool, 8L << 20, LoopbackReplicationTest.options())) {
                LoopbackReplicationTest.step(h, rnd);
                h.close();
                from = h.superblock().checkpointLsn();
            }
            Files.copy(pool, copy);
            Slots slots = new Slots();
            slots.slot("r1", from);
            try (Heap primary = Heap.open(pool, LoopbackReplicationTest.options().retentionFloor(slots))) {
                first = child(copy, 0, from);
                int port = (int) ready(first)[0];
                long ackedBeforeKill;
                try (Shipper shipper = new Shipper(primary, slots, new Shipper.Config("r1", "127.0.0.1", port, "p1",
                        LoopbackReplicationTest.SECRET, Transport.plain(), 1 << 20, 2_000, 200, 100)).start()) {
                    for (int i = 0; i < 1500; i++) {
                        LoopbackReplicationTest.step(primary, rnd);
                    }
                    long target = primary.logReader().durableLsn();
                    for (int i = 0; i < 3000 && slots.get("r1").durableLsn() < target; i++) {
                        Thread.sleep(20);
                    }
                    for (int i = 0; i < 200; i++) { // in flight when the replica dies
                        LoopbackReplicationTest.step(primary, rnd);
                    }
                    assertTrue(ChildJvm.kill(first), "the first replica ended");
                    Thread.sleep(200); // acks it sent before it died may still be read
                    ackedBeforeKill = slots.get("r1").durableLsn(); // every ack it ever sent
                    for (int i = 0; i < 300; i++) { // while it is down
                        LoopbackReplicationTest.step(primary, rnd);
                    }
                    second = child(copy, port, from);
                    long[] r = ready(second);
                    assertTrue(r[1] >= ackedBeforeKill, "the restarted replica holds " + r[1] + ", it had acknowledged "
                            + ackedBeforeKill + " durable");
                    long end = primary.logReader().durableLsn();
                    for (int i = 0; i < 3000 && slots.get("r1").appliedLsn() < end; i++) {
                        Thread.sleep(20);
                    }
                    assertTrue(slots.get("r1").appliedLsn() >= end, "slot " + slots.get("r1") + ", primary durable " + end);
                    System.out.println("replica kill: acked durable " + ackedBeforeKill + " before SIGKILL, restarted holding "
                            + r[1] + ", caught up to " + end + "; " + shipper.recordsShipped() + " records shipped");
                }
                try (PrintStream in = new PrintStream(second.getOutputStream(), true, StandardCharsets.UTF_8)) {
                    in.println("stop");
                }
                assertTrue(second.waitFor(60, TimeUnit.SECONDS), "the second replica stopped");
                assertEquals(0, second.exitValue());
                ReplicaServer.Config rc = new ReplicaServer.Config(copy, InetAddress.getLoopbackAddress(), 0, "r1",
                        LoopbackReplicationTest.SECRET, Transport.plain(), 1 << 20, 2_000, from);
                try (ReplicaServer check = ReplicaServer.start(rc)) {
                    assertEquals(LoopbackReplicationTest.dump(primary), LoopbackReplicationTest.dump(check.heap()),
                            "replica content after SIGKILL and restart");
                    System.out.println("replica kill: contents equal, " + (LoopbackReplicationTest.dump(primary).size() - 1) / 2
                            + " nodes");
                }
            }
        } finally {
            if (first != null) {
                ChildJvm.kill(first);
            }
            if (second != null) {
                ChildJvm.kill(second);
            }
            TempPools.delete(pool);
            TempPools.delete(copy);
        }
    }
}
