package io.jsteer.steering.kts.eval;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.kts.BenignKl;
import io.jsteer.steering.kts.BlockSteering;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.vectors.MeanDifference;
import io.jsteer.steering.data.ContrastivePair;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.steering.kts.graph.TrainableKtsGraph;
import io.jsteer.tensor.Parallel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * The spec §7 comparison: the original model steered with a vector computed on itself against
 * the KTS model steered with a vector recomputed on the KTS model, at c = factor·c_max, on
 * benign side effects and on the target effect.
 */
public final class KtsEvaluation {

    /** The factors of c_max the spec sweeps. */
    public static final List<Double> FACTORS = List.of(-1.5, -1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0, 1.5);

    /** Everything the report shows. */
    public record Report(String modelName, double cMax, List<Integer> steerBlocks, boolean normalisedVectors, int benignSequences,
                         int targetedPrompts, double originalPerplexity, double unsteeredParityKl,
                         double originalVectorNorm, double ktsVectorNorm, List<TradeOffPoint> points,
                         List<MatchedEffect> matchedEffect) {}

    /** Model names in the points: each model steered with its own happy/sad vector, or with the same-norm random control. */
    public static final List<String> MODELS = List.of("original", "kts", "original-random", "kts-random");

    private KtsEvaluation() {}

    /** {@link #run(String, LlamaConfig, LlamaWeights, Tokenizer, LoraAdapter, List, List, List, double, List, boolean, List, int, long,
     *  Parallel, IntFunction, Consumer, BiConsumer) run} with each target text encoded as BOS + text (plain prompts). */
    public static Report run(String modelName, LlamaConfig config, LlamaWeights weights, Tokenizer tok, LoraAdapter adapter,
                             List<ContrastivePair> targetPairs, List<int[]> benignEval, List<String> targetedPrompts,
                             double cMax, List<Integer> steerBlocks, boolean normaliseVectors, List<Double> factors,
                             int sampleTokens, long seed, Parallel par, IntFunction<InferenceEngine> engines,
                             Consumer<String> progress) {
        List<int[][]> ids = targetPairs.stream().map(p -> new int[][] {tok.encode(p.positive(), true), tok.encode(p.negative(), true)})
                .toList();
        return run(modelName, config, weights, tok, adapter, ids, benignEval, targetedPrompts, cMax, steerBlocks, normaliseVectors,
                factors, sampleTokens, seed, par, engines, progress, (m, v) -> { });
    }

    /**
     * @param targetIds  the target's contrast pairs already rendered, {first, second} ids per pair (as
     *                   kts train rendered its target, so the vector is read under the same format)
     * @param ownVectors told each model's own target vector as it is applied ("original", "kts"):
     *                   [nLayers][dim], null rows outside the steered blocks, unit-scaled when {@code normaliseVectors}
     */
    public static Report run(String modelName, LlamaConfig config, LlamaWeights weights, Tokenizer tok, LoraAdapter adapter,
                             List<int[][]> targetIds, List<int[]> benignEval, List<String> targetedPrompts,
                             double cMax, List<Integer> steerBlocks, boolean normaliseVectors, List<Double> factors,
                             int sampleTokens, long seed, Parallel par, IntFunction<InferenceEngine> engines,
                             Consumer<String> progress, BiConsumer<String, float[][]> ownVectors) {
        TrainableKtsGraph graph = new TrainableKtsGraph(config, weights, adapter);
        List<TradeOffPoint> points = new ArrayList<>();
        double baseLogOdds = Double.NaN, origPpl = Double.NaN, parity = Double.NaN;
        double[] norms = new double[2];
        float[][][] own = new float[2][][];
        for (int m = 0; m < MODELS.size(); m++) {
            boolean kts = m % 2 == 1, random = m >= 2;
            String name = MODELS.get(m);
            float[][] v;
            if (random) {
                v = sameNormRandom(own[m % 2], seed + m);
            } else {
                float[][] raw = MeanDifference.computeIds(graph.lastTokenResiduals(kts, null), targetIds,
                        new HashSet<>(steerBlocks), config.nLayers(), config.dim());
                v = normaliseVectors ? MeanDifference.normalised(raw) : raw;
                own[m] = v;
                ownVectors.accept(name, v);
                norms[m] = meanNorm(raw);
            }
            try (InferenceEngine engine = engines.apply(256)) {
                engine.setAdapter(kts ? adapter : null);
                for (double f : factors) {
                    double c = f * cMax;
                    progress.accept(name + " c=" + String.format("%.3f", c));
                    BlockSteering s = new BlockSteering(v, c);
                    BenignKl.Result kl = BenignKl.measure(graph, benignEval, s, kts, par);
                    engine.setInterventions(s.interventions());
                    TargetEffect.Result target = TargetEffect.measure(engine, tok, targetedPrompts, sampleTokens, seed);
                    engine.setInterventions(null);
                    if (m == 0 && f == 0) {
                        baseLogOdds = target.logOdds();
                        origPpl = kl.perplexityReference();
                    }
                    if (m == 1 && f == 0) {
                        parity = kl.klPerToken();
                    }
                    points.add(new TradeOffPoint(name, f, c, kl.klPerToken(), kl.perplexityModel(), target.logOdds(),
                            Double.NaN, target.happyShare()));
                }
            }
        }
        List<TradeOffPoint> withChange = new ArrayList<>();
        for (TradeOffPoint p : points) {
            withChange.add(new TradeOffPoint(p.model(), p.factor(), p.multiplier(), p.benignKl(), p.perplexity(), p.logOdds(),
                    p.logOdds() - baseLogOdds, p.happyShare()));
        }
        return new Report(modelName, cMax, steerBlocks, normaliseVectors, benignEval.size(), targetedPrompts.size(), origPpl, parity,
                norms[0], norms[1], withChange, MatchedEffect.compute(withChange, "kts", "original"));
    }

    /**
     * The spec §7 control: a Gaussian direction per steered block, scaled to the norm of {@code v}
     * in that block, so it moves the residual stream as far as the attribute vector does.
     */
    static float[][] sameNormRandom(float[][] v, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] out = new float[v.length][];
        for (int l = 0; l < v.length; l++) {
            if (v[l] == null) {
                continue;
            }
            double[] g = new double[v[l].length];
            double gn = 0, vn = 0;
            for (int i = 0; i < g.length; i++) {
                g[i] = r.nextGaussian();
                gn += g[i] * g[i];
                vn += (double) v[l][i] * v[l][i];
            }
            double scale = Math.sqrt(vn / gn);
            out[l] = new float[g.length];
            for (int i = 0; i < g.length; i++) {
                out[l][i] = (float) (g[i] * scale);
            }
        }
        return out;
    }

    private static double meanNorm(float[][] v) {
        double sum = 0;
        int n = 0;
        for (float[] row : v) {
            if (row != null) {
                double s = 0;
                for (float x : row) {
                    s += x * x;
                }
                sum += Math.sqrt(s);
                n++;
            }
        }
        return sum / n;
    }
}
