package io.jsteer.model.train;

import java.util.Arrays;
import java.util.List;

/**
 * B token sequences of one length T with a mask of the real (non-padding) tokens.
 *
 * @param tokens [B][T] token ids (padding positions hold some valid id, e.g. 0)
 * @param real   [B][T] true where the token is real; losses count only real positions
 */
public record SequenceBatch(int[][] tokens, boolean[][] real) {

    public SequenceBatch {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("a batch needs at least one sequence");
        }
        if (real.length != tokens.length) {
            throw new IllegalArgumentException("mask has " + real.length + " rows for " + tokens.length + " sequences");
        }
        int t = tokens[0].length;
        for (int b = 0; b < tokens.length; b++) {
            if (tokens[b].length != t || real[b].length != t) {
                throw new IllegalArgumentException("sequence " + b + " has " + tokens[b].length + " tokens and "
                        + real[b].length + " mask entries; the batch length is " + t);
            }
        }
        tokens = Arrays.stream(tokens).map(int[]::clone).toArray(int[][]::new);
        real = Arrays.stream(real).map(boolean[]::clone).toArray(boolean[][]::new);
    }

    /**
     * Sequences cut or right-padded with {@code padId} to {@code length} tokens; the mask marks
     * the tokens that came from the sequence.
     */
    public static SequenceBatch padded(List<int[]> sequences, int length, int padId) {
        int[][] tokens = new int[sequences.size()][length];
        boolean[][] real = new boolean[sequences.size()][length];
        for (int b = 0; b < tokens.length; b++) {
            int[] s = sequences.get(b);
            Arrays.fill(tokens[b], padId);
            int n = Math.min(length, s.length);
            System.arraycopy(s, 0, tokens[b], 0, n);
            Arrays.fill(real[b], 0, n, true);
        }
        return new SequenceBatch(tokens, real);
    }

    public int size() { return tokens.length; }

    public int length() { return tokens[0].length; }

    public int[] tokens(int b) { return tokens[b].clone(); }

    public boolean[] real(int b) { return real[b].clone(); }

    /** Real tokens in the whole batch. */
    public int realTokens() {
        int n = 0;
        for (boolean[] r : real) {
            for (boolean x : r) {
                n += x ? 1 : 0;
            }
        }
        return n;
    }
}
