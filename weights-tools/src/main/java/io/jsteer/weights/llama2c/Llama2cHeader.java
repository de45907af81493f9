package io.jsteer.weights.llama2c;

/**
 * The 7-int32 header of a llama2.c legacy (version 0) checkpoint, validated. {@code vocabSize}
 * is the absolute value; {@code sharedClassifier} is false when the file's value was negative
 * (then a separate {@code wcls} ends the file).
 */
public record Llama2cHeader(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocabSize,
                            int seqLen, boolean sharedClassifier) {

    public static final int BYTES = 7 * 4;

    public int headSize() { return dim / heads; }

    public int kvDim() { return kvHeads * headSize(); }

    /** Floats of the weights proper, without the legacy freq_cis tables and wcls. */
    public long weightFloats() {
        long d = dim, h = hiddenDim, l = layers, kv = kvDim();
        return Math.addExact(Math.addExact(
                Math.multiplyExact((long) vocabSize, d),                 // token embedding
                Math.multiplyExact(l, Math.addExact(Math.addExact(
                        2 * d,                                              // rms_att, rms_ffn
                        Math.multiplyExact(2 * d, d + kv)),                 // wq, wo; wk, wv
                        Math.multiplyExact(3 * d, h)))),                    // w1, w2, w3
                d);                                                         // rms_final
    }

    /** Floats of the two unused legacy RoPE tables, {@code [seq_len][head_size/2]} each. */
    public long freqCisFloats() {
        return Math.multiplyExact((long) seqLen, headSize());
    }

    public long classifierFloats() {
        return sharedClassifier ? 0 : Math.multiplyExact((long) vocabSize, dim);
    }
}
