package io.jsteer.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * LoRA training on frozen quantized weights: the tape's frozen linear reads every quantized GGUF
 * type in place, and its output and input gradient equal those of the same matrix dequantized
 * and used as a dense constant.
 */
class FrozenLinearEveryTypeTest {

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "F16", "BF16"}, mode = EnumSource.Mode.EXCLUDE)
    void frozenLinearEqualsTheDequantizedMatrix(DType t) {
        int out = 3, in = 256, rows = 2; // one 256-value super-block per row for the K types
        QuantizedTensor w = QuantizedTensorTest.random(t, (long) out * in, 7);
        float[] dense = new float[out * in];
        w.copyTo(0, dense, 0, dense.length);
        double[] xs = new double[rows * in], dy = {1, -2, 0.5, 3, 0.25, -1};
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < xs.length; i++) {
            xs[i] = r.nextGaussian();
        }
        Tape tape = new Tape(Precision.F64);
        Var x = Var.param(Precision.F64, xs, rows, in);
        Var y = tape.linear(x, w, out);
        tape.backward(y, dy);
        double[] frozenGrad = x.gradToDoubleArray();
        x.zeroGrad();
        Var reference = tape.linear(x, tape.constant(dense, out, in));
        tape.backward(reference, dy);
        assertArrayEquals(reference.toDoubleArray(), y.toDoubleArray(), 1e-9, t.toString());
        assertArrayEquals(x.gradToDoubleArray(), frozenGrad, 1e-9, t.toString());
    }
}
