package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** bfloat16 values: the upper 16 bits of a float32, so widening is a shift. */
public final class BF16Tensor extends FloatTensor {

    private static final VectorSpecies<Float> F = VectorSupport.Species.F;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));

    BF16Tensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    @Override
    public DType dtype() { return DType.BF16; }

    @Override
    public float getFloat(long index) {
        return Float.intBitsToFloat((segment.get(SHORT_LE, index * 2) & 0xffff) << 16);
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

    private FloatVector widen(long byteOffset) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, segment, byteOffset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
