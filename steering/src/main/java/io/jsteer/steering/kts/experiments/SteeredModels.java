package io.jsteer.steering.kts.experiments;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.Generator;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.model.Sampler;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.model.lora.LoraTarget;
import io.jsteer.steering.kts.BenignKl;
import io.jsteer.steering.kts.BlockSteering;
import io.jsteer.steering.kts.graph.TrainableKtsGraph;
import java.util.EnumSet;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.vectors.MeanDifference;
import io.jsteer.tensor.Parallel;
import java.util.HashSet;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The two models a KTS experiment compares, the original and (when an adapter is given) the KTS
 * model, with the run's steering settings: steered blocks, unit-norm or raw vectors, c_max. Every
 * vector is recomputed on the model it steers (kts.md §1), from prompts rendered by one
 * {@link PromptFormat}, so a direction is read under the template it is applied with.
 *
 * <p>This is the one place the experiments touch the KTS vector helpers, so that folding those into
 * the steering core changes this class only.
 */
public final class SteeredModels {

    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final Tokenizer tok;
    private final LoraAdapter adapter;
    private final List<Integer> blocks;
    private final boolean normalise;
    private final double cMax;
    private final Parallel par;
    private final int context;
    private final IntFunction<InferenceEngine> engines;

    /**
     * @param adapter   the KTS adapter, or null when only the original model is compared
     * @param normalise scale each vector to unit norm over its blocks (the KTS run's default)
     * @param context   KV-cache length of the engines
     * @param engines   makes an inference engine (the one the command was asked for: CPU or GPU) of a
     *                  given KV-cache length; the benign-KL passes run on the trainable CPU path
     */
    public SteeredModels(LlamaConfig config, LlamaWeights weights, Tokenizer tok, LoraAdapter adapter, List<Integer> blocks,
                         boolean normalise, double cMax, Parallel par, int context, IntFunction<InferenceEngine> engines) {
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("no steered blocks");
        }
        for (int b : blocks) {
            if (b < 0 || b >= config.nLayers()) {
                throw new IllegalArgumentException("steered block " + b + " is outside 0.." + (config.nLayers() - 1));
            }
        }
        if (!(cMax > 0)) {
            throw new IllegalArgumentException("c_max must be positive, got " + cMax);
        }
        this.config = config;
        this.weights = weights;
        this.tok = tok;
        this.adapter = adapter;
        this.blocks = List.copyOf(blocks);
        this.normalise = normalise;
        this.cMax = cMax;
        this.par = par;
        this.context = Math.min(context, config.contextLength());
        this.engines = engines;
    }

    public boolean hasKts() { return adapter != null; }

    /** The same models with raw (unnormalised) vectors. */
    public SteeredModels withRawVectors() {
        return new SteeredModels(config, weights, tok, adapter, blocks, false, cMax, par, context, engines);
    }
    public double cMax() { return cMax; }
    public List<Integer> blocks() { return blocks; }
    public boolean normalise() { return normalise; }
    public Tokenizer tokenizer() { return tok; }
    public LlamaConfig config() { return config; }
    public int context() { return context; }

    /**
     * An engine of the original (kts false) or the KTS model (its adapter set, which an engine that
     * cannot apply it refuses, naming why); the caller closes it.
     */
    public InferenceEngine engine(boolean kts) {
        if (kts && adapter == null) {
            throw new IllegalStateException("no KTS adapter was given");
        }
        InferenceEngine e = engines.apply(context);
        try {
            e.setAdapter(kts ? adapter : null);
        } catch (RuntimeException x) {
            e.close();
            throw x;
        }
        return e;
    }

    /** The mean-difference vector of rendered pairs ({first, second} ids) on {@code engine}'s model, [nLayers][dim]. */
    public float[][] vector(InferenceEngine engine, List<int[][]> pairs) {
        float[][] raw = MeanDifference.computeIds(ActivationCapture.residuals(engine), pairs, new HashSet<>(blocks), config.nLayers(),
                config.dim());
        return normalise ? MeanDifference.normalised(raw) : raw;
    }

    /** The pairs rendered by {@code format}. */
    public List<int[][]> render(PromptFormat format, List<PromptPair> pairs) {
        return format.render(tok, pairs);
    }

    /** resid_post of every block at the last token of {@code ids} on {@code engine}'s model, [nLayers][dim]. */
    public float[][] lastToken(InferenceEngine engine, int[] ids) {
        return ActivationCapture.residuals(engine).lastToken(ids);
    }

    /** Euclidean norm over all blocks of a [nLayers][dim] vector (null rows skipped). */
    public static double norm(float[][] v) {
        double s = 0;
        for (float[] row : v) {
            if (row != null) {
                for (float x : row) {
                    s += (double) x * x;
                }
            }
        }
        return Math.sqrt(s);
    }

    /**
     * A greedy answer to {@code prompt}, steered by {@code c · v} at every position (null or c = 0:
     * unsteered), at most {@code maxTokens} tokens, stopped at {@code stops}.
     */
    public String answer(InferenceEngine engine, int[] prompt, float[][] v, double c, int maxTokens, int[] stops) {
        BlockSteering s = new BlockSteering(v, c);
        engine.setInterventions(s.interventions());
        try {
            var r = new Generator(engine).generate(prompt, maxTokens, Sampler.greedy(), t -> contains(stops, t), (a, b) -> { });
            var d = tok.newDecoder();
            StringBuilder text = new StringBuilder();
            for (int id : r.generated()) {
                text.append(d.accept(id));
            }
            return text.append(d.flush()).toString();
        } finally {
            engine.setInterventions(null);
        }
    }

    /**
     * Next-token log-probabilities after {@code prompt} under steering {@code c · v}, [vocab];
     * for letter scoring without generation.
     */
    public float[] nextLogProbs(InferenceEngine engine, int[] prompt, float[][] v, double c) {
        BlockSteering s = new BlockSteering(v, c);
        engine.setInterventions(s.interventions());
        try {
            float[] logits = engine.prefill(prompt, 0).clone();
            double max = Double.NEGATIVE_INFINITY;
            for (float x : logits) {
                max = Math.max(max, x);
            }
            double sum = 0;
            for (float x : logits) {
                sum += Math.exp(x - max);
            }
            double lse = max + Math.log(sum);
            for (int i = 0; i < logits.length; i++) {
                logits[i] = (float) (logits[i] - lse);
            }
            return logits;
        } finally {
            engine.setInterventions(null);
        }
    }

    /**
     * Benign side effect of steering {@code c · v} on the original (kts false) or KTS model: mean
     * per-token KL(p_orig ‖ p_model) and perplexities over {@code sequences} (kts.md §7 metric 1),
     * on the trainable path, which gives logits at every position.
     */
    public BenignKl.Result benignKl(List<int[]> sequences, float[][] v, double c, boolean kts) {
        LoraAdapter a = adapter != null ? adapter
                : LoraAdapter.initialize(config, 1, 2, EnumSet.allOf(LoraTarget.class), 0); // never switched on
        TrainableKtsGraph graph = new TrainableKtsGraph(config, weights, a);
        return BenignKl.measure(graph, sequences, new BlockSteering(v, c), kts, par);
    }

    static boolean contains(int[] ids, int t) {
        for (int id : ids) {
            if (id == t) {
                return true;
            }
        }
        return false;
    }
}
