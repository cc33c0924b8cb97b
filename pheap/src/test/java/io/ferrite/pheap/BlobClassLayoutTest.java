package io.ferrite.pheap;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ferrite.pheap.format.BlobHeaderDescriptor;
import org.junit.jupiter.api.Test;

/** The built-in blob types persisted in the registry are laid out as {@link BlobHeaderDescriptor} says. */
class BlobClassLayoutTest {
    @Test
    void blobClassesFollowTheBlobHeaderDescriptor() {
        int checked = 0;
        for (long size = 16; size <= 64 * 1024; size <<= 1) {
            PType t = PType.blobClass(size);
            assertEquals(BlobHeaderDescriptor.LENGTH_OFFSET, t.field("length").offset(), t.name());
            assertEquals(BlobHeaderDescriptor.RESERVED_OFFSET, t.field("reserved").offset(), t.name());
            assertEquals(BlobHeaderDescriptor.DATA_OFFSET, t.field("data").offset(), t.name());
            assertEquals(BlobHeaderDescriptor.capacity(size), t.field("data").length(), t.name());
            assertEquals(size, t.size(), t.name());
            checked++;
        }
        System.out.println("blob classes: " + checked + " laid out as BlobHeaderDescriptor says");
    }
}
