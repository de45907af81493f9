package io.jsteer.model;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * The generation loop: prefill the prompt in batches, then sample one token at a time until
 * {@code maxTokens} new tokens, the end of the context, or a stop token.
 */
public final class Generator {

    /** Receives each generated token as soon as it is sampled (e.g. to print it). */
    @FunctionalInterface
    public interface TokenListener {
        void onToken(int previous, int token);
    }

    /** Like {@link TokenListener}, but may end generation: return false to stop after this token. */
    @FunctionalInterface
    public interface TokenSink {
        boolean accept(int previous, int token);
    }

    private final InferenceEngine engine;

    public Generator(InferenceEngine engine) {
        this.engine = engine;
    }

    /**
     * @param prompt    prompt token ids (usually starting with BOS); at least one
     * @param maxTokens new tokens at most
     * @param stop      tokens that end generation (not emitted), e.g. BOS and EOS
     */
    public GenerationResult generate(int[] prompt, int maxTokens, Sampler sampler, IntPredicate stop,
                                     TokenListener listener) {
        return generateUntil(prompt, maxTokens, sampler, stop, (p, t) -> {
            listener.onToken(p, t);
            return true;
        });
    }

    /**
     * As {@link #generate}, but {@code sink} sees each token and can end generation (a stop string,
     * a client that went away); the token it last accepted is part of the result.
     */
    public GenerationResult generateUntil(int[] prompt, int maxTokens, Sampler sampler, IntPredicate stop,
                                          TokenSink sink) {
        return generateUntil(prompt, 0, maxTokens, sampler, stop, sink);
    }

    /**
     * As {@link #generateUntil(int[], int, Sampler, IntPredicate, TokenSink)}, but the engine's KV
     * cache already holds the first {@code cached} prompt tokens at positions 0..cached−1 (from an
     * earlier call on the same engine with the same interventions, e.g. the previous turn of a
     * chat): only the rest of the prompt is prefilled. {@code cached} must leave at least one
     * prompt token to prefill. Tokens a result {@code r} left in the cache: {@link #cachedAfter}.
     */
    public GenerationResult generateUntil(int[] prompt, int cached, int maxTokens, Sampler sampler, IntPredicate stop,
                                          TokenSink sink) {
        if (cached < 0 || cached >= Math.max(1, prompt.length)) {
            throw new IllegalArgumentException("cached prefix of " + cached + " tokens must be shorter than the prompt ("
                    + prompt.length + " tokens)");
        }
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt must hold at least one token (e.g. BOS)");
        }
        if (maxTokens < 0) {
            throw new IllegalArgumentException("--max-tokens must be 0 or more, got " + maxTokens);
        }
        if (prompt.length > engine.capacity()) {
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens but the context holds "
                    + engine.capacity());
        }
        int vocab = engine.config().vocabSize();
        int[] tokens = Arrays.copyOf(prompt, Math.min(engine.capacity() + 1, prompt.length + maxTokens));
        long t0 = System.nanoTime();
        float[] logits = engine.prefill(Arrays.copyOfRange(prompt, cached, prompt.length), cached);
        long t1 = System.nanoTime();
        int n = prompt.length;
        int pos = prompt.length; // position of the next token to feed
        while (n < tokens.length) {
            requireFinite(logits, vocab, n);
            int next = sampler.sample(logits, vocab);
            if (stop.test(next)) {
                break;
            }
            boolean more = sink.accept(tokens[n - 1], next);
            tokens[n++] = next;
            if (!more || n == tokens.length || pos >= engine.capacity()) {
                break;
            }
            logits = engine.forward(next, pos++, false);
        }
        long t2 = System.nanoTime();
        return new GenerationResult(Arrays.copyOf(tokens, n), prompt.length, t1 - t0, t2 - t1);
    }

    /**
     * Stops generation when a logit is NaN or infinite (one pass over vocab floats per token, small
     * next to the forward pass that made them): sampling would otherwise pick garbage tokens and
     * report success.
     */
    static void requireFinite(float[] logits, int vocab, int position) {
        for (int i = 0; i < vocab; i++) {
            if (!Float.isFinite(logits[i])) {
                throw new NonFiniteLogitsException(position, i, logits[i]);
            }
        }
    }

    /**
     * The tokens whose keys and values {@code r}'s generation left in the engine's cache, at
     * positions 0..: every token but the last one (the last sampled token is never fed back).
     */
    public static int[] cachedAfter(GenerationResult r) {
        return Arrays.copyOf(r.tokens(), r.tokens().length - 1);
    }

    /**
     * How many leading tokens of {@code prompt} can be reused from a cache holding {@code cached}:
     * their common prefix, leaving at least one prompt token to prefill.
     */
    public static int reusablePrefix(int[] cached, int[] prompt) {
        int n = 0;
        while (n < cached.length && n < prompt.length && cached[n] == prompt[n]) {
            n++;
        }
        return Math.max(0, Math.min(n, prompt.length - 1));
    }
}
