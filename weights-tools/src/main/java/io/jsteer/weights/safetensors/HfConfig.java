package io.jsteer.weights.safetensors;

import io.jsteer.weights.InputFiles;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.weights.LlamaKeys;
import io.jsteer.weights.WeightFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fields of a Hugging Face config.json that the model needs, with HF's defaults for the
 * optional ones. {@code architecture} is the GGUF architecture of the family ({@code model_type}
 * llama and mistral → llama, qwen2, qwen3); {@code slidingWindow} is Mistral v0.1's window, 0 for none.
 */
public record HfConfig(int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
                       int numKeyValueHeads, long maxPositionEmbeddings, double rmsNormEps, double ropeTheta,
                       Integer headDim, Long vocabSize, Boolean tieWordEmbeddings, RopeScaling ropeScaling,
                       String name, String architecture, long slidingWindow) {

    /** config.json's rope_scaling (llama3 style carries all fields; linear only a factor). */
    public record RopeScaling(String type, Double factor, Double lowFreqFactor, Double highFreqFactor,
                              Long originalContextLength) {
    }

    /** config.json's model_type → GGUF general.architecture (Mistral is a llama with a window). */
    private static final Map<String, String> FAMILIES = Map.of("llama", "llama", "mistral", "llama", "qwen2", "qwen2",
            "qwen3", "qwen3");

    public static HfConfig read(Path configJson) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(InputFiles.readText("", configJson, InputFiles.TEXT_LIMIT));
        } catch (JsonProcessingException e) {
            throw new WeightFormatException(configJson, "config.json", "invalid JSON: " + e.getOriginalMessage());
        } catch (IllegalArgumentException e) { // not a regular file, too large, or not UTF-8: the message names the file
            throw new WeightFormatException(configJson, "config.json", e.getMessage().substring(e.getMessage().indexOf(": ") + 2));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + configJson, e);
        }
        if (root == null || !root.isObject()) {
            throw new WeightFormatException(configJson, "config.json", "must be a JSON object");
        }
        int hidden = positiveInt(configJson, root, "hidden_size");
        int heads = positiveInt(configJson, root, "num_attention_heads");
        int kvHeads = root.has("num_key_value_heads") && !root.get("num_key_value_heads").isNull()
                ? positiveInt(configJson, root, "num_key_value_heads") : heads;
        if (heads % kvHeads != 0) {
            throw new WeightFormatException(configJson, "num_key_value_heads", "does not divide num_attention_heads " + heads, kvHeads);
        }
        Integer headDim = root.hasNonNull("head_dim") ? positiveInt(configJson, root, "head_dim") : null;
        if (headDim == null && hidden % heads != 0) {
            throw new WeightFormatException(configJson, "num_attention_heads", "does not divide hidden_size " + hidden, heads);
        }
        RopeScaling scaling = null;
        JsonNode rs = root.get("rope_scaling");
        if (rs != null && !rs.isNull()) {
            if (!rs.isObject()) {
                throw new WeightFormatException(configJson, "rope_scaling", "must be an object", rs);
            }
            String type = rs.hasNonNull("rope_type") ? rs.get("rope_type").asText()
                    : rs.hasNonNull("type") ? rs.get("type").asText() : null;
            scaling = new RopeScaling(type, optDouble(configJson, rs, "factor", "rope_scaling."),
                    optDouble(configJson, rs, "low_freq_factor", "rope_scaling."),
                    optDouble(configJson, rs, "high_freq_factor", "rope_scaling."),
                    rs.hasNonNull("original_max_position_embeddings")
                            ? positiveLong(configJson, rs, "original_max_position_embeddings") : null);
        }
        String modelType = root.hasNonNull("model_type") ? root.get("model_type").asText() : "llama";
        String arch = FAMILIES.get(modelType);
        if (arch == null) {
            throw new WeightFormatException(configJson, "model_type", "is not a family jsteer runs (it runs "
                    + String.join(", ", new java.util.TreeSet<>(FAMILIES.keySet())) + ")", modelType);
        }
        if (root.hasNonNull("attention_bias") && root.get("attention_bias").asBoolean() && !arch.equals("qwen2")) {
            throw new WeightFormatException(configJson, "attention_bias", "true is not supported for model_type " + modelType);
        }
        // Mistral v0.1 states its window; Qwen2 configs carry one that is used only when use_sliding_window is true
        long window = 0;
        if (root.hasNonNull("sliding_window") && (modelType.equals("mistral")
                || root.hasNonNull("use_sliding_window") && root.get("use_sliding_window").asBoolean())) {
            window = positiveLong(configJson, root, "sliding_window");
        }
        return new HfConfig(hidden, positiveInt(configJson, root, "intermediate_size"),
                positiveInt(configJson, root, "num_hidden_layers"), heads, kvHeads,
                root.hasNonNull("max_position_embeddings") ? positiveLong(configJson, root, "max_position_embeddings") : 2048,
                orDefault(optDouble(configJson, root, "rms_norm_eps", ""), 1e-6),
                orDefault(optDouble(configJson, root, "rope_theta", ""), 10000.0),
                headDim,
                root.hasNonNull("vocab_size") ? positiveLong(configJson, root, "vocab_size") : null,
                root.hasNonNull("tie_word_embeddings") ? root.get("tie_word_embeddings").asBoolean() : null,
                scaling,
                root.hasNonNull("_name_or_path") ? root.get("_name_or_path").asText() : null, arch, window);
    }

    /** The unified view's metadata for this config ({@code tied}: whether the classifier is the embedding). */
    public Map<String, Object> toMetadata(String fallbackName, boolean tied) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(LlamaKeys.ARCHITECTURE, "llama");
        m.put(LlamaKeys.NAME, name != null && !name.isBlank() ? name : fallbackName);
        m.put(LlamaKeys.CONTEXT_LENGTH, maxPositionEmbeddings);
        m.put(LlamaKeys.EMBEDDING_LENGTH, (long) hiddenSize);
        m.put(LlamaKeys.FEED_FORWARD_LENGTH, (long) intermediateSize);
        m.put(LlamaKeys.BLOCK_COUNT, (long) numHiddenLayers);
        m.put(LlamaKeys.HEAD_COUNT, (long) numAttentionHeads);
        m.put(LlamaKeys.HEAD_COUNT_KV, (long) numKeyValueHeads);
        m.put(LlamaKeys.RMS_EPSILON, (float) rmsNormEps);
        m.put(LlamaKeys.ROPE_FREQ_BASE, (float) ropeTheta);
        m.put(LlamaKeys.ROPE_DIMENSION_COUNT, (long) headSize());
        if (headDim != null && headDim * numAttentionHeads != hiddenSize) {
            m.put("llama.attention.key_length", (long) (int) headDim);
            m.put("llama.attention.value_length", (long) (int) headDim);
        }
        if (vocabSize != null) {
            m.put(LlamaKeys.VOCAB_SIZE, vocabSize);
        }
        if (ropeScaling != null) {
            if (ropeScaling.type() != null) {
                m.put(LlamaKeys.ROPE_SCALING_TYPE, ropeScaling.type());
            }
            if (ropeScaling.factor() != null) {
                m.put(LlamaKeys.ROPE_SCALING_FACTOR, ropeScaling.factor().floatValue());
            }
            if (ropeScaling.lowFreqFactor() != null) {
                m.put(LlamaKeys.ROPE_SCALING_LOW_FREQ_FACTOR, ropeScaling.lowFreqFactor().floatValue());
            }
            if (ropeScaling.highFreqFactor() != null) {
                m.put(LlamaKeys.ROPE_SCALING_HIGH_FREQ_FACTOR, ropeScaling.highFreqFactor().floatValue());
            }
            if (ropeScaling.originalContextLength() != null) {
                m.put(LlamaKeys.ROPE_SCALING_ORIGINAL_CONTEXT, ropeScaling.originalContextLength());
            }
        }
        if (slidingWindow > 0) {
            m.put("llama.attention.sliding_window", slidingWindow);
        }
        m.put(LlamaKeys.ROPE_STYLE, LlamaKeys.ROPE_STYLE_NEOX);
        m.put(LlamaKeys.TIED_EMBEDDINGS, tied);
        return LlamaKeys.forArchitecture(m, architecture);
    }

    public int headSize() {
        return headDim != null ? headDim : hiddenSize / numAttentionHeads;
    }

    private static int positiveInt(Path file, JsonNode root, String key) {
        long v = positiveLong(file, root, key);
        if (v > Integer.MAX_VALUE) {
            throw new WeightFormatException(file, key, "too large", v);
        }
        return (int) v;
    }

    private static long positiveLong(Path file, JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() <= 0) {
            throw new WeightFormatException(file, key, n == null ? "missing" : "must be a positive integer", n);
        }
        return n.asLong();
    }

    private static Double optDouble(Path file, JsonNode root, String key, String prefix) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isNumber()) {
            throw new WeightFormatException(file, prefix + key, "must be a number", n);
        }
        return n.asDouble();
    }

    private static double orDefault(Double v, double d) {
        return v != null ? v : d;
    }
}
