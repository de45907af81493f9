package io.jsteer.model;

import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.model.tokenizer.Tokenizers;
import io.jsteer.model.tokenizer.Vocabulary;
import io.jsteer.tensor.FloatTensor;
import io.jsteer.weights.ModelFiles;
import io.jsteer.weights.InputFiles;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Opens a model file of any supported format together with the right tokenizer. */
public final class ModelLoader {

    private ModelLoader() {}

    /**
     * @param model     a .gguf, llama2.c .bin, .safetensors file or a Hugging Face model directory
     * @param tokenizer an explicit tokenizer file, or null to use the one inside or beside the model
     */
    public static LoadedModel load(Path model, Path tokenizer) {
        ModelWeights file = ModelFiles.open(model);
        try {
            LlamaConfig config = LlamaConfig.fromMetadata(file.metadata());
            LlamaWeights weights = LlamaWeights.load(config, lookup(file));
            Tokenizer tok = tokenizer != null ? openTokenizer(tokenizer, config.vocabSize()) : findTokenizer(file, config);
            if (tok.vocabSize() != config.vocabSize() && !paddedEmbedding(file, config, tok)) {
                throw new IllegalArgumentException("tokenizer " + (tokenizer != null ? tokenizer : "of " + model)
                        + " has " + tok.vocabSize() + " tokens but the model's vocabulary has " + config.vocabSize());
            }
            return new LoadedModel(file, config, weights, tok);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** Tensors of the file by GGUF name, shape-checked. */
    public static TensorLookup lookup(ModelWeights file) {
        return new TensorLookup() {
            @Override
            public boolean has(String name) {
                return file.hasTensor(name);
            }

            @Override
            public java.util.Set<String> names() {
                return file.tensors().keySet();
            }

            @Override
            public FloatTensor get(String name, long... shape) {
                TensorData t = file.tensor(name);
                if (!Arrays.equals(t.shape(), shape)) {
                    throw new IllegalArgumentException(file.path() + ": tensor " + name + " has shape "
                            + Arrays.toString(t.shape()) + ", the config needs " + Arrays.toString(shape));
                }
                FiniteWeights.check(file.path(), name, t.data()); // whole for small tensors, sampled for large ones
                return t.data();
            }
        };
    }

    /** Opens a tokenizer file by its kind: llama2.c .bin, SentencePiece .model, tokenizer.json or a GGUF. */
    public static Tokenizer openTokenizer(Path path) {
        return openTokenizer(path, -1);
    }

    private static Tokenizer openTokenizer(Path path, int vocabHint) {
        InputFiles.requireRegular("--tokenizer", path); // missing, a directory or a FIFO: one clear line, no blocking open
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".json")) {
            return Tokenizers.huggingFace(path);
        }
        if (name.endsWith(".model")) {
            return Tokenizers.sentencePieceModel(path);
        }
        if (name.endsWith(".gguf")) {
            try (ModelWeights vocabFile = ModelFiles.open(path)) {
                return Tokenizers.forVocabulary(Vocabulary.fromGgufMetadata(vocabFile.metadata()));
            }
        }
        // llama2.c tokenizer files do not store their size: take it from the model
        if (vocabHint <= 0) {
            throw new IllegalArgumentException("tokenizer " + path + " is a llama2.c tokenizer, whose size comes from the model;"
                    + " load it together with a model");
        }
        return Tokenizers.llama2c(path, vocabHint);
    }

    /** Most embedding rows a Hugging Face checkpoint may have beyond its tokenizer's tokens. */
    static final int MAX_EMBEDDING_PADDING = 1024;

    /**
     * Whether {@code tok} is a Hugging Face checkpoint's tokenizer for an embedding padded to a round
     * row count (Qwen2.5: 151,665 tokens, 152,064 rows): the extra rows belong to no token, and
     * the engines never predict them ({@link CpuEngine#limitVocabulary}).
     */
    static boolean paddedEmbedding(ModelWeights file, LlamaConfig config, Tokenizer tok) {
        int pad = config.vocabSize() - tok.vocabSize();
        return file.format() == io.jsteer.weights.ModelFormat.SAFETENSORS && pad > 0 && pad <= MAX_EMBEDDING_PADDING;
    }

    private static Tokenizer findTokenizer(ModelWeights file, LlamaConfig config) {
        if (file.metadata().containsKey("tokenizer.ggml.tokens")) {
            return Tokenizers.forVocabulary(Vocabulary.fromGgufMetadata(file.metadata()));
        }
        Path dir = file.path().toAbsolutePath().getParent();
        if (Files.isDirectory(file.path())) {
            dir = file.path();
        }
        List<String> tried = new ArrayList<>();
        for (String candidate : List.of("tokenizer.json", "tokenizer.model", "tok" + config.vocabSize() + ".bin", "tokenizer.bin")) {
            Path p = dir.resolve(candidate);
            tried.add(candidate);
            if (Files.isRegularFile(p)) {
                Tokenizer t = openTokenizer(p, config.vocabSize());
                if (t.vocabSize() == config.vocabSize() || paddedEmbedding(file, config, t)) {
                    return t;
                }
            }
        }
        throw new IllegalArgumentException(file.path() + " carries no vocabulary and none of " + String.join(", ", tried)
                + " beside it fits its " + config.vocabSize() + " tokens; pass --tokenizer FILE");
    }
}
