package io.jsteer.tensor;

import java.util.Locale;
import java.util.Optional;

/**
 * Element types of stored weights. Quantized types use GGUF's block layouts: a block of
 * {@link #blockSize()} elements occupies {@link #blockBytes()} bytes.
 */
public enum DType {
    /** IEEE float32, little-endian. */
    F32(0, 1, 4),
    /** IEEE float16, little-endian. */
    F16(1, 1, 2),
    /** 32 elements: float16 scale d, then 16 bytes of 4-bit values q (low nibbles = elements 0..15); x = (q - 8) * d. */
    Q4_0(2, 32, 18),
    /** 32 elements: float16 scale d, then 32 signed bytes q; x = q * d. */
    Q8_0(8, 32, 34),
    /** bfloat16 (upper half of a float32), little-endian. */
    BF16(30, 1, 2);

    private final int ggmlId;
    private final int blockSize;
    private final int blockBytes;

    DType(int ggmlId, int blockSize, int blockBytes) {
        this.ggmlId = ggmlId;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** The type's id in GGUF / ggml (ggml_type). */
    public int ggmlId() { return ggmlId; }

    /** Elements per block (1 for plain float types). */
    public int blockSize() { return blockSize; }

    /** Bytes per block. */
    public int blockBytes() { return blockBytes; }

    public boolean isQuantized() { return blockSize > 1; }

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
        throw new IllegalArgumentException("unknown dtype '" + name + "' (expected one of f32, f16, bf16, q8_0, q4_0)");
    }

    /** Lower-case name as used on the command line and in file metadata. */
    public String label() { return name().toLowerCase(Locale.ROOT); }
}
