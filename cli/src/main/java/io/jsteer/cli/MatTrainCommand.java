package io.jsteer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.LayerSelection;
import io.jsteer.steering.mat.MatCheckpoint;
import io.jsteer.steering.mat.MatLayerSearch;
import io.jsteer.steering.mat.HelpSteerJob;
import io.jsteer.steering.mat.MatTrainingJob;
import io.jsteer.steering.mat.tasks.HelpSteer;
import io.jsteer.tensor.Parallel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Trains a MAT-Steer module on the features of the tasks' train splits (default: every answer token, as the paper). */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train MAT-Steer on cached features of the answer tokens (stdout: loss and gate summary).",
        footer = {"", "Example:",
                "  jsteer mat train --model stories260K --tasks truthfulqa,bbq,toxigen --site attn_heads:2 \\",
                "      --epochs 100 --train-items 200 --out runs/mat.safetensors",
                "  jsteer mat train --model llama-3.1-8b.gguf --tasks helpsteer --data helpsteer/train.jsonl --out runs/mat-gen"})
final class MatTrainCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Mixin
    MatDataOptions data;

    @Option(names = "--data", paramLabel = "FILE",
            description = "with --tasks helpsteer: the HelpSteer JSON Lines file (nvidia/HelpSteer or HelpSteer2 layout: prompt, "
                    + "response and five 0-4 scores); the generative setting: 500 + 500 train rows per attribute (score >= 3 "
                    + "desirable; --train-items N changes the 500), λ_pos = λ_sparse = 0.8 and batch 160 unless given")
    Path helpSteer;

    @Option(names = "--layers", paramLabel = "LAYERS",
            description = "layer search: train at every layer of LAYERS (e.g. 10-22 or 3,5,7) of the --site kind and keep the best mean dev MC2")
    String layers;

    @Option(names = "--dev-items", paramLabel = "N", defaultValue = "50",
            description = "dev questions per task scored in the layer search (default: ${DEFAULT-VALUE})")
    int devItems;

    @Option(names = "--out", paramLabel = "PATH", required = true,
            description = "checkpoint: PATH.safetensors (theta, gate_weight, gate_bias) and PATH.json (metadata)")
    Path out;

    @Option(names = "--cache", paramLabel = "PATH",
            description = "feature cache (safetensors; default: OUT.features.safetensors); reused when model, site, data and seed match")
    Path cache;

    @Option(names = "--no-cache", description = "neither read nor write a feature cache")
    boolean noCache;

    @Mixin
    MatTrainOptions training;

    @Mixin
    MatFormatOptions format;

    @Option(names = "--json", description = "print the summary as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Path checkpoint = MatCheckpoint.tensorsPath(out);
        Path cachePath = noCache ? null : cache != null ? cache
                : checkpoint.resolveSibling(checkpoint.getFileName().toString().replaceFirst("\\.safetensors$", "") + ".features.safetensors");
        boolean generation = data.tasks != null && data.tasks.contains("helpsteer");
        if (generation && data.tasks.size() > 1) {
            throw new UsageException("--tasks helpsteer trains the five HelpSteer attributes alone; give it without other tasks");
        }
        if (generation != (helpSteer != null)) {
            throw new UsageException(generation ? "--tasks helpsteer needs --data FILE (a HelpSteer .jsonl file)"
                    : "--data FILE is the HelpSteer file of --tasks helpsteer");
        }
        if (generation && layers != null) {
            throw new UsageException("--layers (a search by dev MC2) is for the QA tasks, not helpsteer");
        }
        try (LoadedModel model = common.load();
             Parallel par = new Parallel(common.threadCount());
             InferenceEngine engine = Engines.create(common.engine, model, MatDataOptions.positive("--ctx-size", training.ctxSize), par)) {
            var prompts = format.prompts(common, "mat train", model);
            if (generation) {
                var site = training.site(model.config().nLayers());
                var prepared = HelpSteerJob.prepare(model, prompts, engine, helpSteer, site, training.tokens(), training.config(true).seed(),
                        training.trainItems(HelpSteer.PER_POLARITY), cachePath, true, System.err);
                var o = MatTrainingJob.train(prepared, site, training.tokens(), training.config(true), true, System.err);
                o.checkpoint().save(checkpoint);
                print(o, null, checkpoint);
                return 0;
            }
            var request = training.request(data.tasks(List.of("truthfulqa", "bbq", "toxigen")), data.dataDir(), model.config().nLayers(),
                    cachePath).with(prompts);
            MatTrainingJob.Outcome o;
            MatLayerSearch.Outcome search = null;
            if (layers != null) {
                List<Integer> chosen = LayerSelection.parse("--layers", layers, model.config().nLayers());
                Path stem = cachePath;
                search = MatLayerSearch.run(model, engine, request, chosen,
                        MatDataOptions.positive("--dev-items", devItems),
                        stem == null ? null : l -> stem.resolveSibling(stem.getFileName().toString()
                                .replaceFirst("\\.safetensors$", "") + ".layer" + l + ".safetensors"), System.err);
                o = search.best();
            } else {
                o = MatTrainingJob.run(model, engine, request, System.err);
            }
            o.checkpoint().save(checkpoint);
            print(o, search, checkpoint);
        }
        return 0;
    }

    private void print(MatTrainingJob.Outcome o, MatLayerSearch.Outcome search, Path checkpoint) throws Exception {
        PrintStream p = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        var r = o.result();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("checkpoint", checkpoint.toString());
            m.put("metadata", o.checkpoint().metadata());
            m.put("featureCacheHit", o.cacheHit());
            m.put("kernelAtMedian", r.kernelAtMedian());
            m.put("stepsPerEpoch", r.stepsPerEpoch());
            m.put("epochLosses", r.epochs());
            m.put("gatesBefore", o.gatesBefore());
            m.put("gatesAfter", o.gatesAfter());
            if (search != null) {
                m.put("layerSearch", search.layers());
            }
            p.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
            return;
        }
        var meta = o.checkpoint().metadata();
        if (search != null) {
            p.println("layer search (mean dev MC2 over tasks):");
            for (var l : search.layers()) {
                p.printf(Locale.ROOT, "  layer %2d  %.4f%s%n", l.layer(), l.meanDevMc2(), l.layer() == search.bestLayer() ? "  <- kept" : "");
            }
        }
        p.printf(Locale.ROOT, "MAT-Steer on %s at %s: %d attributes, d = %d%n", meta.model(), meta.site(), meta.attributes().size(), meta.dim());
        p.printf(Locale.ROOT, "median pairwise distance %.4g; sigma %.4g (%s); kernel at the median %.3g%s%n", r.medianDistance(),
                r.sigma(), meta.bandwidth(), r.kernelAtMedian(), r.kernelIsFlat() ? "  (flat: MMD gives no gradient)" : "");
        p.printf(Locale.ROOT, "k = %d per attribute and polarity, %d steps per epoch, %d epochs%n", r.k(), r.stepsPerEpoch(), meta.epochs());
        p.println("loss before: " + r.before());
        p.println("loss after:  " + r.after());
        p.println("own gate (train features)   positives  negatives   before: pos    neg");
        for (int i = 0; i < o.gatesAfter().size(); i++) {
            var a = o.gatesAfter().get(i);
            var b = o.gatesBefore().get(i);
            p.printf(Locale.ROOT, "  %-12s (%4d+/%4d-)   %.4f     %.4f            %.4f  %.4f%n", a.attribute(), a.positives(),
                    a.negatives(), a.gateOnPositives(), a.gateOnNegatives(), b.gateOnPositives(), b.gateOnNegatives());
        }
        StringBuilder norms = new StringBuilder();
        var params = o.checkpoint().parameters();
        for (int t = 0; t < params.attributeCount(); t++) {
            norms.append(String.format(Locale.ROOT, "  %s %.3f / %.3f", params.attributes().get(t), norm(params.theta()[t]),
                    norm(o.checkpoint().baselineVectors()[t])));
        }
        p.println("vector norms (theta / CAA mean difference):" + norms
                + (meta.thetaNorm() > 0 ? String.format(Locale.ROOT, "  (theta held at %.3g)", meta.thetaNorm()) : ""));
        p.println("wrote " + checkpoint + " and " + MatCheckpoint.metadataPath(checkpoint));
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x * (double) x;
        }
        return Math.sqrt(s);
    }
}
