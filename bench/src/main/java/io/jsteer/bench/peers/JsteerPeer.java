package io.jsteer.bench.peers;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.tensor.Parallel;
import io.jsteer.weights.ModelFiles;
import io.jsteer.weights.ModelWeights;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** jsteer's CPU engine behind the {@link Peer} interface, optionally with one additive steering vector. */
public final class JsteerPeer implements Peer {

    private final ModelWeights file;
    private final Parallel parallel;
    private final CpuEngine engine;
    private final long bytesPerToken;
    private final String name;
    private final InterventionSet steering;
    private boolean steered;

    /**
     * @param steerLayer {@code >= 0}: prepare a random unit-norm vector (strength 4) at {@code resid_post[steerLayer]}
     *                   on every token, as a CAA vector would, switched on by {@link #steer}; {@code < 0}: none
     */
    public JsteerPeer(Path model, int threads, int context, int steerLayer) {
        file = ModelFiles.open(model);
        try {
            LlamaConfig c = LlamaConfig.fromMetadata(file.metadata());
            LlamaWeights w = LlamaWeights.load(c, ModelLoader.lookup(file));
            parallel = new Parallel(threads);
            engine = new CpuEngine(c, w, Math.min(context, c.contextLength()), parallel);
            bytesPerToken = io.jsteer.bench.WeightTraffic.bytesPerToken(c, w);
            if (steerLayer >= 0) {
                Site site = new Site(SiteKind.RESID_POST, steerLayer);
                InterventionSet set = InterventionSet.of(AddVector.of(site, io.jsteer.bench.SteeringSetup.unit(new SplittableRandom(7), c.dim()), 4.0, Positions.ALL));
                set.check(c); // checked (and its float product) now, not at the first timed token
                steering = set;
            } else {
                steering = null;
            }
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
        name = "jsteer";
    }

    /** Turns the steering vector on or off. */
    public void steer(boolean on) {
        if (on && steering == null) {
            throw new IllegalStateException("this engine was built without a steering vector");
        }
        if (on != steered) {
            steered = on;
            engine.setInterventions(on ? steering : null);
        }
    }

    /**
     * This engine with the steering vector on or off: two {@link Peer}s over one engine and one set of
     * weights, so that the two can be timed turn by turn. Closing a view does nothing.
     */
    public Peer view(boolean steered) {
        if (steered && steering == null) {
            throw new IllegalStateException("this engine was built without a steering vector");
        }
        JsteerPeer engine = this;
        return new Peer() {
            @Override public String name() { return steered ? "jsteer+steer" : "jsteer"; }
            @Override public String weights() { return engine.weights(); }
            @Override public int prefill(int[] prompt) { engine.steer(steered); return engine.prefill(prompt); }
            @Override public int decode(int token, int pos) { engine.steer(steered); return engine.decode(token, pos); }
            @Override public float[] lastLogits() { return engine.lastLogits(); }
            @Override public void close() {}
        };
    }

    /** Weight bytes one decoded token reads ({@link io.jsteer.bench.WeightTraffic}). */
    public long bytesPerToken() {
        return bytesPerToken;
    }

    public LlamaConfig config() {
        return engine.config();
    }

    @Override
    public String name() { return steered ? name + "+steer" : name; }

    @Override
    public String weights() {
        return file.tensors().values().stream().filter(t -> t.rank() == 2).map(t -> t.dtype().label()).distinct().sorted()
                .collect(java.util.stream.Collectors.joining("+"));
    }

    private float[] last;

    @Override
    public int prefill(int[] prompt) {
        last = engine.prefill(prompt, 0);
        return argmax(last);
    }

    @Override
    public int decode(int token, int pos) {
        last = engine.forward(token, pos, false);
        return argmax(last);
    }

    @Override
    public float[] lastLogits() {
        return last.clone();
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    @Override
    public void close() {
        engine.close();
        parallel.close();
        file.close();
    }
}
