package io.jsteer.model.train;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.RopeStyle;
import io.jsteer.model.RopeTable;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.intervene.TapeHooks;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraTarget;
import io.jsteer.tensor.FloatTensor;
import io.jsteer.tensor.autograd.NoGrad;
import io.jsteer.tensor.autograd.RopeFrequencies;
import io.jsteer.tensor.autograd.RopeLayout;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;

/**
 * The Llama forward pass over a whole token sequence on an autograd {@link Tape}: the same
 * function as {@link io.jsteer.model.CpuEngine} (RoPE layout and Llama 3 scaling from the config,
 * grouped-query attention, tied or separate classifier), with every op recorded so that
 * gradients reach whatever trainable {@link Var}s the hooks (interventions) and the LoRA adapter
 * of the {@link ForwardOptions} bring in. The base
 * weights stay where they are (mapped file, any dtype) and are frozen: they get no gradient and
 * are never copied whole; an op is recorded only once something it depends on needs a gradient,
 * so a pass with nothing trainable records nothing.
 *
 * <p>Row t of the sequence is at position t (a pass always starts at position 0, like a prompt
 * prefilled into an empty KV cache). Sites are hooked as on the inference path:
 * {@code resid_pre → attn_heads → attn_out → mlp_out → resid_post} in every block.
 *
 * <p>A training pass ({@link ForwardOptions#dropoutSeed} set) applies the adapter's LoRA dropout;
 * {@link ForwardOptions#recompute} keeps only each block's input and output on the tape and
 * recomputes the block during backward (activation recomputation), with the same masks and hooks.
 *
 * <pre>{@code
 * TrainableLlama model = TrainableLlama.of(loaded);
 * Tape tape = new Tape(Precision.F32, parallel);
 * Var logits = model.logits(tape, tokens, ForwardOptions.NONE.withHooks(set.toTapeHooks(model.config())));
 * tape.backward(tape.crossEntropy(logits, targets));
 * }</pre>
 */
public final class TrainableLlama {

    private final LlamaConfig c;
    private final LlamaWeights w;
    private final RopeFrequencies rope;

    public TrainableLlama(LlamaConfig config, LlamaWeights weights) {
        this.c = config;
        this.w = weights;
        RopeLayout layout = config.ropeStyle() == RopeStyle.NEOX ? RopeLayout.NEOX : RopeLayout.NORMAL;
        this.rope = new RopeFrequencies(config.headSize(), layout, RopeTable.frequencies(config));
    }

    public static TrainableLlama of(LoadedModel model) {
        return new TrainableLlama(model.config(), model.weights());
    }

    public LlamaConfig config() { return c; }

    public LlamaWeights weights() { return w; }

    /** Next-token logits of the plain model at every position, {@code [T, vocab]}. */
    public Var logits(Tape tape, int[] tokens) {
        return logits(tape, tokens, ForwardOptions.NONE);
    }

    /**
     * Next-token logits at every position, {@code [T, vocab]}: row t predicts token t+1 from
     * tokens 0..t.
     */
    public Var logits(Tape tape, int[] tokens, ForwardOptions options) {
        checkTokens(tokens);
        TapeHooks hooks = options.hooks();
        if (hooks != null && hooks.layers() != c.nLayers()) {
            throw new IllegalArgumentException("tape hooks are for " + hooks.layers() + " blocks, the model has " + c.nLayers());
        }
        LoraAdapter lora = options.adapter();
        if (lora != null) {
            lora.validate(c);
        }
        int dim = c.dim();

        // x[T, dim] = embeddings of the tokens (a constant: the table is frozen)
        Var x = tape.embedding(w.tokenEmbedding(), dim, tokens);
        for (int l = 0; l < c.nLayers(); l++) {
            int layer = l;
            x = options.recompute() ? tape.checkpoint(x, (t, in) -> block(t, layer, in, options)) : block(tape, l, x, options);
        }
        // logits[T, vocab] = classifier · rmsnorm(x)
        Var out = tape.rmsNorm(x, tape.constant(w.outputNorm(), dim), c.rmsEps());
        return tape.linear(out, w.classifier(), c.vocabSize());
    }

    /** Block {@code l}: resid_pre {@code x[T, dim]} → resid_post {@code [T, dim]}, with the hooks and adapter of {@code options}. */
    private Var block(Tape tape, int l, Var x, ForwardOptions options) {
        TapeHooks hooks = options.hooks();
        int p = options.promptLength();
        int dim = c.dim(), kvDim = c.kvDim(), hid = c.hiddenDim();
        double eps = c.rmsEps();
        x = site(tape, hooks, SiteKind.RESID_PRE, l, x, p);

        // attention: q[T, dim], k[T, kvDim], v[T, kvDim] from the normed stream, RoPE on q and k
        Var h = tape.rmsNorm(x, tape.constant(w.attnNorm()[l], dim), eps);
        Var q = tape.rope(project(tape, options, l, LoraTarget.Q, h, w.wq()[l], dim), rope, 0);
        Var k = tape.rope(project(tape, options, l, LoraTarget.K, h, w.wk()[l], kvDim), rope, 0);
        Var v = project(tape, options, l, LoraTarget.V, h, w.wv()[l], kvDim);
        Var heads = tape.attention(q, k, v, c.nHeads(), c.nKvHeads(), c.headSize()); // [T, dim]
        heads = site(tape, hooks, SiteKind.ATTN_HEADS, l, heads, p);
        Var attnOut = site(tape, hooks, SiteKind.ATTN_OUT, l, project(tape, options, l, LoraTarget.O, heads, w.wo()[l], dim), p);
        x = tape.add(x, attnOut);

        // feed-forward: w2 · (silu(w1·h) ⊙ (w3·h)), gate and up [T, hid]
        h = tape.rmsNorm(x, tape.constant(w.ffnNorm()[l], dim), eps);
        Var gate = project(tape, options, l, LoraTarget.GATE, h, w.w1()[l], hid);
        Var up = project(tape, options, l, LoraTarget.UP, h, w.w3()[l], hid);
        Var down = project(tape, options, l, LoraTarget.DOWN, tape.swiglu(gate, up), w.w2()[l], dim);
        Var mlpOut = site(tape, hooks, SiteKind.MLP_OUT, l, down, p);
        x = tape.add(x, mlpOut);

        return site(tape, hooks, SiteKind.RESID_POST, l, x, p);
    }

    /** {@link #logits} inside a no-grad scope: an evaluation that records nothing. */
    public Var logitsNoGrad(Tape tape, int[] tokens, ForwardOptions options) {
        try (NoGrad _ = tape.noGrad()) {
            return logits(tape, tokens, options);
        }
    }

    /**
     * {@code x Wᵀ} with the frozen weight, plus the adapter's side path when it adapts this block and
     * projection (its input dropped out in a training pass).
     */
    private static Var project(Tape tape, ForwardOptions options, int layer, LoraTarget target, Var x, FloatTensor weight,
                               int out) {
        Var y = tape.linear(x, weight, out);
        LoraAdapter lora = options.adapter();
        return lora == null ? y : lora.apply(tape, layer, target, x, y, options.dropoutSeed());
    }

    private static Var site(Tape tape, TapeHooks hooks, SiteKind kind, int layer, Var x, int promptLength) {
        return hooks == null ? x : hooks.run(tape, kind, layer, x, promptLength);
    }

    private void checkTokens(int[] tokens) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("a trainable forward pass needs at least one token");
        }
        if (tokens.length > c.contextLength()) {
            throw new IllegalArgumentException("sequence of " + tokens.length + " tokens is longer than the model's context of "
                    + c.contextLength());
        }
        for (int t = 0; t < tokens.length; t++) {
            if (tokens[t] < 0 || tokens[t] >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + tokens[t] + " at index " + t
                        + " is outside the vocabulary of " + c.vocabSize());
            }
        }
    }
}
