package io.jsteer.cli;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.Generator;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.Sampler;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.steering.sweep.SentimentSweepDemo;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.model.tokenizer.StreamingDecoder;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.tensor.Parallel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The README's first command: finds (or downloads) stories260K, tells a greedy story, then tells
 * it again with a happy-minus-sad steering vector added to the residual stream.
 */
@Command(name = "demo", description = "Generate a story with stories260K, then the same story steered towards 'happy'.",
        footer = {"", "Example:", "  jsteer demo --strength 6"})
final class DemoCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Option(names = "--prompt", defaultValue = "Once upon a time", description = "story start (default: ${DEFAULT-VALUE})")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "120", description = "tokens per story (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--layer", defaultValue = "1", description = "steered block, resid_post:LAYER (default: ${DEFAULT-VALUE})")
    int layer;

    @Option(names = "--strength", defaultValue = "1.5",
            description = "length of the unit happy-sad direction added at every position (default: ${DEFAULT-VALUE})")
    float strength;

    @Override
    public Integer call() throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        java.nio.file.Path path;
        try {
            path = ModelLocator.resolve(common.model);
        } catch (IllegalArgumentException notFound) {
            if (!KnownModelNames.isKnown(common.model)) {
                throw notFound;
            }
            System.err.println("jsteer: " + common.model + " not found locally; downloading it");
            path = PullCommand.pull(common.model, ModelLocator.userCache(System.getenv(), java.nio.file.Path.of(System.getProperty("user.home"))));
        }
        try (LoadedModel model = io.jsteer.model.ModelLoader.load(path, common.tokenizer);
             Parallel par = new Parallel(common.threadCount())) {
            Tokenizer tok = model.tokenizer();
            if (layer < 0 || layer >= model.config().nLayers()) {
                throw new IllegalArgumentException("--layer must be in 0.." + (model.config().nLayers() - 1) + ", got " + layer);
            }
            System.err.printf("jsteer: %s (%s, %d blocks, dim %d, %,d parameters)%n", model.name(), Files.isDirectory(path) ? "directory" : model.file().format(),
                    model.config().nLayers(), model.config().dim(), model.config().parameterCount());

            out.println("== Unsteered story (greedy) ==");
            story(model, par, null, out);

            VectorSet happy;
            try (InferenceEngine engine = Engines.create(common.engine, model, 256, par)) {
                happy = SentimentSweepDemo.happyMinusSad(engine, tok, model.name());
            }
            out.printf("%n== Steered: + %.1f x unit(happy - sad) at resid_post:%d, every position ==%n", strength, layer);
            story(model, par, happy.interventions(List.of(layer), strength, Positions.ALL), out);
        }
        return 0;
    }

    private void story(LoadedModel model, Parallel par, InterventionSet steering, PrintStream out) {
        Tokenizer tok = model.tokenizer();
        try (InferenceEngine engine = Engines.create(common.engine, model, maxTokens + 64, par)) {
            engine.setInterventions(steering); // the one steering door: device kernels on the GPU engine
            int[] ids = tok.encode(prompt, true);
            StreamingDecoder d = tok.newDecoder();
            StringBuilder text = new StringBuilder();
            for (int id : ids) {
                text.append(d.accept(id));
            }
            var r = new Generator(engine).generate(ids, maxTokens, Sampler.greedy(), t -> t == tok.bos() || t == tok.eos(),
                    (p, n) -> text.append(d.accept(n)));
            text.append(d.flush());
            out.println(text);
            System.err.printf("jsteer: %d tokens at %.0f tok/s%n", r.generatedCount(), r.decodeTokensPerSecond());
        }
    }
}
