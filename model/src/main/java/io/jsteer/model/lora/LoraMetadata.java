package io.jsteer.model.lora;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * {@code adapter_config.json} of an adapter directory: the PEFT fields a PEFT/transformers loader
 * reads, plus jsteer's own ({@code jsteer_*}) that tie the file to a model shape. Unknown PEFT
 * fields in foreign files are ignored.
 *
 * @param peftType            always {@code "LORA"}
 * @param baseModel           the model it was trained on (provenance; not enforced)
 * @param rank                r
 * @param alpha               the scale is alpha / r
 * @param dropout             dropout used in training (recorded; inference has none)
 * @param targetModules       HF module names: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj
 * @param layersToTransform   PEFT's subset of adapted blocks (0-based), null for every block; a single
 *                            number is read as a one-element list, as PEFT allows
 * @param jsteerFormat        {@link #FORMAT} when written by jsteer, null for foreign files
 * @param jsteerLayers        blocks of the model (0 when absent: taken from the tensors)
 * @param jsteerDim           width of the model (0 when absent)
 * @param jsteerQkRows        row order of the q/k lora_B matrices: {@code "neox"} (Hugging Face's, the PEFT
 *                            convention, and the default when absent) or {@code "normal"}
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.ALWAYS)
public record LoraMetadata(
        @JsonProperty("peft_type") String peftType,
        @JsonProperty("base_model_name_or_path") String baseModel,
        @JsonProperty("r") int rank,
        @JsonProperty("lora_alpha") double alpha,
        @JsonProperty("lora_dropout") double dropout,
        @JsonProperty("target_modules") List<String> targetModules,
        @JsonProperty("layers_to_transform") @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
        List<Integer> layersToTransform,
        @JsonProperty("bias") String bias,
        @JsonProperty("task_type") String taskType,
        @JsonProperty("fan_in_fan_out") boolean fanInFanOut,
        @JsonProperty("jsteer_format") String jsteerFormat,
        @JsonProperty("jsteer_layers") int jsteerLayers,
        @JsonProperty("jsteer_dim") int jsteerDim,
        @JsonProperty("jsteer_qk_rows") String jsteerQkRows) {

    public static final String PEFT_TYPE = "LORA";
    public static final String FORMAT = "jsteer-lora-v2";
    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    public LoraMetadata {
        targetModules = targetModules == null ? null : List.copyOf(targetModules);
        layersToTransform = layersToTransform == null ? null : List.copyOf(layersToTransform);
    }

    /**
     * What jsteer writes for an adapter of a model with {@code layers} blocks of width {@code dim}
     * ({@code layersToTransform} null: every block).
     */
    public static LoraMetadata of(String baseModel, int rank, double alpha, double dropout, List<String> targetModules,
                                  List<Integer> layersToTransform, int layers, int dim) {
        return new LoraMetadata(PEFT_TYPE, baseModel, rank, alpha, dropout, targetModules, layersToTransform, "none",
                "CAUSAL_LM", false, FORMAT, layers, dim, "neox");
    }
}
