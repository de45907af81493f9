package io.jsteer.tensor;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/** bfloat16 values: the upper 16 bits of a float32, so widening is a shift. */
public final class BF16Tensor extends HalfFloatTensor {


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
    FloatVector widen(long byteOffset) {
        IntVector h = rawBits(byteOffset);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
