package io.jsteer.weights.safetensors;

import io.jsteer.weights.InputFiles;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.tensor.FloatTensor;
import io.jsteer.weights.LlamaKeys;
import io.jsteer.weights.ModelFormat;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import io.jsteer.weights.WeightFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads safetensors. {@link #open} gives a single file as it is (its own tensor names,
 * {@code __metadata__} strings as metadata): steering vectors and adapters. {@link #openModel}
 * reads a Hugging Face llama checkpoint (config.json + one file or shards listed in
 * model.safetensors.index.json), renames tensors to GGUF names and synthesizes llama metadata.
 */
public final class SafetensorsReader {

    public static final String INDEX_FILE = "model.safetensors.index.json";
    public static final String SINGLE_FILE = "model.safetensors";

    private SafetensorsReader() {}

    /** One safetensors file, names and metadata as stored. */
    public static ModelWeights open(Path file) {
        Arena arena = Arena.ofShared();
        try {
            Map<String, TensorData> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = mapFile(file, arena, tensors);
            return new ModelWeights(file, ModelFormat.SAFETENSORS, new LinkedHashMap<>(metadata), tensors, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * A llama model: a directory with config.json and safetensors, or one .safetensors file with
     * a config.json beside it (without one, the file is opened as it is).
     */
    public static ModelWeights openModel(Path path) {
        Path dir = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
        Path config = dir.resolve("config.json");
        if (!Files.isDirectory(path) && !Files.isRegularFile(config)) {
            return open(path);
        }
        if (!Files.isRegularFile(config)) {
            throw new WeightFormatException(path, "config.json", "missing: a Hugging Face model directory needs it");
        }
        HfConfig cfg = HfConfig.read(config);
        List<Path> files = Files.isDirectory(path) ? shardFiles(dir) : List.of(path);
        Arena arena = Arena.ofShared();
        try {
            Map<String, TensorData> hf = new LinkedHashMap<>();
            for (Path f : files) {
                mapFile(f, arena, hf);
            }
            checkIndexComplete(dir, hf);
            Map<String, TensorData> tensors = new LinkedHashMap<>();
            for (TensorData t : hf.values()) {
                String name = HfTensorNames.toGguf(t.name()).orElse(null);
                if (name != null) {
                    TensorData renamed = new TensorData(name, t.dtype(), t.shape(), t.data());
                    if (tensors.put(name, renamed) != null) {
                        throw new WeightFormatException(path, "tensor " + t.name(), "maps to " + name + " twice");
                    }
                }
            }
            boolean tied = Boolean.TRUE.equals(cfg.tieWordEmbeddings()) || !tensors.containsKey(LlamaKeys.OUTPUT);
            Map<String, Object> metadata = cfg.toMetadata(dir.getFileName() == null ? "model" : dir.getFileName().toString(), tied);
            TensorData embd = tensors.get(LlamaKeys.TOKEN_EMBD);
            if (embd != null && embd.rank() == 2) {
                metadata.putIfAbsent(cfg.architecture() + ".vocab_size", embd.shape()[0]);
            }
            return new ModelWeights(path, ModelFormat.SAFETENSORS, metadata, tensors, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The files of a model directory: the shards the index names (in order), or the single file. */
    static List<Path> shardFiles(Path dir) {
        Path index = dir.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            Set<Path> files = new LinkedHashSet<>();
            for (String shard : readIndex(index).values()) {
                files.add(dir.resolve(shard));
            }
            return List.copyOf(files);
        }
        if (Files.isRegularFile(dir.resolve(SINGLE_FILE))) {
            return List.of(dir.resolve(SINGLE_FILE));
        }
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.safetensors")) {
            ds.forEach(found::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        if (found.size() != 1) {
            throw new WeightFormatException(dir, "safetensors files", "expected " + SINGLE_FILE + ", " + INDEX_FILE
                    + " or exactly one *.safetensors file", found.size());
        }
        return found;
    }

    /** weight_map of an index: tensor name → shard file name (plain names inside the directory). */
    static Map<String, String> readIndex(Path index) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(InputFiles.readText("", index, InputFiles.TEXT_LIMIT));
        } catch (JsonProcessingException e) {
            throw new WeightFormatException(index, "index", "invalid JSON: " + e.getOriginalMessage());
        } catch (IllegalArgumentException e) {
            throw new WeightFormatException(index, "index", e.getMessage().substring(e.getMessage().indexOf(": ") + 2));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + index, e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new WeightFormatException(index, "weight_map", "missing or not an object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String shard = e.getValue().asText();
            // Shards must live in the model directory: no paths, so an index cannot point elsewhere.
            if (!e.getValue().isTextual() || shard.isEmpty() || shard.contains("/") || shard.contains("\\")
                    || shard.equals("..") || shard.equals(".")) {
                throw new WeightFormatException(index, "weight_map." + e.getKey(), "must be a file name in the model directory",
                        e.getValue());
            }
            if (!Files.isRegularFile(index.resolveSibling(shard))) {
                throw new WeightFormatException(index, "weight_map." + e.getKey(), "shard file not found", shard);
            }
            out.put(e.getKey(), shard);
        }
        return out;
    }

    private static void checkIndexComplete(Path dir, Map<String, TensorData> found) {
        Path index = dir.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            for (Map.Entry<String, String> e : readIndex(index).entrySet()) {
                if (!found.containsKey(e.getKey())) {
                    throw new WeightFormatException(dir.resolve(e.getValue()), "tensor " + e.getKey(),
                            "listed in " + INDEX_FILE + " but missing from the shard");
                }
            }
        }
    }

    /** Validates one file's header, maps it and adds its tensors under their stored names. */
    private static Map<String, String> mapFile(Path file, Arena arena, Map<String, TensorData> into) {
        InputFiles.requireRegular("", file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            SafetensorsHeader header = SafetensorsHeader.read(file, channel);
            for (SafetensorsEntry e : header.entries()) {
                if (into.containsKey(e.name())) {
                    throw new WeightFormatException(file, "tensor " + e.name(), "also present in another shard");
                }
            }
            MemorySegment all = channel.map(FileChannel.MapMode.READ_ONLY, 0, header.fileSize(), arena);
            for (SafetensorsEntry e : header.entries()) {
                MemorySegment slice = all.asSlice(header.dataStart() + e.begin(), e.end() - e.begin());
                long count = TensorData.elementCount(e.shape());
                into.put(e.name(), new TensorData(e.name(), e.dtype(), e.shape(), FloatTensor.wrap(e.dtype(), slice, count)));
            }
            return header.metadata();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
