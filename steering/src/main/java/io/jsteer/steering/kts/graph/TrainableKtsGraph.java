package io.jsteer.steering.kts.graph;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.intervene.TapeHooks;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.train.ForwardOptions;
import io.jsteer.model.train.TrainableLlama;
import io.jsteer.steering.kts.BlockSteering;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.List;

/**
 * {@link KtsGraph} over the model module's {@link TrainableLlama} with a {@link LoraAdapter}:
 * steering and capture are tape hooks at resid_post, the adapter is switched on per call (off
 * gives the original model p₀).
 */
public final class TrainableKtsGraph implements KtsGraph {

    private final TrainableLlama model;
    private final LoraAdapter adapter;

    public TrainableKtsGraph(LlamaConfig config, LlamaWeights weights, LoraAdapter adapter) {
        adapter.validate(config);
        this.model = new TrainableLlama(config, weights);
        this.adapter = adapter;
    }

    @Override
    public LlamaConfig config() { return model.config(); }

    public LlamaWeights weights() { return model.weights(); }

    @Override
    public LoraAdapter adapter() { return adapter; }

    @Override
    public List<Var> parameters() { return adapter.parameters(); }

    @Override
    public Var logits(Tape tape, int[] tokens, BlockSteering steering, boolean withAdapter, Var[] capture) {
        return model.logits(tape, tokens, options(steering, withAdapter, capture));
    }

    @Override
    public Var trainingLogits(Tape tape, int[] tokens, BlockSteering steering, long dropoutSeed, boolean recompute) {
        return model.logits(tape, tokens, options(steering, true, null).withDropoutSeed(dropoutSeed).withRecompute(recompute));
    }

    private ForwardOptions options(BlockSteering steering, boolean withAdapter, Var[] capture) {
        LlamaConfig c = model.config();
        TapeHooks hooks = new TapeHooks(c.nLayers());
        boolean steer = steering != null && steering.active();
        for (int l = 0; l < c.nLayers(); l++) {
            float[] add = steer ? steering.scaledVector(l) : null;
            if (add == null && capture == null) {
                continue;
            }
            int layer = l;
            hooks.add(new Site(SiteKind.RESID_POST, l), (t, site, x, promptLength) -> {
                Var out = add == null ? x : t.add(x, t.constant(add, add.length)); // the row is broadcast to every position
                if (capture != null) {
                    capture[layer] = out;
                }
                return out;
            });
        }
        return ForwardOptions.NONE.withHooks(hooks).withAdapter(withAdapter ? adapter : null);
    }
}
