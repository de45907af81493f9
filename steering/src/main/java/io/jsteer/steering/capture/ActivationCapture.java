package io.jsteer.steering.capture;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.intervene.Hooks;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Site;
import java.time.Duration;
import java.util.List;
import io.jsteer.weights.ProgressBars;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Runs prompts through an inference engine's prefill and hands the activations at chosen sites and
 * positions to a sink: the one way activations are read from an engine. Its hooks are observers
 * ({@code setHooks}): they only read, so the forward pass and its logits are unchanged, and they
 * see the model as it is steered ({@code setInterventions}) and adapted at the time.
 *
 * <p>Each prompt is run from position 0 with a fresh pass over the KV cache (earlier prompts'
 * entries are overwritten), so prompts do not see each other. Prompts must fit the engine's
 * context.
 */
public final class ActivationCapture {

    private final InferenceEngine engine;
    private final List<Site> sites;
    private final PositionMode mode;
    private final int dim;

    public ActivationCapture(InferenceEngine engine, List<Site> sites, PositionMode mode) {
        if (sites.isEmpty()) {
            throw new IllegalArgumentException("capture needs at least one site");
        }
        int layers = engine.config().nLayers();
        for (Site s : sites) {
            if (s.layer() >= layers) {
                throw new IllegalArgumentException("site " + s + " is past the model's last block " + (layers - 1));
            }
        }
        if (sites.stream().distinct().count() != sites.size()) {
            throw new IllegalArgumentException("sites are listed twice: " + sites);
        }
        this.engine = engine;
        this.sites = List.copyOf(sites);
        this.mode = mode;
        // one row width per capture: attn_heads is wider than the stream in models such as Qwen3
        List<Integer> widths = sites.stream().map(s -> engine.config().siteWidth(s.kind())).distinct().toList();
        if (widths.size() > 1) {
            throw new IllegalArgumentException("sites " + sites + " have different widths " + widths
                    + " in this model (attn_heads is nHeads x headSize); capture them separately");
        }
        this.dim = widths.getFirst();
    }

    /** One activation row per site at the last token of a sequence, {@code [site][width]}. */
    @FunctionalInterface
    public interface LastToken {
        float[][] lastToken(int[] tokens);
    }

    /**
     * resid_post of every block at the last token, {@code [nLayers][dim]}, as {@code engine} runs the
     * model now (its steering and adapter apply; a reader for the unsteered model reads an unsteered engine).
     */
    public static LastToken residuals(InferenceEngine engine) {
        return new ActivationCapture(engine, allLayers(io.jsteer.model.intervene.SiteKind.RESID_POST, engine.config().nLayers()),
                PositionMode.LAST)::lastToken;
    }

    /** This capture's sites at the last token of {@code tokens} (one prompt, no progress bar), {@code [site][width]}. */
    public float[][] lastToken(int[] tokens) {
        if (mode != PositionMode.LAST) {
            throw new IllegalStateException("lastToken needs a capture in LAST mode, this one is " + mode);
        }
        float[][] out = new float[sites.size()][];
        java.util.Map<Site, Integer> row = new java.util.HashMap<>();
        for (int k = 0; k < sites.size(); k++) {
            row.put(sites.get(k), k);
        }
        run(List.of(CapturePrompt.of(tokens, 0)), (index, prompt, position, site, x) -> out[row.get(site)] = java.util.Arrays.copyOf(x, dim),
                null, false);
        return out;
    }

    /** Every layer's {@code kind} site, 0 … nLayers−1. */
    public static List<Site> allLayers(io.jsteer.model.intervene.SiteKind kind, int nLayers) {
        return java.util.stream.IntStream.range(0, nLayers).mapToObj(l -> new Site(kind, l)).toList();
    }

    public List<Site> sites() { return sites; }

    public PositionMode mode() { return mode; }

    /** Captures with a progress bar on stderr; the engine has no observers afterwards. */
    public void run(List<CapturePrompt> prompts, ActivationSink sink) {
        run(prompts, sink, null, true);
    }

    /**
     * Captures; the engine has no observers afterwards (it is this capture's engine while it runs).
     *
     * @param steering interventions to run during the capture (the engine is unsteered afterwards), or
     *                 null to read the engine as it is steered now; the capture reads the steered activations
     * @param progress show a progress bar over prompts on stderr
     */
    public void run(List<CapturePrompt> prompts, ActivationSink sink, InterventionSet steering, boolean progress) {
        for (int i = 0; i < prompts.size(); i++) {
            CapturePrompt p = prompts.get(i);
            if (p.length() > engine.capacity()) {
                throw new IllegalArgumentException("prompt " + i + " has " + p.length() + " tokens, more than the context of "
                        + engine.capacity() + " (raise the context size or shorten the prompt)");
            }
            if (mode == PositionMode.AT && p.at() < 0) {
                throw new IllegalArgumentException("prompt " + i + " has no position to record (capture mode AT)");
            }
        }
        Hooks hooks = new Hooks(engine.config().nLayers());
        Recorder recorder = new Recorder(sink);
        for (Site s : sites) {
            hooks.add(s, (site, position, inPrompt, x) -> recorder.take(site, position, x));
        }
        if (steering != null) {
            engine.setInterventions(steering);
        }
        engine.setHooks(hooks);
        try (ProgressBar bar = progress ? progressBar(prompts.size()) : null) {
            for (int i = 0; i < prompts.size(); i++) {
                CapturePrompt p = prompts.get(i);
                recorder.start(i, p);
                engine.prefill(p.tokens(), 0);
                recorder.finish();
                if (bar != null) {
                    bar.step();
                }
            }
        } finally {
            engine.setHooks(null);
            if (steering != null) {
                engine.setInterventions(null);
            }
        }
    }

    private static ProgressBar progressBar(int n) {
        return ProgressBars.build(new ProgressBarBuilder()
                .setTaskName("capture")
                .setInitialMax(n)
                .setUnit(" prompts", 1)
                .setMaxRenderedLength(100)
                .setUpdateIntervalMillis((int) Duration.ofMillis(250).toMillis()));
    }

    /** Per-prompt state: which positions to pass on, and running sums for MEAN. */
    private final class Recorder {
        private final ActivationSink sink;
        private final double[][] sums; // [site][dim], MEAN only
        private final java.util.Map<Site, Integer> siteIndex = new java.util.HashMap<>();
        private int index;
        private CapturePrompt prompt;
        private int length;

        Recorder(ActivationSink sink) {
            this.sink = sink;
            this.sums = mode == PositionMode.MEAN ? new double[sites.size()][dim] : null;
            for (int k = 0; k < sites.size(); k++) {
                siteIndex.put(sites.get(k), k);
            }
        }

        void start(int index, CapturePrompt p) {
            this.index = index;
            this.prompt = p;
            this.length = p.length();
            if (sums != null) {
                for (double[] s : sums) {
                    java.util.Arrays.fill(s, 0);
                }
            }
        }

        void take(Site site, int position, float[] x) {
            switch (mode) {
                case LAST -> {
                    if (position == length - 1) {
                        sink.accept(index, prompt, position, site, x);
                    }
                }
                case AT -> {
                    if (position == prompt.at()) {
                        sink.accept(index, prompt, position, site, x);
                    }
                }
                case ALL -> sink.accept(index, prompt, position, site, x);
                case MEAN -> {
                    double[] s = sums[siteIndex.get(site)];
                    for (int i = 0; i < dim; i++) {
                        s[i] += x[i];
                    }
                }
            }
        }

        void finish() {
            if (sums == null) {
                return;
            }
            float[] mean = new float[dim];
            for (int k = 0; k < sites.size(); k++) {
                for (int i = 0; i < dim; i++) {
                    mean[i] = (float) (sums[k][i] / length);
                }
                sink.accept(index, prompt, -1, sites.get(k), mean);
            }
        }
    }
}
