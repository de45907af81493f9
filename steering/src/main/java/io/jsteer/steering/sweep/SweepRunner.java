package io.jsteer.steering.sweep;

import io.jsteer.model.GenerationResult;
import io.jsteer.model.Generator;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.Sampler;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.eval.Degeneration;
import io.jsteer.steering.eval.NextTokenKl;
import io.jsteer.steering.eval.Perplexity;
import java.util.ArrayList;
import java.util.List;
import io.jsteer.weights.ProgressBars;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Runs a layer × strength sweep on one engine. Per cell: set the cell's interventions, sample the texts
 * (same seeds in every cell), score the behaviour, the optional perplexity and the degeneration of
 * the texts, then the KL on the benign prompts against the unsteered logits computed once up
 * front. The engine is left unsteered.
 *
 * <p>Deterministic for a given config and engine: the only randomness is the seeded sampler.
 * (Up to float rounding of the engine itself, which can differ by ~1e-7 in the logits between
 * interpreted and JIT-compiled kernels; a sampled token flips only if a draw falls that close to a
 * cumulative-probability boundary.)
 */
public final class SweepRunner {

    /** Golden-ratio increment: spreads consecutive sample indices over the seed space. */
    private static final long SEED_STEP = 0x9E3779B97F4A7C15L;

    private final InferenceEngine engine;
    private final Tokenizer tokenizer;
    private final String modelName;

    public SweepRunner(InferenceEngine engine, Tokenizer tokenizer, String modelName) {
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.modelName = modelName;
    }

    /**
     * @param steering a description of what {@code factory} applies, kept in the result
     * @param factory  the interventions for each (layer, strength)
     */
    public SweepResult run(SweepConfig config, BehaviourMetric metric, String steering, SteeringFactory factory) {
        int total = 1 + config.layers().size() * config.steeredStrengths().size();
        try (ProgressBar bar = config.progress() ? progressBar(total) : null) {
            Prepared p = prepare(config, metric);
            SweepCell baseline = cell(p, -1, 0, factory);
            step(bar);
            List<SweepCell> cells = new ArrayList<>();
            for (int layer : config.layers()) {
                for (double s : config.steeredStrengths()) {
                    cells.add(cell(p, layer, s, factory));
                    step(bar);
                }
            }
            return new SweepResult(modelName, steering, metric.name(), config, baseline, cells);
        } finally {
            engine.setInterventions(null);
        }
    }

    /**
     * What every cell of a sweep shares: the tokenised prompts and the unsteered logits of the KL
     * prompts. One per engine; a worker running some of a sweep's cells prepares once and then
     * calls {@link #cell} for each of its cells, which gives the same cells as {@link #run}.
     */
    public final class Prepared {
        private final SweepConfig config;
        private final BehaviourMetric metric;
        private final List<int[]> prompts;
        private final List<int[]> pplTexts;
        private final NextTokenKl kl;

        private Prepared(SweepConfig config, BehaviourMetric metric) {
            int nLayers = engine.config().nLayers();
            for (int l : config.layers()) {
                if (l >= nLayers) {
                    throw new IllegalArgumentException("sweep: layer " + l + " is past the model's last block " + (nLayers - 1));
                }
            }
            if (config.samples() == 0 && metric.usesGenerations()) {
                throw new IllegalArgumentException("sweep: metric " + metric.name() + " scores generated text; --samples must be at least 1");
            }
            this.config = config;
            this.metric = metric;
            this.prompts = config.prompts().stream().map(p -> tokenizer.encode(p, true)).toList();
            this.pplTexts = config.perplexityTexts().stream().map(p -> tokenizer.encode(p, true)).toList();
            this.kl = new NextTokenKl(engine, config.klPrompts().stream().map(p -> tokenizer.encode(p, true)).toList());
        }
    }

    /** Checks the config against the model and computes what the cells share (runs the unsteered KL prompts). */
    public Prepared prepare(SweepConfig config, BehaviourMetric metric) {
        return new Prepared(config, metric);
    }

    /**
     * One cell: {@code layer} −1 (strength ignored) is the unsteered baseline, any other layer is
     * steered with {@code factory.at(layer, strength)}. The engine is left unsteered.
     */
    public SweepCell cell(Prepared p, int layer, double strength, SteeringFactory factory) {
        if (layer < 0) {
            return cell(-1, 0, null, p);
        }
        InterventionSet steering = factory.at(layer, strength);
        if (steering == null || steering.isEmpty()) {
            throw new IllegalArgumentException("sweep: the steering factory returned no interventions for layer " + layer
                    + ", strength " + strength);
        }
        try {
            return cell(layer, strength, steering, p);
        } finally {
            engine.setInterventions(null);
        }
    }

    private SweepCell cell(int layer, double strength, InterventionSet steering, Prepared p) {
        SweepConfig config = p.config;
        engine.setInterventions(steering);
        List<String> texts = new ArrayList<>(config.samples());
        long tokens = 0;
        Generator generator = new Generator(engine);
        int bos = tokenizer.bos(), eos = tokenizer.eos();
        for (int i = 0; i < config.samples(); i++) {
            int[] prompt = p.prompts.get(i % p.prompts.size());
            Sampler sampler = new Sampler(config.temperature(), config.topP(), config.seed() + i * SEED_STEP);
            GenerationResult r = generator.generate(prompt, config.maxTokens(), sampler, t -> t == bos || t == eos, (a, b) -> {});
            texts.add(tokenizer.decode(r.generated()));
            tokens += r.generatedCount();
        }
        MetricValue behaviour = p.metric.score(engine, tokenizer, texts);
        Double ppl = p.pplTexts.isEmpty() ? null : new Perplexity(engine).measure(p.pplTexts).perplexity();
        NextTokenKl.KlResult k = p.kl.measure(steering);
        return new SweepCell(layer, strength, behaviour.value(), behaviour.details(), k.mean(), k.max(), ppl,
                texts.isEmpty() ? null : Degeneration.mean(texts),
                texts.isEmpty() ? 0 : (double) tokens / texts.size(),
                texts.subList(0, Math.min(config.keepSamples(), texts.size())), behaviour.perSample());
    }

    private static ProgressBar progressBar(int cells) {
        return ProgressBars.build(new ProgressBarBuilder()
                .setTaskName("sweep")
                .setInitialMax(cells)
                .setUnit(" cells", 1));
    }

    private static void step(ProgressBar bar) {
        if (bar != null) {
            bar.step();
        }
    }
}
