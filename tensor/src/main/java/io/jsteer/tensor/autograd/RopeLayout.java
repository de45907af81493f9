package io.jsteer.tensor.autograd;

/** Which pairs of a head's dimensions RoPE rotates together. */
public enum RopeLayout {
    /** Adjacent pairs (2i, 2i+1), as llama2.c and GGUF Llama models store q/k. */
    NORMAL,
    /** Rotate-half pairs (i, i + headSize/2), as HF/NeoX-style checkpoints. */
    NEOX
}
