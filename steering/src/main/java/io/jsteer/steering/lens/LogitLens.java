package io.jsteer.steering.lens;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.tensor.Kernels;
import io.jsteer.tensor.Parallel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A logit lens of one prompt: the residual stream after each block ({@code resid_post[L]}) read
 * as if it were the last one, through the model's own final RMSNorm and classifier. At the last
 * block this is exactly the model's output; at earlier blocks it shows what the stream already
 * "predicts". Run once without steering and once with it, the two lenses show where an
 * intervention starts to change the prediction.
 *
 * <p>The steering goes through the engine's {@code setInterventions}; the residuals are read by
 * observers ({@code setHooks}) at every resid_post, which the engine runs after the steering of
 * their site, so they see the steered stream.
 */
public final class LogitLens {

    private final InferenceEngine engine;
    private final LlamaWeights weights;
    private final Parallel par;

    public LogitLens(InferenceEngine engine, LlamaWeights weights, Parallel par) {
        this.engine = engine;
        this.weights = weights;
        this.par = par;
    }

    /**
     * @param tokens   the prompt, BOS included if wanted
     * @param steering interventions to apply, or null/empty for the unsteered lens
     * @param window   how many of the last positions to read (the lens costs a classifier product per block and position)
     * @param topK     tokens kept per block and position
     */
    public LensResult run(int[] tokens, InterventionSet steering, int window, int topK) {
        LlamaConfig c = engine.config();
        if (tokens.length == 0) {
            throw new IllegalArgumentException("lens: the prompt has no tokens");
        }
        if (tokens.length > engine.capacity()) {
            throw new IllegalArgumentException("lens: the prompt has " + tokens.length + " tokens, over the context of " + engine.capacity());
        }
        if (window < 1 || topK < 1 || topK > c.vocabSize()) {
            throw new IllegalArgumentException("lens: window and top-k must be at least 1 (top-k at most the vocabulary), got "
                    + window + ", " + topK);
        }
        int nLayers = c.nLayers(), dim = c.dim(), first = Math.max(0, tokens.length - window), n = tokens.length - first;
        float[][][] resid = new float[nLayers][n][]; // [layer][position - first][dim]
        Hooks hooks = new Hooks(nLayers); // observers: they read the steered stream
        for (int l = 0; l < nLayers; l++) {
            hooks.add(new Site(SiteKind.RESID_POST, l), (site, position, inPrompt, x) -> {
                if (position >= first) {
                    resid[site.layer()][position - first] = Arrays.copyOf(x, dim);
                }
            });
        }
        float[] output;
        engine.setInterventions(steering);
        engine.setHooks(hooks);
        try {
            output = engine.prefill(tokens, 0).clone();
        } finally {
            engine.setHooks(null);
            engine.setInterventions(null);
        }
        List<List<LensResult.Cell>> rows = new ArrayList<>(nLayers);
        float[] norm = new float[dim], logits = new float[c.vocabSize()];
        for (int l = 0; l < nLayers; l++) {
            List<LensResult.Cell> row = new ArrayList<>(n);
            for (int p = 0; p < n; p++) {
                float[] x = resid[l][p];
                // logits[vocab] = classifier · rmsnorm(x), as the engine does after the last block
                Kernels.rmsnorm(norm, x, weights.outputNorm(), dim, c.rmsEps());
                Kernels.matvec(weights.classifier(), norm, logits, c.vocabSize(), dim, par);
                row.add(cell(x, logits, topK));
            }
            rows.add(row);
        }
        return new LensResult(Arrays.copyOfRange(tokens, first, tokens.length), first, rows,
                LensResult.Distribution.of(output));
    }

    private static LensResult.Cell cell(float[] x, float[] logits, int topK) {
        double ss = 0;
        for (float v : x) {
            ss += (double) v * v;
        }
        LensResult.Distribution d = LensResult.Distribution.of(logits);
        return new LensResult.Cell(Math.sqrt(ss), d.top(topK), d);
    }
}
