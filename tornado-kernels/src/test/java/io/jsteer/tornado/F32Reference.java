package io.jsteer.tornado;

import io.jsteer.model.LlamaWeights;
import io.jsteer.tensor.FloatTensor;

/**
 * The CPU reference for the device's arithmetic on quantized files: the same weights with every
 * matrix dequantized to F32 on the host. The device holds Q8_0 as quants x scales and the other
 * quantized types dequantized, and multiplies by float activations; the CPU engine's quantized
 * kernels round the activations to 8 bits first (as llama.cpp does), so on quantized weights the
 * two engines differ by that rounding, while the device equals this reference up to summation order.
 */
final class F32Reference {

    private F32Reference() {}

    static LlamaWeights of(LlamaWeights w) {
        return new LlamaWeights(w.tokenEmbedding(), w.attnNorm(), f32(w.wq()), f32(w.wk()), f32(w.wv()), f32(w.wo()), w.ffnNorm(),
                f32(w.w1()), f32(w.w2()), f32(w.w3()), w.outputNorm(), FloatTensor.of(w.classifier().toFloatArray()),
                w.qBias(), w.kBias(), w.vBias(), w.qNorm(), w.kNorm(), w.ropeFactors());
    }

    private static FloatTensor[] f32(FloatTensor[] ts) {
        FloatTensor[] out = new FloatTensor[ts.length];
        for (int i = 0; i < ts.length; i++) {
            out[i] = FloatTensor.of(ts[i].toFloatArray());
        }
        return out;
    }
}
