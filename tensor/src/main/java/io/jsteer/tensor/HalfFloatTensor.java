package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Two-byte floats (F16, BF16): the copy and dot loops are the same for both, only the widening
 * of F.length() 16-bit values into a float vector differs ({@link #widen}).
 */
abstract sealed class HalfFloatTensor extends FloatTensor permits F16Tensor, BF16Tensor {

    static final VectorSpecies<Float> F = VectorSupport.Species.F;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));

    HalfFloatTensor(MemorySegment segment, long size) {
        super(segment, size);
    }

    /** F.length() raw 16-bit values at {@code byteOffset}, sign-extended into int lanes. */
    final IntVector rawBits(long byteOffset) {
        return (IntVector) ShortVector.fromMemorySegment(S, segment, byteOffset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, I, 0);
    }

    /** F.length() values at {@code byteOffset} as floats. */
    abstract FloatVector widen(long byteOffset);

    @Override
    public final void copyTo(long offset, float[] dst, int dstOffset, int n) {
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
    public final float dot(long offset, float[] x, int xOffset, int n) {
        checkRange(offset, n);
        int step = F.length();
        int i = 0;
        // two accumulators: the FMA latency of one chain would otherwise bound the loop
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
}
