package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** IEEE half-precision values, widened to float32 in registers. */
public final class F16Tensor extends FloatTensor {

    private static final VectorSpecies<Float> F = VectorSupport.Species.F;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
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

    @Override
    public void copyTo(long offset, float[] dst, int dstOffset, int n) {
        checkRange(offset, n);
        int step = F.length();
        int i = 0;
        for (int bound = n - step; i <= bound; i += step) {
            widen(offset * 2 + i * 2L).intoArray(dst, dstOffset + i);
        }
        for (; i < n; i++) {
            dst[dstOffset + i] = getFloat(offset + i);
        }
    }

    @Override
    public float dot(long offset, float[] x, int xOffset, int n) {
        checkRange(offset, n);
        int step = F.length();
        int i = 0;
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        for (int bound = n - 2 * step; i <= bound; i += 2 * step) {
            acc0 = widen(offset * 2 + i * 2L).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
            acc1 = widen(offset * 2 + (i + step) * 2L).fma(FloatVector.fromArray(F, x, xOffset + i + step), acc1);
        }
        for (int bound = n - step; i <= bound; i += step) {
            acc0 = widen(offset * 2 + i * 2L).fma(FloatVector.fromArray(F, x, xOffset + i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += getFloat(offset + i) * x[xOffset + i];
        }
        return sum;
    }

    /**
     * Converts F.length() halves at {@code byteOffset} with integer ops: the 15 magnitude bits
     * shifted into float position and scaled by 2^112 give the exact value for normal and
     * subnormal halves alike; the sign bit is put back afterwards. Inf/NaN halves, which no
     * usable weight file holds, would come out as large finite numbers.
     */
    private FloatVector widen(long byteOffset) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, segment, byteOffset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, I, 0);
        FloatVector magnitude = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13)
                .reinterpretAsFloats().mul(REBIAS);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        return magnitude.reinterpretAsInts().or(sign).reinterpretAsFloats();
    }
}
