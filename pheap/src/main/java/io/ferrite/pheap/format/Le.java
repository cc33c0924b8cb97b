package io.ferrite.pheap.format;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** The little-endian value layouts every on-media structure of the pool is written with. */
public final class Le {
    public static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Unaligned variants, for reading records from byte buffers of any alignment. */
    public static final ValueLayout.OfShort U16_UNALIGNED = U16.withByteAlignment(1);
    public static final ValueLayout.OfInt U32_UNALIGNED = U32.withByteAlignment(1);
    public static final ValueLayout.OfLong U64_UNALIGNED = U64.withByteAlignment(1);

    private Le() {
    }
}
