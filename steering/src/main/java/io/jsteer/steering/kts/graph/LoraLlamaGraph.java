package io.jsteer.steering.kts.graph;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.model.RopeStyle;
import io.jsteer.model.RopeTable;
import io.jsteer.steering.kts.BlockSteering;
import io.jsteer.tensor.autograd.RopeFrequencies;
import io.jsteer.tensor.autograd.RopeLayout;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.List;

/**
 * The Llama forward on an autograd tape with a LoRA adapter on the projections and KTS steering
 * at resid_post: the same function as {@code CpuEngine} (checked in tests), frozen base weights
 * read from the mapped file. Interim until the train branch's {@code TrainableLlama} + LoRA lands;
 * it is reached only through {@link KtsGraph}.
 */
public final class LoraLlamaGraph implements KtsGraph {

    private final LlamaConfig c;
    private final LlamaWeights w;
    private final LoraAdapter adapter;
    private final RopeFrequencies rope;

    public LoraLlamaGraph(LlamaConfig config, LlamaWeights weights, LoraAdapter adapter) {
        if (!adapter.config().equals(config)) {
            throw new IllegalArgumentException("the adapter was made for another model shape");
        }
        this.c = config;
        this.w = weights;
        this.adapter = adapter;
        RopeLayout layout = config.ropeStyle() == RopeStyle.NEOX ? RopeLayout.NEOX : RopeLayout.NORMAL;
        this.rope = new RopeFrequencies(config.headSize(), layout, RopeTable.frequencies(config));
    }

    @Override
    public LlamaConfig config() { return c; }

    public LoraAdapter adapter() { return adapter; }

    public LlamaWeights weights() { return w; }

    @Override
    public List<Var> parameters() { return adapter.parameters(); }

    @Override
    public Var logits(Tape tape, int[] tokens, BlockSteering steering, boolean withAdapter, Var[] capture) {
        if (tokens.length == 0 || tokens.length > c.contextLength()) {
            throw new IllegalArgumentException("a forward pass needs 1.." + c.contextLength() + " tokens, got " + tokens.length);
        }
        int dim = c.dim(), kvDim = c.kvDim(), hid = c.hiddenDim();
        double eps = c.rmsEps();
        boolean steer = steering != null && steering.active();
        Var x = tape.embedding(w.tokenEmbedding(), dim, tokens); // [T, dim]
        for (int l = 0; l < c.nLayers(); l++) {
            Var h = tape.rmsNorm(x, tape.constant(w.attnNorm()[l], dim), eps);
            Var q = tape.rope(proj(tape, h, w.wq()[l], dim, l, LoraProjection.Q, withAdapter), rope, 0);
            Var k = tape.rope(proj(tape, h, w.wk()[l], kvDim, l, LoraProjection.K, withAdapter), rope, 0);
            Var v = proj(tape, h, w.wv()[l], kvDim, l, LoraProjection.V, withAdapter);
            Var heads = tape.attention(q, k, v, c.nHeads(), c.nKvHeads(), c.headSize()); // [T, dim]
            x = tape.add(x, proj(tape, heads, w.wo()[l], dim, l, LoraProjection.O, withAdapter));

            h = tape.rmsNorm(x, tape.constant(w.ffnNorm()[l], dim), eps);
            Var gate = proj(tape, h, w.w1()[l], hid, l, LoraProjection.GATE, withAdapter);
            Var up = proj(tape, h, w.w3()[l], hid, l, LoraProjection.UP, withAdapter);
            x = tape.add(x, proj(tape, tape.swiglu(gate, up), w.w2()[l], dim, l, LoraProjection.DOWN, withAdapter));

            float[] add = steer ? steering.scaledVector(l) : null;
            if (add != null) {
                x = tape.add(x, tape.constant(add, dim)); // the row is broadcast to every position
            }
            if (capture != null) {
                capture[l] = x;
            }
        }
        Var out = tape.rmsNorm(x, tape.constant(w.outputNorm(), dim), eps);
        return tape.linear(out, w.classifier(), c.vocabSize()); // [T, vocab]
    }

    private Var proj(Tape tape, Var x, io.jsteer.tensor.FloatTensor weight, int out, int layer, LoraProjection p,
                     boolean withAdapter) {
        Var base = tape.linear(x, weight, out);
        return withAdapter ? adapter.apply(tape, x, base, layer, p) : base;
    }
}
