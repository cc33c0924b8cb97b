package io.ferrite.replicator.basecopy;

import static io.ferrite.replicator.basecopy.BaseCopyProgressDescriptor.*;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.ferrite.replicator.wire.Messages.BaseCopyResume;
import io.ferrite.testsupport.TempPools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class BaseCopyProgressDescriptorTest {
    @Test
    void offsetsMatchTheLayout() {
        assertEquals(MAGIC_OFFSET, LAYOUT.byteOffset(groupElement("magic")));
        assertEquals(VERSION_OFFSET, LAYOUT.byteOffset(groupElement("version")));
        assertEquals(FLAGS_OFFSET, LAYOUT.byteOffset(groupElement("flags")));
        assertEquals(POOL_MSB_OFFSET, LAYOUT.byteOffset(groupElement("poolMsb")));
        assertEquals(POOL_LSB_OFFSET, LAYOUT.byteOffset(groupElement("poolLsb")));
        assertEquals(TERM_OFFSET, LAYOUT.byteOffset(groupElement("term")));
        assertEquals(CHECKPOINT_LSN_OFFSET, LAYOUT.byteOffset(groupElement("checkpointLsn")));
        assertEquals(IMAGE_LENGTH_OFFSET, LAYOUT.byteOffset(groupElement("imageLength")));
        assertEquals(STAGED_OFFSET_OFFSET, LAYOUT.byteOffset(groupElement("stagedOffset")));
        assertEquals(CHUNK_SIZE_OFFSET, LAYOUT.byteOffset(groupElement("chunkSize")));
        assertEquals(CRC_OFFSET, LAYOUT.byteOffset(groupElement("crc")));
        assertEquals(LENGTH, LAYOUT.byteSize());
        assertEquals("FERBCOPY", new String(java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(MAGIC)
                .array(), java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** The record round-trips through its file; a damaged record (every byte flipped in turn) is no record. */
    @Test
    void theProgressRecordRoundTripsAndADamagedOneIsNoRecord() throws Exception {
        Path pool = TempPools.fresh("bc-progress", "replica");
        try {
            Staging.Identity id = new Staging.Identity(UUID.randomUUID(), 3, 4096, 1 << 20, 65536);
            try (Staging st = Staging.open(pool, 1 << 20)) {
                assertNull(st.identity());
                assertEquals(BaseCopyResume.NOTHING, st.resume());
                st.reset(id);
                st.write(new byte[65536], 65536, 0x1234);
                st.sync();
            }
            try (Staging st = Staging.open(pool, 1 << 20)) {
                assertEquals(id, st.identity());
                assertEquals(new BaseCopyResume(3, 4096, 1 << 20, 65536, 65536), st.resume());
            }
            byte[] good = Files.readAllBytes(Staging.progressPath(pool));
            int refused = 0;
            for (int i = 0; i < LENGTH; i++) {
                byte[] bad = good.clone();
                bad[i] ^= 0x10;
                Files.write(Staging.progressPath(pool), bad, StandardOpenOption.TRUNCATE_EXISTING);
                try (Staging st = Staging.open(pool, 1 << 20)) {
                    assertNull(st.identity(), "byte " + i + " damaged");
                    refused++;
                }
            }
            Files.write(Staging.progressPath(pool), java.util.Arrays.copyOf(good, 40), StandardOpenOption.TRUNCATE_EXISTING);
            try (Staging st = Staging.open(pool, 1 << 20)) {
                assertNull(st.identity(), "a torn record");
                refused++;
            }
            System.out.println("base copy progress: round trip, " + refused + " damaged records taken for none");
        } finally {
            TempPools.delete(pool);
        }
    }
}
