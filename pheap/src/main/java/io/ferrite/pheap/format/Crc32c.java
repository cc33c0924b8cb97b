package io.ferrite.pheap.format;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.zip.CRC32C;

/** CRC32C over a range of any segment (native, or heap of any array type). */
public final class Crc32c {
    private Crc32c() {
    }

    public static int of(MemorySegment segment, long offset, long length) {
        CRC32C crc = new CRC32C();
        MemorySegment s = segment.asSlice(offset, length);
        if (s.isNative() || s.heapBase().map(b -> b instanceof byte[]).orElse(false)) {
            crc.update(s.asByteBuffer());
        } else {
            crc.update(s.toArray(ValueLayout.JAVA_BYTE));
        }
        return (int) crc.getValue();
    }
}
