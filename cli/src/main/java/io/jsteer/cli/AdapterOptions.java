package io.jsteer.cli;

import io.jsteer.cli.serve.ProbeGate;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraFiles;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** KTS deployment flags of run and serve: a LoRA adapter on the engine, a probe gate on the steering. */
final class AdapterOptions {

    @Option(names = "--lora", paramLabel = "DIR",
            description = "apply a LoRA adapter (PEFT directory: adapter_config.json + adapter_model.safetensors, e.g. a KTS run's "
                    + "adapter/), on either engine")
    Path lora;

    @Option(names = "--gate", paramLabel = "FILE[:THRESHOLD]",
            description = "a KTS probe gate (gate.json from 'jsteer kts eval'): the steering is applied only to prompts whose "
                    + "score exceeds THRESHOLD (default: the file's)")
    String gate;

    /** The adapter of --lora read for the model, or null. */
    LoraAdapter adapter(LlamaConfig config) {
        return lora == null ? null : LoraFiles.load(lora, config);
    }

    /** Puts {@code adapter} on {@code engine} (an engine that cannot apply it says so, naming the targets). */
    static InferenceEngine attach(InferenceEngine engine, LoraAdapter adapter) {
        if (adapter != null) {
            engine.setAdapter(adapter);
        }
        return engine;
    }

    /** Reads --lora and puts it on the engine; one line on stderr saying what was applied. */
    void attachTo(LoadedModel model, InferenceEngine engine) {
        LoraAdapter adapter = adapter(model.config());
        if (adapter != null) {
            attach(engine, adapter);
            System.err.printf("lora: %s (r %d, alpha %.3g, %s)%n", lora, adapter.rank(), adapter.alpha(), adapter.labels());
        }
    }

    /** The gate of --gate, or null. */
    ProbeGate probeGate(LlamaConfig config) throws IOException {
        return gate == null ? null : ProbeGate.parse(gate, config);
    }
}
