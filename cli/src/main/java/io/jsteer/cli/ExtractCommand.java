package io.jsteer.cli;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.capture.CapturePrompts;
import io.jsteer.steering.capture.PositionMode;
import io.jsteer.steering.data.Dataset;
import io.jsteer.steering.data.DatasetSource;
import io.jsteer.steering.data.Datasets;
import io.jsteer.steering.data.LabelledPrompt;
import io.jsteer.steering.vectors.ControlVectors;
import io.jsteer.steering.vectors.Extraction;
import io.jsteer.steering.vectors.Provenance;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.steering.vectors.VectorSetFiles;
import io.jsteer.tensor.Parallel;
import java.nio.file.Path;
import io.jsteer.model.intervene.LayerSelection;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Steering vectors from a dataset: capture activations, apply a method, write a vector set. */
@Command(name = "extract", description = "Make steering vectors from a dataset (mean difference/CAA, PCA, linear probe, ablation direction).",
        footer = {"", "Examples:",
                "  # CAA on A/B items (answer-letter position), every layer:",
                "  jsteer extract --data ../shared/data/caa/refusal_generate_dataset.json --format ab --out refusal",
                "  # happy - sad from two line-aligned prompt files, layers 1-4:",
                "  jsteer extract --data happy.txt --negative sad.txt --format lines --layers 1-4 --out happy",
                "  # refusal direction to ablate (harmful vs harmless instructions):",
                "  jsteer extract --data ../shared/data/refusal_direction/harmful_train.json \\",
                "      --negative ../shared/data/refusal_direction/harmless_train.json --format labelled --text-field instruction \\",
                "      --method ablation --limit 128 --out refusal-dir"})
class ExtractCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Option(names = "--data", required = true, paramLabel = "PATH",
            description = "dataset (JSON, JSONL, CSV or text; the format of the records is --format)")
    Path data;

    @Option(names = "--negative", paramLabel = "PATH",
            description = "second file for --format lines (negative prompts, line i pairs with line i) or labelled (the negative class)")
    Path negative;

    @Option(names = "--format", paramLabel = "ab|pairs|lines|labelled", defaultValue = "ab",
            description = "ab: A/B items (question, answer_matching_behavior, answer_not_matching_behavior); "
                    + "pairs: records with --positive-field/--negative-field; lines: --data and --negative line by line; "
                    + "labelled: prompts of --data (positive) vs --negative (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--positive-field", defaultValue = "positive", description = "pairs: field of the positive text (default: ${DEFAULT-VALUE})")
    String positiveField;

    @Option(names = "--negative-field", defaultValue = "negative", description = "pairs: field of the negative text (default: ${DEFAULT-VALUE})")
    String negativeField;

    @Option(names = "--text-field", defaultValue = "instruction", description = "labelled: field of the prompt text (default: ${DEFAULT-VALUE})")
    String textField;

    @Option(names = "--method", paramLabel = "mean-diff|pca|probe|ablation", defaultValue = "mean-diff",
            description = "vector method (default: ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--site", paramLabel = "KIND", defaultValue = "resid_post",
            description = "resid_pre, attn_heads, attn_out, mlp_out or resid_post (default: ${DEFAULT-VALUE})")
    String site;

    @Option(names = "--layers", paramLabel = "LAYERS", description = "blocks to capture: 4, 3-6, 0,2,5-7 or all (default: all)")
    String layers;

    @Option(names = "--read-at", paramLabel = "last|mean|answer",
            description = "where activations are read: the last prompt token, the mean over the prompt, or the answer letter "
                    + "(default: answer for ab, else last)")
    String positions;

    /** The old spelling of --read-at: in run/chat/sweep --positions means which tokens steering edits, so it is renamed here. */
    @Option(names = "--positions", paramLabel = "last|mean|answer", hidden = true)
    String positionsDeprecated;

    @Option(names = "--limit", paramLabel = "N", description = "use the first N items of each file (default: all)")
    Integer limit;

    @Option(names = "--ctx-size", paramLabel = "N", defaultValue = "1024",
            description = "longest prompt in tokens (default: ${DEFAULT-VALUE})")
    int ctxSize;

    @Option(names = "--out", required = true, paramLabel = "NAME",
            description = "writes NAME.safetensors and NAME.json (a stem: --out walk/happy writes walk/happy.json); the vectors are "
                    + "stored at their raw length, with the stream's typical norm per layer (mean |h| over the captured tokens) "
                    + "in the metadata; --steer NAME:S adds length S along them whatever that raw length is")
    Path out;

    @Option(names = "--control-vector", paramLabel = "FILE.gguf",
            description = "also write a llama.cpp control vector, unit directions as cvec export writes them (resid_post sets only; layer 0 is left out, llama.cpp cannot address it)")
    Path controlVector;

    @Override
    public Integer call() throws Exception {
        if (positionsDeprecated != null) {
            if (positions != null) {
                throw new UsageException("give --read-at only (--positions is its deprecated old name)");
            }
            System.err.println("jsteer: warning: extract --positions is deprecated, use --read-at (in run, chat and sweep "
                    + "--positions means which tokens are steered)");
            positions = positionsDeprecated;
        }
        Extraction.Method m = switch (method.toLowerCase(Locale.ROOT)) {
            case "mean-diff", "mean_difference", "caa" -> Extraction.Method.MEAN_DIFFERENCE;
            case "pca" -> Extraction.Method.PCA;
            case "probe" -> Extraction.Method.PROBE;
            case "ablation" -> Extraction.Method.ABLATION;
            default -> throw new UsageException("--method must be mean-diff, pca, probe or ablation, got '" + method + "'");
        };
        if (limit != null && limit < 1) {
            throw new UsageException("--limit must be at least 1, got " + limit);
        }
        SiteKind kind = SiteKind.parse(site);
        LayerSelection layerChoice = layers == null ? LayerSelection.all("--layers") : LayerSelection.parse("--layers", layers);
        try (LoadedModel model = common.load()) {
            var tok = model.tokenizer();
            List<Integer> chosen = List.copyOf(layerChoice.resolve(model.config().nLayers())); // before any data is read
            List<DatasetSource> sources = new ArrayList<>();
            List<CapturePrompt> prompts;
            PositionMode mode;
            String positionsLabel = "";
            switch (format) {
                case "ab" -> {
                    var items = Datasets.abItems(data);
                    sources.addAll(items.sources());
                    prompts = CapturePrompts.abItems(tok, first(items.items()), CapturePrompts.PLAIN_AB_FORMAT);
                    mode = positions == null || positions.equals("answer") ? PositionMode.AT : mode(positions);
                    if (mode == PositionMode.AT) {
                        positionsLabel = "AT answer letter";
                    }
                }
                case "pairs" -> {
                    var pairs = Datasets.pairs(data, positiveField, negativeField);
                    sources.addAll(pairs.sources());
                    prompts = CapturePrompts.pairs(tok, first(pairs.items()), false);
                    mode = mode(positions);
                }
                case "lines" -> {
                    requireNegative();
                    var pairs = Datasets.linePairs(data, negative, true);
                    sources.addAll(pairs.sources());
                    prompts = CapturePrompts.pairs(tok, first(pairs.items()), false);
                    mode = mode(positions);
                }
                case "labelled" -> {
                    requireNegative();
                    Dataset<LabelledPrompt> pos = Datasets.prompts(data, textField, "positive");
                    Dataset<LabelledPrompt> neg = Datasets.prompts(negative, textField, "negative");
                    sources.addAll(pos.sources());
                    sources.addAll(neg.sources());
                    List<LabelledPrompt> all = new ArrayList<>(first(pos.items()));
                    all.addAll(first(neg.items()));
                    prompts = CapturePrompts.labelled(tok, all, List.of("negative", "positive"), false);
                    mode = mode(positions);
                }
                default -> throw new UsageException("--format must be ab, pairs, lines or labelled, got '" + format + "'");
            }
            if (mode == PositionMode.AT && !format.equals("ab")) {
                throw new UsageException("--read-at answer needs --format ab");
            }
            Provenance provenance = Provenance.of(model.name(), Provenance.sha256(model.file().path()), "", positionsLabel, sources);
            System.err.printf("jsteer extract: %d prompts, %s at %s:%s, %s%n", prompts.size(), m.label(), kind.label(), chosen, mode);
            VectorSet set = extract(model, prompts, Extraction.Request.of(kind, chosen, mode, m), provenance);
            VectorSetFiles.write(out, set);
            System.out.printf("wrote %s and %s%n", VectorSetFiles.jsonPath(out), VectorSetFiles.tensorPath(out));
            // the stored length beside the stream's typical norm: --steer NAME:S adds length S along the vector,
            // so this column says how large S is at each layer
            var resid = set.residNorms().orElseThrow();
            System.out.println("layer  norm    typical |h|");
            for (Map.Entry<Integer, Double> e : set.norms().entrySet()) {
                System.out.printf("%5d  %.4f  %.3f%n", e.getKey(), e.getValue(), resid.get(e.getKey()));
            }
            Object acc = set.provenance().extra().get("probe_held_out_accuracy");
            if (acc != null) {
                System.out.println("probe held-out accuracy by layer: " + acc);
            }
            if (controlVector != null) {
                // unit directions, as cvec export writes them: llama.cpp's --control-vector-scaled F:S then adds length S
                var cv = ControlVectors.export(set.normalised(), controlVector, model.config(), "llama", true);
                System.out.println("wrote " + controlVector + " (llama.cpp control vector" + (set.vectors().containsKey(0)
                        ? "; layer 0 left out: llama.cpp cannot address it" : "") + ")");
            }
        }
        return 0;
    }

    /** Captures and applies the method on this machine; `jsteer spark extract` runs it as a Spark job instead. */
    VectorSet extract(LoadedModel model, List<CapturePrompt> prompts, Extraction.Request request, Provenance provenance) {
        try (Parallel par = new Parallel(common.threadCount()); InferenceEngine engine = Engines.create(common.engine, model, ctxSize, par)) {
            return Extraction.extract(engine, prompts, request, provenance);
        }
    }

    private <T> List<T> first(List<T> items) {
        return limit == null || limit >= items.size() ? items : items.subList(0, limit);
    }

    private void requireNegative() {
        if (negative == null) {
            throw new UsageException("--format " + format + " needs --negative FILE");
        }
    }

    private static PositionMode mode(String positions) {
        if (positions == null) {
            return PositionMode.LAST;
        }
        return switch (positions) {
            case "last" -> PositionMode.LAST;
            case "mean" -> PositionMode.MEAN;
            case "answer" -> PositionMode.AT;
            default -> throw new UsageException("--read-at must be last, mean or answer, got '" + positions + "'");
        };
    }
}
