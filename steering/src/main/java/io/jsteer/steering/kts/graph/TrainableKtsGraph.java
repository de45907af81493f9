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
    public Var logits(Tape tape, int[] tokens, BlockSteering steering, boolean withAdapter) {
        return model.logits(tape, tokens, options(steering, withAdapter));
    }

    @Override
    public Var trainingLogits(Tape tape, int[] tokens, BlockSteering steering, long dropoutSeed, boolean recompute) {
        return model.logits(tape, tokens, options(steering, true).withDropoutSeed(dropoutSeed).withRecompute(recompute));
    }

    @Override
    public Var[] residuals(Tape tape, int[] tokens, boolean withAdapter, int blocks) {
        LlamaConfig c = model.config();
        TapeHooks capture = new TapeHooks(c.nLayers());
        Var[] out = new Var[blocks];
        for (int l = 0; l < blocks; l++) {
            int layer = l;
            capture.add(new Site(SiteKind.RESID_POST, l), (t, site, x, promptLength) -> out[layer] = x);
        }
        model.residuals(tape, tokens, ForwardOptions.NONE.withHooks(capture).withAdapter(withAdapter ? adapter : null), blocks);
        return out;
    }

    /** The steering compiled by its own interventions ({@link BlockSteering#interventions}), and the adapter when asked. */
    private ForwardOptions options(BlockSteering steering, boolean withAdapter) {
        TapeHooks hooks = steering == null ? null : steering.interventions().toTapeHooks(model.config());
        return ForwardOptions.NONE.withHooks(hooks).withAdapter(withAdapter ? adapter : null);
    }
}
