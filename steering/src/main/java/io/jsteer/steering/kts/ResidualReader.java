package io.jsteer.steering.kts;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.kts.graph.KtsGraph;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.NoGrad;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;

/** Reads resid_post of every block at the last token of a sequence, {@code [nLayers][dim]}. */
@FunctionalInterface
public interface ResidualReader {

    float[][] lastToken(int[] tokens);

    /** From the tape forward (adapter on or off), under no-grad: the current trainable model. */
    static ResidualReader of(KtsGraph graph, boolean withAdapter) {
        return of(graph, withAdapter, null);
    }

    /** As {@link #of(KtsGraph, boolean)} with the tape's large ops split over {@code parallel} (null: serial). */
    static ResidualReader of(KtsGraph graph, boolean withAdapter, Parallel parallel) {
        return tokens -> {
            int layers = graph.config().nLayers(), dim = graph.config().dim();
            Tape tape = new Tape(Precision.F32, parallel);
            Var[] capture;
            try (NoGrad _ = tape.noGrad()) {
                capture = graph.residuals(tape, tokens, withAdapter, layers);
            }
            float[][] out = new float[layers][dim];
            int last = (tokens.length - 1) * dim;
            for (int l = 0; l < layers; l++) {
                for (int i = 0; i < dim; i++) {
                    out[l][i] = (float) capture[l].get(last + i);
                }
            }
            return out;
        };
    }

    /**
     * From an inference engine through capture hooks (any engine; for an adapted model, one that
     * applies the adapter, e.g. a CpuEngine with {@code setAdapter}). The
     * engine's hooks are replaced while reading and removed afterwards.
     */
    static ResidualReader of(InferenceEngine engine) {
        return tokens -> {
            int layers = engine.config().nLayers(), dim = engine.config().dim();
            float[][] out = new float[layers][dim];
            int last = tokens.length - 1;
            Hooks hooks = new Hooks(layers);
            for (int l = 0; l < layers; l++) {
                int layer = l;
                hooks.add(new Site(SiteKind.RESID_POST, l), (site, pos, inPrompt, x) -> {
                    if (pos == last) {
                        System.arraycopy(x, 0, out[layer], 0, dim);
                    }
                });
            }
            engine.setHooks(hooks);
            try {
                engine.prefill(tokens, 0);
            } finally {
                engine.setHooks(null);
            }
            return out;
        };
    }
}
