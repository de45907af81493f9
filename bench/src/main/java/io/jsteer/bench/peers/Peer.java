package io.jsteer.bench.peers;

/**
 * An inference engine timed side by side with jsteer: token ids in, greedy (argmax) token ids out,
 * one sequence with a KV cache. Implementations keep their weights loaded between calls; {@link #prefill}
 * starts a new sequence at position 0.
 */
public interface Peer extends AutoCloseable {

    /** Short name for the table, e.g. "jlama". */
    String name();

    /** What the weights are computed in, e.g. "F32" or "Jlama Q8 (int8 blocks of 32, f32 scale)". */
    String weights();

    /** Forgets the sequence, runs {@code prompt} at positions 0..n-1 and returns the argmax after its last token. */
    int prefill(int[] prompt);

    /** Feeds {@code token} at {@code pos} (after a prefill of {@code pos} tokens) and returns the argmax. */
    int decode(int token, int pos);

    /** The logits [vocab] behind the token that the last {@link #prefill} or {@link #decode} returned. */
    float[] lastLogits();

    /**
     * A known way in which this engine computes another function than jsteer on this model (e.g. a
     * config field it ignores), or null. With one, equal greedy tokens pass the F32 check and the logit
     * difference is reported instead of enforced.
     */
    default String knownDeviation() {
        return null;
    }

    @Override
    void close();

    /** Greedy continuation: {@code n} tokens after {@code prompt}, the first one from the prefill. */
    default int[] greedy(int[] prompt, int n) {
        int[] out = new int[n];
        int next = prefill(prompt);
        for (int i = 0; i < n; i++) {
            out[i] = next;
            if (i + 1 < n) {
                next = decode(next, prompt.length + i);
            }
        }
        return out;
    }
}
