package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/** IEEE half-precision values, widened to float32 in registers. */
public final class F16Tensor extends HalfFloatTensor {

    /** 2^112 = 2^(127 - 15): rebiases a half's exponent once its bits sit in float position. */
    private static final float REBIAS = 0x1p112f;

    F16Tensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.F16; }

    @Override
    public float getFloat(long index) {
        return Float.float16ToFloat(segment.get(SHORT_LE, index * 2));
    }

    /**
     * Converts F.length() halves at {@code byteOffset} with integer ops: the 15 magnitude bits
     * shifted into float position and scaled by 2^112 give the exact value for normal and
     * subnormal halves alike; the sign bit is put back afterwards. Inf/NaN halves, which no
     * usable weight file holds, would come out as large finite numbers.
     */
    @Override
    FloatVector widen(long byteOffset) {
        IntVector h = rawBits(byteOffset);
        FloatVector magnitude = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13)
                .reinterpretAsFloats().mul(REBIAS);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        return magnitude.reinterpretAsInts().or(sign).reinterpretAsFloats();
    }
}
