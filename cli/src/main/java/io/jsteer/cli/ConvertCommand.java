package io.jsteer.cli;

import io.jsteer.model.ModelLoader;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.model.tokenizer.Vocabulary;
import io.jsteer.tensor.DType;
import io.jsteer.weights.ModelFiles;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.quant.GgufConverter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Converts llama2.c .bin, safetensors or GGUF to GGUF, optionally quantizing. */
@Command(name = "convert", description = "Convert a model to GGUF (f32, f16, bf16, q8_0, q4_0, q4_k, q6_k), embedding its tokenizer.",
        footer = {"", "Example:", "  jsteer convert ../shared/models/stories260K.bin stories260K-q8_0.gguf --dtype q8_0 --tokenizer ../shared/models/tok512.bin"})
final class ConvertCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IN", description = "input model (.bin, .safetensors, model directory, .gguf)")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "output .gguf (written atomically)")
    Path out;

    @Option(names = "--dtype", defaultValue = "f32", description = "type of 2-D weights: f32, f16, bf16, q8_0, q4_0, q4_k, q6_k (K-quants need rows of a multiple of 256; "
            + "shorter rows fall back to q8_0 and stderr says so) (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "tokenizer to embed when the input carries none")
    Path tokenizer;

    @Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        DType target = DType.parse(dtype);
        // Load through the model loader first: it checks the config, shapes and tokenizer fit.
        try (var model = ModelLoader.load(in, tokenizer); ModelWeights w = ModelFiles.open(in)) {
            Map<String, Object> extra = new LinkedHashMap<>();
            if (!w.metadata().containsKey("tokenizer.ggml.tokens")) {
                extra.putAll(vocabularyMetadata(model.tokenizer()));
            }
            long t0 = System.nanoTime();
            var fallback = w.tensors().values().stream()
                    .filter(t -> t.rank() == 2 && GgufConverter.storedType(t, target) != target).toList();
            if (!fallback.isEmpty() && fallback.size() < w.tensors().values().stream().filter(t -> t.rank() == 2).count()) {
                System.err.printf("jsteer: %d of the weights have rows that are not whole %s blocks of %d; they are written as %s (e.g. %s, rows of %d)%n",
                        fallback.size(), target.label(), target.blockSize(), GgufConverter.storedType(fallback.get(0), target).label(),
                        fallback.get(0).name(), fallback.get(0).cols());
            }
            GgufConverter.convert(w, target, extra, out);
            System.err.printf("jsteer: wrote %s (%s, %.1f MiB) in %.1f s%n", out, target.label(),
                    java.nio.file.Files.size(out) / 1048576.0, (System.nanoTime() - t0) / 1e9);
            System.out.println(out);
        }
        return 0;
    }

    /** The tokenizer as GGUF tokenizer.ggml.* keys. */
    static Map<String, Object> vocabularyMetadata(Tokenizer tok) {
        Vocabulary v = tok.vocabulary();
        Map<String, Object> m = new LinkedHashMap<>();
        boolean spm = v.kind() == Vocabulary.Kind.SENTENCEPIECE_BPE;
        m.put("tokenizer.ggml.model", spm ? "llama" : "gpt2");
        if (v.preTokenizer() != null) {
            m.put("tokenizer.ggml.pre", v.preTokenizer());
        }
        List<Object> pieces = new ArrayList<>(), scores = new ArrayList<>(), types = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            pieces.add(v.pieces()[i]);
            scores.add(v.scores()[i]);
            types.add((long) v.tokenTypes()[i]);
        }
        m.put("tokenizer.ggml.tokens", pieces);
        m.put("tokenizer.ggml.scores", scores);
        m.put("tokenizer.ggml.token_type", types);
        if (!v.merges().isEmpty()) {
            m.put("tokenizer.ggml.merges", new ArrayList<Object>(v.merges()));
        }
        m.put("tokenizer.ggml.bos_token_id", (long) v.bos());
        m.put("tokenizer.ggml.eos_token_id", (long) v.eos());
        if (v.unk() >= 0) {
            m.put("tokenizer.ggml.unknown_token_id", (long) v.unk());
        }
        m.put("tokenizer.ggml.add_bos_token", v.addBos());
        return m;
    }
}
