package io.jsteer.weights.quant;

/**
 * Hugging Face stores Q and K rows for "rotate-half" (neox) RoPE, which pairs dimension i with
 * i + headSize/2 inside each head; GGUF/llama2.c ("normal" RoPE) pair adjacent dimensions 2i and
 * 2i+1. llama.cpp's HF converter reorders the rows of each head,
 * {@code reshape(heads, 2, headSize/2, in).swapaxes(1, 2)}, so that pair (i, i + headSize/2)
 * lands on rows (2i, 2i+1); this class is that permutation.
 */
public final class RopePermutation {

    private RopePermutation() {}

    /** The neox row that becomes normal row {@code row} ({@code headSize} = rows per head, even). */
    public static long neoxRowForNormalRow(long row, int headSize) {
        long head = row / headSize;
        int within = (int) (row % headSize);
        int pair = within / 2;
        int half = within % 2;
        return head * headSize + (long) half * (headSize / 2) + pair;
    }

    /** The normal row that neox row {@code row} becomes (inverse of {@link #neoxRowForNormalRow}). */
    public static long normalRowForNeoxRow(long row, int headSize) {
        long head = row / headSize;
        int within = (int) (row % headSize);
        int half = within / (headSize / 2);
        int pair = within % (headSize / 2);
        return head * headSize + 2L * pair + half;
    }
}
