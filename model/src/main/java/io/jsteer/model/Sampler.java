package io.jsteer.model;

import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits, in these steps (each one off at its default):
 * <ol>
 *   <li>logit bias: {@code logits[id] += bias[id]} for the ids given;</li>
 *   <li>penalties over the last {@code penaltyWindow} tokens (prompt and generated): repetition
 *       (a positive logit divided by it, a negative one multiplied, as llama.cpp does), presence
 *       (subtracted once from every token seen) and frequency (subtracted once per occurrence);</li>
 *   <li>greedy at temperature 0 (argmax of the adjusted logits), otherwise softmax(logits / T);</li>
 *   <li>top-k: only the k most probable tokens stay;</li>
 *   <li>min-p: tokens below {@code minP × p(most probable)} go;</li>
 *   <li>top-p: the smallest head whose probability reaches {@code topP} stays;</li>
 *   <li>a seeded draw from what is left, renormalised.</li>
 * </ol>
 * When asked ({@code topLogprobs ≥ 0}) it also reports each chosen token's log-probability and the
 * most probable alternatives under the model's own distribution (log-softmax of the raw logits,
 * before bias, penalties, temperature and truncation): what OpenAI's {@code logprobs} reports.
 * Not thread-safe: one sampler per sequence (it keeps that sequence's recent tokens).
 */
public final class Sampler {

    /**
     * What a sampler does; {@link #DEFAULT} changes nothing beyond temperature 1.
     *
     * @param topK              keep the k most probable tokens; 0 = off
     * @param minP              drop tokens below minP × the top probability; 0 = off
     * @param repeatPenalty     ≥ 1 discourages repeats, 1 = off
     * @param presencePenalty   subtracted from the logit of every token in the window, 0 = off
     * @param frequencyPenalty  subtracted from a token's logit once per occurrence in the window, 0 = off
     * @param penaltyWindow     how many recent tokens the penalties look at; −1 = all of them
     * @param logitBias         token id → added to its logit (−100 all but bans it); empty = none
     * @param topLogprobs       −1 = no log-probabilities; k ≥ 0 = the chosen token's and k alternatives
     */
    public record Params(float temperature, float topP, int topK, float minP, float repeatPenalty, float presencePenalty,
                         float frequencyPenalty, int penaltyWindow, Map<Integer, Float> logitBias, int topLogprobs) {

        public static final Params DEFAULT = new Params(1f, 1f, 0, 0f, 1f, 0f, 0f, 64, Map.of(), -1);

        public Params {
            if (!(temperature >= 0) || Float.isInfinite(temperature)) {
                throw new IllegalArgumentException("--temperature must be 0 or more, got " + temperature);
            }
            if (!(topP > 0 && topP <= 1)) {
                throw new IllegalArgumentException("--top-p must be in (0, 1], got " + topP);
            }
            if (topK < 0) {
                throw new IllegalArgumentException("top_k must be 0 (off) or more, got " + topK);
            }
            if (!(minP >= 0 && minP <= 1)) {
                throw new IllegalArgumentException("min_p must be in [0, 1], got " + minP);
            }
            if (!(repeatPenalty > 0) || Float.isInfinite(repeatPenalty)) {
                throw new IllegalArgumentException("repeat_penalty must be a positive number, got " + repeatPenalty);
            }
            if (!Float.isFinite(presencePenalty) || !Float.isFinite(frequencyPenalty)) {
                throw new IllegalArgumentException("presence and frequency penalties must be finite");
            }
            if (penaltyWindow < -1) {
                throw new IllegalArgumentException("the penalty window must be -1 (all tokens), 0 (off) or more, got " + penaltyWindow);
            }
            logitBias = Map.copyOf(logitBias);
            for (Map.Entry<Integer, Float> e : logitBias.entrySet()) {
                if (e.getKey() < 0 || !Float.isFinite(e.getValue())) {
                    throw new IllegalArgumentException("logit bias " + e.getKey() + " -> " + e.getValue()
                            + ": ids must be 0 or more and biases finite");
                }
            }
            if (topLogprobs < -1) {
                throw new IllegalArgumentException("topLogprobs must be -1 (off) or more, got " + topLogprobs);
            }
        }

        public Params withTemperature(float t) {
            return new Params(t, topP, topK, minP, repeatPenalty, presencePenalty, frequencyPenalty, penaltyWindow, logitBias, topLogprobs);
        }

        public Params withTopP(float p) {
            return new Params(temperature, p, topK, minP, repeatPenalty, presencePenalty, frequencyPenalty, penaltyWindow, logitBias, topLogprobs);
        }

        public Params withTopK(int k) {
            return new Params(temperature, topP, k, minP, repeatPenalty, presencePenalty, frequencyPenalty, penaltyWindow, logitBias, topLogprobs);
        }

        public Params withMinP(float p) {
            return new Params(temperature, topP, topK, p, repeatPenalty, presencePenalty, frequencyPenalty, penaltyWindow, logitBias, topLogprobs);
        }

        public Params withPenalties(float repeat, float presence, float frequency, int window) {
            return new Params(temperature, topP, topK, minP, repeat, presence, frequency, window, logitBias, topLogprobs);
        }

        public Params withLogitBias(Map<Integer, Float> bias) {
            return new Params(temperature, topP, topK, minP, repeatPenalty, presencePenalty, frequencyPenalty, penaltyWindow, bias, topLogprobs);
        }

        public Params withTopLogprobs(int k) {
            return new Params(temperature, topP, topK, minP, repeatPenalty, presencePenalty, frequencyPenalty, penaltyWindow, logitBias, k);
        }

        boolean penalises() {
            return penaltyWindow != 0 && (repeatPenalty != 1f || presencePenalty != 0f || frequencyPenalty != 0f);
        }
    }

    /**
     * One sampled token's log-probability and the {@code topIds.length} most probable tokens'
     * (descending), under the model's distribution.
     */
    public record TokenLogprob(int token, float logprob, int[] topIds, float[] topLogprobs) {}

    private final Params params;
    private final SplittableRandom random;
    /** The adjusted logits of the current step, then their probabilities; {@code [vocab]}. */
    private float[] work = new float[0];
    /** Candidates as (probability bits << 32 | id), sortable as longs because probabilities are ≥ 0. */
    private long[] ranked = new long[0];
    /** The recent tokens the penalties look at, oldest first; {@code historyLength} of them are valid. */
    private int[] history = new int[16];
    private int historyLength;
    /** Occurrences of each token in the window (built per step; {@code [vocab]}). */
    private int[] counts = new int[0];
    private TokenLogprob lastLogprob;

    public Sampler(float temperature, float topP, long seed) {
        this(Params.DEFAULT.withTemperature(temperature).withTopP(topP), seed);
    }

    public Sampler(Params params, long seed) {
        this.params = params;
        this.random = new SplittableRandom(seed);
    }

    public static Sampler greedy() {
        return new Sampler(0f, 1f, 0L);
    }

    public boolean isGreedy() { return params.temperature() == 0f; }

    public Params params() { return params; }

    /** Tells the penalties about tokens already in the sequence (the prompt) before the first sample. */
    public void prime(int[] tokens) {
        for (int t : tokens) {
            remember(t);
        }
    }

    /** The last sampled token's log-probabilities; null unless {@code topLogprobs ≥ 0}. */
    public TokenLogprob lastLogprob() { return lastLogprob; }

    public int sample(float[] logits, int n) {
        int token = choose(logits, n);
        if (params.topLogprobs() >= 0) {
            lastLogprob = logprobs(logits, n, token, params.topLogprobs());
        }
        remember(token);
        return token;
    }

    private int choose(float[] logits, int n) {
        boolean adjusted = !params.logitBias().isEmpty() || params.penalises();
        if (params.temperature() == 0f && !adjusted) {
            return argmax(logits, n); // the common greedy case copies nothing
        }
        if (work.length < n) {
            work = new float[n];
            ranked = new long[n];
        }
        float[] x = work;
        System.arraycopy(logits, 0, x, 0, n);
        applyBias(x, n);
        applyPenalties(x, n);
        if (params.temperature() == 0f) {
            return argmax(x, n);
        }
        softmax(x, n, params.temperature()); // x: probabilities now (unnormalised is fine below, but these sum to 1)
        return draw(x, n);
    }

    /** Step 1: {@code x[id] += bias}; ids beyond the vocabulary do not exist here and are skipped. */
    private void applyBias(float[] x, int n) {
        for (Map.Entry<Integer, Float> e : params.logitBias().entrySet()) {
            if (e.getKey() < n) {
                x[e.getKey()] += e.getValue();
            }
        }
    }

    /** Step 2: repetition, presence and frequency penalties over the window of recent tokens. */
    private void applyPenalties(float[] x, int n) {
        if (!params.penalises()) {
            return;
        }
        int window = params.penaltyWindow() < 0 ? historyLength : Math.min(params.penaltyWindow(), historyLength);
        if (counts.length < n) {
            counts = new int[n];
        }
        int from = historyLength - window;
        for (int i = from; i < historyLength; i++) {
            if (history[i] >= 0 && history[i] < n) {
                counts[history[i]]++;
            }
        }
        for (int i = from; i < historyLength; i++) {
            int t = history[i];
            if (t < 0 || t >= n || counts[t] == 0) {
                continue; // out of range, or already penalised
            }
            float v = x[t];
            v = v > 0 ? v / params.repeatPenalty() : v * params.repeatPenalty();
            x[t] = v - params.presencePenalty() - params.frequencyPenalty() * counts[t];
            counts[t] = 0; // doubles as "done" and leaves the array zeroed for the next step
        }
    }

    /** Step 3: {@code x ← softmax(x / T)} in place. */
    private static void softmax(float[] x, int n, float temperature) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[i]);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            x[i] = (float) Math.exp((x[i] - max) / temperature);
            sum += x[i];
        }
        float inv = (float) (1 / sum);
        for (int i = 0; i < n; i++) {
            x[i] *= inv;
        }
    }

    /** Steps 4-7 on probabilities {@code p}: top-k, min-p and top-p truncation, then the draw. */
    private int draw(float[] p, int n) {
        boolean truncates = params.topK() > 0 || params.minP() > 0 || params.topP() < 1f;
        double r = random.nextDouble();
        if (!truncates) {
            double cdf = 0;
            for (int i = 0; i < n; i++) {
                cdf += p[i];
                if (cdf > r) {
                    return i;
                }
            }
            return argmax(p, n); // rounding left r above the total: the most probable token
        }
        float top = 0;
        for (int i = 0; i < n; i++) {
            top = Math.max(top, p[i]);
        }
        // Tokens below this floor can never survive, so they are dropped before the sort: min-p's own cut, and
        // when top-p is the only truncation, (1 − topP) / (n − 1), the least a token inside the nucleus can hold.
        float floor = params.minP() * top;
        if (params.topK() == 0 && params.minP() == 0 && params.topP() < 1f) {
            floor = Math.min(top, (1 - params.topP()) / Math.max(1, n - 1)); // the top token always stays
        }
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (p[i] >= floor && p[i] > 0) {
                ranked[m++] = ((long) Float.floatToIntBits(p[i]) << 32) | i;
            }
        }
        Arrays.sort(ranked, 0, m); // ascending: the most probable token is ranked[m − 1]
        int kept = params.topK() > 0 ? Math.min(params.topK(), m) : m;
        double keptMass = 0;
        for (int i = 0; i < kept; i++) {
            keptMass += prob(ranked[m - 1 - i]);
        }
        // top-p over what top-k and min-p left (renormalised, as each step acts on the previous one's result)
        int head = kept;
        if (params.topP() < 1f) {
            double mass = 0;
            for (int i = 0; i < kept; i++) {
                mass += prob(ranked[m - 1 - i]);
                if (mass >= params.topP() * keptMass) {
                    head = i + 1;
                    break;
                }
            }
        }
        double headMass = 0;
        for (int i = 0; i < head; i++) {
            headMass += prob(ranked[m - 1 - i]);
        }
        double target = r * headMass, cdf = 0;
        for (int i = 0; i < head; i++) {
            cdf += prob(ranked[m - 1 - i]);
            if (cdf > target) {
                return (int) ranked[m - 1 - i];
            }
        }
        return (int) ranked[m - head];
    }

    private static float prob(long rankedEntry) {
        return Float.intBitsToFloat((int) (rankedEntry >>> 32));
    }

    private void remember(int token) {
        if (!params.penalises()) {
            return;
        }
        int keep = params.penaltyWindow() < 0 ? Integer.MAX_VALUE : params.penaltyWindow();
        if (historyLength == history.length) {
            if (historyLength > keep) { // drop what the window no longer sees
                System.arraycopy(history, historyLength - keep, history, 0, keep);
                historyLength = keep;
            } else {
                history = Arrays.copyOf(history, history.length * 2);
            }
        }
        history[historyLength++] = token;
    }

    /** The model's log-softmax at {@code token} and its k most probable tokens. */
    static TokenLogprob logprobs(float[] logits, int n, int token, int k) {
        float logZ = (float) LogProbs.logNormaliser(logits, n);
        k = Math.min(k, n);
        int[] ids = new int[k];
        float[] lp = new float[k];
        int filled = 0;
        for (int i = 0; i < n; i++) { // insertion into a short descending list: k is at most 20
            if (filled == k && (k == 0 || logits[i] <= logits[ids[k - 1]])) {
                continue;
            }
            int at = Math.min(filled, k - 1);
            while (at > 0 && logits[ids[at - 1]] < logits[i]) {
                ids[at] = ids[at - 1];
                at--;
            }
            ids[at] = i;
            filled = Math.min(filled + 1, k);
        }
        for (int i = 0; i < k; i++) {
            lp[i] = logits[ids[i]] - logZ;
        }
        return new TokenLogprob(token, logits[token] - logZ, ids, lp);
    }

    public static int argmax(float[] logits, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
