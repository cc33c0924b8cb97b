package io.ferrite.cli;

import io.ferrite.pheap.Replay;
import io.ferrite.pheap.format.PoolValidation;
import io.ferrite.pheap.format.Superblock;
import io.ferrite.pmlog.LogTailScanner.Entry;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The pool as recovery would leave it, for the read-only commands: the mapped image itself when
 * nothing is left to replay, else a private copy with the redo records after the checkpoint LSN
 * applied by pheap's own {@link Replay}, in the form recovery replays them (each pointer for its
 * slab's recorded base). The file is never written.
 */
final class Recovered implements AutoCloseable {
    final MemorySegment image;
    final int replayed;
    /** Why the log could not be replayed (then the image is the pool as it is), or null. */
    final String problem;
    final LogScan log;
    /** Something the reader should know that is not damage (the copy could not be made), or null. */
    String note;
    private final Arena arena;

    private Recovered(MemorySegment image, int replayed, String problem, LogScan log, Arena arena) {
        this.image = image;
        this.replayed = replayed;
        this.problem = problem;
        this.log = log;
        this.arena = arena;
    }

    static Recovered of(PoolImage img) {
        Superblock sb = img.sb;
        LogScan log = LogScan.open(img.media, sb.logOffset(), sb.logLength());
        if (log.headerProblem != null) {
            return new Recovered(img.seg, 0, "log header: " + log.headerProblem, log, null);
        }
        long cp = sb.checkpointLsn();
        List<Entry> redo = new ArrayList<>();
        log.scan(r -> {
            if (!r.padding() && r.lsn() >= cp && Replay.isRedo(r.type())) {
                redo.add(r);
            }
            return true;
        });
        if (redo.isEmpty()) {
            return new Recovered(img.seg, 0, null, log, null);
        }
        Arena arena = Arena.ofConfined();
        try {
            Replay v = applier(img.seg, sb);
            for (Entry r : redo) {
                v.validate(r.lsn(), img.seg, r.payloadOffset(), r.length());
            }
            return new Recovered(replayInCopy(img.seg, sb, redo, arena), redo.size(), null, log, arena);
        } catch (RuntimeException e) {
            arena.close();
            return new Recovered(img.seg, 0, "the log cannot be replayed: " + e.getMessage(), log, null);
        } catch (OutOfMemoryError e) {
            arena.close();
            Recovered r = new Recovered(img.seg, 0, null, log, null);
            r.note = "the pool is too large to replay its log in a private copy here; it is shown as it is on media,"
                    + " without the last " + redo.size() + " committed transactions (run `ferrite recover " + img.path + "` first)";
            return r;
        }
    }

    /**
     * Why the superblock's base address cannot be the base the log's replay stores pointer words
     * and slab bases for, or null: it must leave room for the pool below 2^63 (positive, page
     * aligned), or pheap's replay code refuses it with an exception that is no finding.
     */
    static String baseProblem(Superblock sb) {
        if (PoolValidation.baseFits(sb.baseAddress(), sb.poolSize())) {
            return null;
        }
        return String.format("superblock base address 0x%x is no base a pool of %d bytes can have (positive, page aligned,"
                + " with room for the pool below 2^63): the log's records cannot be replayed for it", sb.baseAddress(), sb.poolSize());
    }

    /**
     * pheap's replay over {@code pool}, pointers as recovery stores them before a swizzle
     * (validation writes nothing; apply writes {@code pool}).
     *
     * @throws ToolException (damaged) when the superblock's base cannot be replayed for ({@link #baseProblem})
     */
    static Replay applier(MemorySegment pool, Superblock sb) {
        String b = baseProblem(sb);
        if (b != null) {
            throw ToolException.damaged(b, "the superblock is damaged; restore from a replica or a backup");
        }
        return Replay.atRecordedBases(pool, sb, sb.baseAddress(), null);
    }

    /**
     * A copy of the pool in {@code arena} with the (validated) redo records applied, read-only:
     * what recovery would leave, without writing the file.
     */
    static MemorySegment replayInCopy(MemorySegment pool, Superblock sb, List<Entry> redo, Arena arena) {
        MemorySegment copy = arena.allocate(pool.byteSize(), 4096);
        MemorySegment.copy(pool, 0, copy, 0, pool.byteSize());
        Replay a = applier(copy, sb);
        for (Entry r : redo) {
            a.apply(r.lsn(), pool, r.payloadOffset(), r.length());
        }
        return copy.asReadOnly();
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
