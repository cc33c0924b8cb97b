package io.ferrite.pmlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The table of record types: values are format, unique, and the reserved ones stay in the reserved range. */
class LogRecordTypeTest {
    @Test
    void valuesAreTheFormatsAndUnique() {
        assertEquals(1, LogRecordType.REDO.code(), "the heap's redo records have been type 1 since format version 1");
        assertEquals((short) 0xFFFF, LogRecordType.PADDING.code());
        assertEquals(LogRecordDescriptor.PADDING_TYPE, LogRecordType.PADDING.code());
        Set<Short> codes = new HashSet<>();
        Set<String> labels = new HashSet<>();
        for (LogRecordType t : LogRecordType.values()) {
            assertTrue(codes.add(t.code()), "duplicate value " + t.code());
            assertTrue(labels.add(t.label()), "duplicate label " + t.label());
            assertSame(t, LogRecordType.of(t.code()));
            assertEquals(t != LogRecordType.REDO, LogRecordType.isReserved(t.code()), t.name());
        }
        assertNull(LogRecordType.of((short) 7), "an application's own type is none of Ferrite's");
        assertFalse(LogRecordType.isReserved((short) 0xFEFF));
        assertTrue(LogRecordType.isReserved((short) 0xFF00));
    }
}
