package io.ferrite.pheap.format;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SuperblockTest {
    private static Superblock sample() {
        return Superblock.layout(UUID.randomUUID(), 64L << 20, 1 << 20, 64 * 1024, 4L << 20, 2L << 20, 1234)
                .withBaseAndCheckpoint(0x7f00_0000_0000L, 4096);
    }

    @Test
    void roundTripAndCrc() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(8192, 8);
            Superblock sb = sample();
            assertEquals("empty (no magic)", Superblock.problem(s, 0));
            sb.write(s, SuperblockDescriptor.A_OFFSET);
            assertNull(Superblock.problem(s, 0));
            assertEquals(sb, Superblock.read(s, 0));
            assertNull(sb.geometryProblem());
            s.set(Le.U64, SuperblockDescriptor.CHECKPOINT_LSN_OFFSET, 99);
            assertTrue(Superblock.problem(s, 0).startsWith("CRC32C mismatch"), Superblock.problem(s, 0));
        }
    }

    @Test
    void layoutIsOrderedAndAligned() {
        Superblock sb = sample();
        assertEquals(8192, sb.registryOffset());
        assertTrue(sb.slabTableOffset() >= sb.registryOffset() + sb.registryLength());
        assertTrue(sb.logOffset() >= sb.slabTableOffset() + sb.slabTableLength());
        assertEquals(0, sb.slabAreaOffset() % (2L << 20));
        assertTrue(sb.slabAreaOffset() + (long) sb.slabCount() * sb.slabSize() <= sb.poolSize());
        assertTrue(sb.slabCount() >= 50);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Superblock.layout(UUID.randomUUID(), 3L << 20, 1 << 20, 64 * 1024, 2L << 20, 2L << 20, 0));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
    }

    @Test
    void nextFlipsCleanAndSequence() {
        Superblock sb = sample();
        Superblock n = sb.next(777, true);
        assertEquals(sb.sequence() + 1, n.sequence());
        assertTrue(n.cleanClose());
        assertEquals(777, n.checkpointLsn());
        assertFalse(n.next(800, false).cleanClose());
    }
}
