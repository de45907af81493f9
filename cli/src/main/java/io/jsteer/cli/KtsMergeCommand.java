package io.jsteer.cli;

import io.jsteer.model.LoadedModel;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraFiles;
import io.jsteer.model.lora.MergedWeights;
import io.jsteer.tensor.DType;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.quant.GgufConverter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Folds a LoRA adapter into the base model and writes a GGUF that needs no adapter. */
@Command(name = "merge", description = "Merge a LoRA adapter (a KTS run's, or any PEFT directory) into the model and write a GGUF "
        + "that needs no adapter (W' = W + alpha/r * B A for every adapted projection; 2-D weights stored in --dtype).",
        footer = {"", "Examples:", "  jsteer kts merge --run kts-run --out kts-merged.gguf",
                "  jsteer kts merge --lora kts-run/adapter --model stories260K --out kts-q8.gguf --dtype q8_0"})
final class KtsMergeCommand implements Callable<Integer> {

    @Mixin CommonOptions common;

    static final class Source {
        @Option(names = "--run", paramLabel = "DIR", description = "a run directory written by kts train (uses DIR/adapter)")
        Path run;
        @Option(names = "--lora", paramLabel = "DIR", description = "a PEFT adapter directory (adapter_config.json + adapter_model.safetensors)")
        Path lora;

        Path adapterDir() {
            return run != null ? new KtsRunFiles(run).adapter() : lora;
        }
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "output .gguf (written atomically)")
    Path out;

    @Option(names = "--dtype", defaultValue = "f32", description = "type of 2-D weights: f32, f16, bf16, q8_0, q4_0 (default: ${DEFAULT-VALUE})")
    String dtype;

    @Override
    public Integer call() throws Exception {
        DType target = DType.parse(dtype);
        Path adapterDir = source.adapterDir();
        Engines.requireCpu(common.engine, "kts merge", "merging folds the adapter into a new weights file; it runs no model");
        try (LoadedModel model = common.load()) {
            LoraAdapter adapter = LoraFiles.load(adapterDir, model.config());
            ModelWeights merged = MergedWeights.of(model, adapter);
            Map<String, Object> extra = new LinkedHashMap<>();
            if (!merged.metadata().containsKey("tokenizer.ggml.tokens")) {
                extra.putAll(ConvertCommand.vocabularyMetadata(model.tokenizer()));
            }
            extra.put("jsteer.lora.merged", adapterDir.toAbsolutePath().normalize().toString());
            extra.put("general.name", model.name() + "+lora");
            long t0 = System.nanoTime();
            GgufConverter.convert(merged, target, extra, out);
            System.err.printf("jsteer: merged %s (r %d, alpha %.3g, %s) into %s: wrote %s (%s, %.1f MiB) in %.1f s%n",
                    adapterDir, adapter.rank(), adapter.alpha(), adapter.labels(), model.name(), out, target.label(),
                    Files.size(out) / 1048576.0, (System.nanoTime() - t0) / 1e9);
            System.out.println(out);
        }
        return 0;
    }
}
