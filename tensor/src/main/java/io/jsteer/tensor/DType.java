package io.jsteer.tensor;

import java.util.Locale;
import java.util.Optional;

/**
 * Element types of stored weights. Quantized types use GGUF's block layouts: a block of
 * {@link #blockSize()} elements occupies {@link #blockBytes()} bytes.
 */
public enum DType {
    /** IEEE float32, little-endian. */
    F32(0, 1, 4, 1, 0),
    /** IEEE float16, little-endian. */
    F16(1, 1, 2, 1, 0),
    /** 32 elements: float16 scale d, then 16 bytes of 4-bit values q (low nibbles = elements 0..15); x = (q - 8) * d. */
    Q4_0(2, 32, 18, 32, 32),
    /** 32 elements: float16 d and m, 16 bytes of 4-bit q; x = q * d + m. */
    Q4_1(3, 32, 20, 32, 32),
    /** 32 elements: float16 d, 4 bytes of fifth bits, 16 bytes of low nibbles; x = (q - 16) * d. */
    Q5_0(6, 32, 22, 32, 32),
    /** 32 elements: float16 d and m, 4 bytes of fifth bits, 16 bytes of low nibbles; x = q * d + m. */
    Q5_1(7, 32, 24, 32, 32),
    /** 32 elements: float16 scale d, then 32 signed bytes q; x = q * d. */
    Q8_0(8, 32, 34, 32, 32),
    /** 256 elements: 16 bytes of 4-bit scale/min pairs, 64 bytes of 2-bit q, float16 d and dmin. */
    Q2_K(10, 256, 84, 16, 256),
    /** 256 elements: 32 bytes of high bits, 64 bytes of 2-bit q, 12 bytes of 6-bit scales, float16 d. */
    Q3_K(11, 256, 110, 16, 256),
    /** 256 elements: float16 d and dmin, 12 bytes of 6-bit scales and mins, 128 bytes of 4-bit q. */
    Q4_K(12, 256, 144, 32, 256),
    /** 256 elements: float16 d and dmin, 12 bytes of 6-bit scales and mins, 32 bytes of fifth bits, 128 bytes of 4-bit q. */
    Q5_K(13, 256, 176, 32, 256),
    /** 256 elements: 128 bytes of low 4 bits, 64 bytes of high 2 bits, 16 signed 8-bit scales, float16 d. */
    Q6_K(14, 256, 210, 16, 256),
    /** 32 elements: float16 d, 16 bytes of 4-bit indices into a fixed non-linear table; x = d * table[q]. */
    IQ4_NL(20, 32, 18, 32, 32),
    /** 256 elements: float16 d, 6-bit scales per 32 (2 bytes high bits, 4 bytes low nibbles), 128 bytes of 4-bit indices. */
    IQ4_XS(23, 256, 136, 32, 256),
    /** bfloat16 (upper half of a float32), little-endian. */
    BF16(30, 1, 2, 1, 0);

    private final int ggmlId;
    private final int blockSize;
    private final int blockBytes;
    private final int groupSize;
    private final int activationBlock;

    DType(int ggmlId, int blockSize, int blockBytes, int groupSize, int activationBlock) {
        this.ggmlId = ggmlId;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.groupSize = groupSize;
        this.activationBlock = activationBlock;
    }

    /** The type's id in GGUF / ggml (ggml_type). */
    public int ggmlId() { return ggmlId; }

    /** Elements per block (1 for plain float types). */
    public int blockSize() { return blockSize; }

    /** Bytes per block. */
    public int blockBytes() { return blockBytes; }

    public boolean isQuantized() { return blockSize > 1; }

    /** Elements sharing one scale (and min) inside a block: 16 or 32 for quantized types, 1 otherwise. */
    public int groupSize() { return groupSize; }

    /**
     * Block size of the 8-bit activations this type's integer dot products take, as llama.cpp's
     * vec_dot_type: 32 (Q8_0/Q8_1, one float16 scale per 32 values) for the legacy types, 256 (Q8_K,
     * one float32 scale per 256 values) for the K-quants and IQ4_XS; 0 for float types.
     */
    public int activationBlock() { return activationBlock; }

    /** Stored bits per value, e.g. 4.5 for Q4_0 and Q4_K, 6.5625 for Q6_K. */
    public double bitsPerWeight() { return blockBytes * 8.0 / blockSize; }

    /**
     * Bytes needed for {@code elements} values.
     *
     * @throws IllegalArgumentException when the count is negative or not a whole number of blocks
     */
    public long bytesFor(long elements) {
        if (elements < 0) {
            throw new IllegalArgumentException("negative element count " + elements + " for " + this);
        }
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(elements + " elements is not a whole number of " + this
                    + " blocks of " + blockSize);
        }
        return Math.multiplyExact(elements / blockSize, (long) blockBytes);
    }

    public static Optional<DType> fromGgmlId(long id) {
        for (DType t : values()) {
            if (t.ggmlId == id) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** Parses "f32", "F16", "q8_0", "bf16" ...; throws with the accepted names on anything else. */
    public static DType parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        for (DType t : values()) {
            if (t.name().equals(n)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown dtype '" + name + "' (expected one of "
                + java.util.Arrays.stream(values()).map(DType::label).collect(java.util.stream.Collectors.joining(", ")) + ")");
    }

    /** Lower-case name as used on the command line and in file metadata. */
    public String label() { return name().toLowerCase(Locale.ROOT); }
}
