package io.jsteer.model.train;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.RopeStyle;
import io.jsteer.model.BlockOps;
import io.jsteer.model.LlamaBlock;
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
        this.rope = new RopeFrequencies(config.headSize(), layout, RopeTable.frequencies(config, weights.ropeFactors()));
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
        Var x = residuals(tape, tokens, options, c.nLayers());
        // logits[T, vocab] = classifier · rmsnorm(x)
        Var out = tape.rmsNorm(x, tape.constant(w.outputNorm(), c.dim()), c.rmsEps());
        return tape.linear(out, w.classifier(), c.vocabSize());
    }

    /**
     * resid_post of block {@code blocks − 1}, {@code [T, dim]}: the forward pass stopped after its first
     * {@code blocks} blocks, without the final norm and the classifier (for readers of the residual
     * stream, to whom the classifier would be the largest matmul of a wide-vocabulary model).
     */
    public Var residuals(Tape tape, int[] tokens, ForwardOptions options, int blocks) {
        if (blocks < 1 || blocks > c.nLayers()) {
            throw new IllegalArgumentException("blocks to run must be in 1.." + c.nLayers() + ", got " + blocks);
        }
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
        for (int l = 0; l < blocks; l++) {
            int layer = l;
            x = options.recompute() ? tape.checkpoint(x, (t, in) -> block(t, layer, in, options)) : block(tape, l, x, options);
        }
        return x;
    }

    /** Block {@code l}: resid_pre {@code x[T, dim]} → resid_post {@code [T, dim]}, with the hooks and adapter of {@code options}. */
    private Var block(Tape tape, int l, Var x, ForwardOptions options) {
        return LlamaBlock.forward(c, w, l, x, new TapeOps(tape, options));
    }

    /** The block's steps as taped ops over {@code [T, width]} Vars; row t is at position t. */
    private final class TapeOps implements BlockOps<Var> {
        private final Tape tape;
        private final ForwardOptions options;

        TapeOps(Tape tape, ForwardOptions options) {
            this.tape = tape;
            this.options = options;
        }

        @Override
        public Var site(SiteKind kind, int layer, Var x) {
            TapeHooks hooks = options.hooks();
            return hooks == null ? x : hooks.run(tape, kind, layer, x, options.promptLength());
        }

        @Override
        public Var rmsNorm(Var x, float[] weight) {
            return tape.rmsNorm(x, tape.constant(weight, weight.length), c.rmsEps());
        }

        /**
         * {@code x Wᵀ} with the frozen weight, its bias, plus the adapter's side path when it adapts
         * this block and projection (its input dropped out in a training pass).
         */
        @Override
        public Var project(int layer, LoraTarget target, Var x) {
            Var y = tape.linear(x, w.projection(layer, target), target.outFeatures(c));
            float[] bias = w.bias(layer, target);
            if (bias != null) {
                y = tape.add(y, tape.constant(bias, bias.length));
            }
            LoraAdapter lora = options.adapter();
            return lora == null ? y : lora.apply(tape, layer, target, x, y, options.dropoutSeed());
        }

        @Override
        public Var headNorm(Var x, float[] weight, int heads) {
            int rows = x.rows(), hs = c.headSize();
            Var perHead = tape.reshape(x, rows * heads, hs); // [T*heads, hs]
            return tape.reshape(tape.rmsNorm(perHead, tape.constant(weight, hs), c.rmsEps()), rows, heads * hs);
        }

        @Override
        public Var rope(Var x, int heads) {
            return tape.rope(x, rope, 0);
        }

        @Override
        public Var attention(int layer, Var q, Var k, Var v) {
            return tape.attention(q, k, v, c.nHeads(), c.nKvHeads(), c.headSize(), c.slidingWindow()); // [T, qDim]
        }

        @Override
        public Var swiglu(Var gate, Var up) {
            return tape.swiglu(gate, up);
        }

        @Override
        public Var add(Var x, Var y) {
            return tape.add(x, y);
        }
    }

    /** {@link #logits} inside a no-grad scope: an evaluation that records nothing. */
    public Var logitsNoGrad(Tape tape, int[] tokens, ForwardOptions options) {
        try (NoGrad _ = tape.noGrad()) {
            return logits(tape, tokens, options);
        }
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
