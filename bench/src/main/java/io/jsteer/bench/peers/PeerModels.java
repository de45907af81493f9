package io.jsteer.bench.peers;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsteer.bench.BenchModels;
import io.jsteer.weights.AtomicFileWriter;
import io.jsteer.weights.ModelFiles;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.safetensors.HfModelWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The very weights of a benchmark GGUF as a Hugging Face checkpoint directory, for the peers that
 * read safetensors (Jlama's loader, the DJL port): {@code config.json}, {@code model.safetensors}
 * (float32, Q/K rows in HF's rotate-half order) and a placeholder {@code tokenizer.json}.
 */
public final class PeerModels {

    private PeerModels() {}

    /** The HF directory of benchmark model {@code shape} (f32), written next to its GGUF on first use. */
    public static Path ensureHf(String shape) throws IOException {
        Path gguf = BenchModels.ensure(shape, "f32");
        Path dir = gguf.resolveSibling(gguf.getFileName().toString().replace(".gguf", "-hf"));
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            System.err.println("jsteer bench: writing the same weights as safetensors + config.json to " + dir + " (once)");
            writeHf(gguf, dir);
        }
        return dir;
    }

    /** Writes {@code model} (any format jsteer reads) as an HF directory that Jlama and the DJL port load. */
    public static void writeHf(Path model, Path dir) throws IOException {
        long vocab;
        try (ModelWeights w = ModelFiles.open(model)) {
            vocab = w.tensor(io.jsteer.weights.LlamaKeys.TOKEN_EMBD).shape()[0];
            HfModelWriter.write(w, dir);
        }
        writeReadme(dir);
        // last, so that a directory with tokenizer.json is complete
        AtomicFileWriter.write(dir.resolve("tokenizer.json"), out -> out.bytes(placeholderTokenizer(vocab)));
    }

    /** Jlama's quantizer copies a README.md along with the config and fails without one. */
    private static void writeReadme(Path dir) throws IOException {
        AtomicFileWriter.write(dir.resolve("README.md"), out -> out.bytes(
                "Random-weight llama written by jsteer for the peer benchmarks.\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    /**
     * The HF directory quantized by Jlama's own quantizer ({@code SafeTensorSupport.quantizeModel}, what
     * its {@code quantize} command runs), written once next to it as {@code <dir>-J<TYPE>}. Jlama reads
     * quantized weights only from such files: asked to quantize at load time it leaves the projection
     * weights it loads row-split in F32.
     */
    public static Path ensureJlamaQuantized(Path hfDir, com.github.tjake.jlama.safetensors.DType type) throws IOException {
        Path out = hfDir.resolveSibling(hfDir.getFileName() + "-J" + type.name());
        if (!Files.isRegularFile(out.resolve("model.safetensors"))) {
            if (!Files.isRegularFile(hfDir.resolve("README.md"))) {
                writeReadme(hfDir);
            }
            System.err.println("jsteer bench: quantizing " + hfDir.getFileName() + " with Jlama's quantizer to " + out + " (once)");
            AtomicFileWriter.writeDirectory(out, tmp -> com.github.tjake.jlama.safetensors.SafeTensorSupport.quantizeModel(
                    hfDir, type, null, null, java.util.Optional.of(tmp)));
        }
        return out;
    }

    /**
     * Jlama's loader insists on a tokenizer.json; the benchmark feeds token ids, so a vocabulary of
     * one opaque piece per id ("<t0>", "<t1>", ...) with no merges is enough and encodes nothing.
     */
    static byte[] placeholderTokenizer(long vocab) throws IOException {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("version", "1.0");
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.put("unk_token", "<t0>");
        model.put("byte_fallback", false);
        ObjectNode v = model.putObject("vocab");
        for (long i = 0; i < vocab; i++) {
            v.put("<t" + i + ">", i);
        }
        model.putArray("merges");
        return om.writeValueAsBytes(root);
    }
}
