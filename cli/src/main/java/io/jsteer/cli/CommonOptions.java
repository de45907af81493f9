package io.jsteer.cli;

import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.chat.ChatTemplates;
import io.jsteer.model.chat.ModelChatTemplate;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Flags shared by the commands that load a model (same names and meaning everywhere; -m and -t as in llama.cpp). */
final class CommonOptions {

    @Option(names = {"-m", "--model"}, paramLabel = "PATH|NAME",
            description = "model file (.gguf, llama2.c .bin, .safetensors or a model directory) or a known name "
                    + "(default: ${DEFAULT-VALUE}); names are looked up in $JSTEER_MODELS, ../shared/models, then the user cache",
            defaultValue = "stories260K")
    String model;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "tokenizer file when the model carries none")
    Path tokenizer;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--engine", paramLabel = "cpu|tornado", defaultValue = "cpu",
            description = "inference engine (default: ${DEFAULT-VALUE})")
    String engine;

    @Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    int threadCount() {
        int n = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (n < 1 || n > 4096) {
            throw new UsageException("--threads must be between 1 and 4096, got " + n);
        }
        return n;
    }

    /**
     * The chat template for {@code model} (its own Jinja template, else a built-in fallback; see
     * {@link ChatTemplates#choose}), announced on stderr as {@code "<command>: chat template: ..."}.
     *
     * @param requested the --template value, or null
     */
    ChatTemplates.Choice chatTemplate(String command, LoadedModel model, String requested) {
        ChatTemplates.Choice choice = ChatTemplates.choose(model.tokenizer(),
                ModelChatTemplate.find(model.file().path(), model.file().metadata(), tokenizer), model.name(), requested);
        System.err.println(command + ": chat template: " + choice.description());
        return choice;
    }

    LoadedModel load() {
        Engines.requireSupported(engine);
        Path path = ModelLocator.resolve(model);
        return ModelLoader.load(path, tokenizer);
    }
}
