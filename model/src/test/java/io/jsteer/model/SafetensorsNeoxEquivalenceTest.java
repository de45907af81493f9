package io.jsteer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jsteer.tensor.Parallel;
import io.jsteer.weights.ModelFormat;
import io.jsteer.weights.quant.RopePermutation;
import io.jsteer.weights.safetensors.SafetensorsTensor;
import io.jsteer.weights.safetensors.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * stories260K rewritten as a Hugging Face checkpoint (HF tensor names, Q/K rows in the
 * rotate-half layout, config.json) must compute the same logits as the llama2.c file: this checks
 * the safetensors path, the neox RoPE of the engine and the untied classifier in one go.
 */
class SafetensorsNeoxEquivalenceTest {

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void huggingFaceLayoutGivesTheSameLogits(boolean tied, @TempDir Path dir) throws Exception {
        try (LoadedModel bin = TestModels.storiesBin()) {
            LlamaConfig c = bin.config();
            List<SafetensorsTensor> tensors = new ArrayList<>();
            var src = bin.file();
            tensors.add(t("model.embed_tokens.weight", src.tensor("token_embd.weight")));
            tensors.add(t("model.norm.weight", src.tensor("output_norm.weight")));
            if (!tied) {
                tensors.add(t("lm_head.weight", src.tensor("token_embd.weight")));
            }
            for (int l = 0; l < c.nLayers(); l++) {
                String g = "blk." + l + ".", h = "model.layers." + l + ".";
                tensors.add(neox(h + "self_attn.q_proj.weight", src.tensor(g + "attn_q.weight"), c.headSize()));
                tensors.add(neox(h + "self_attn.k_proj.weight", src.tensor(g + "attn_k.weight"), c.headSize()));
                tensors.add(t(h + "self_attn.v_proj.weight", src.tensor(g + "attn_v.weight")));
                tensors.add(t(h + "self_attn.o_proj.weight", src.tensor(g + "attn_output.weight")));
                tensors.add(t(h + "mlp.gate_proj.weight", src.tensor(g + "ffn_gate.weight")));
                tensors.add(t(h + "mlp.down_proj.weight", src.tensor(g + "ffn_down.weight")));
                tensors.add(t(h + "mlp.up_proj.weight", src.tensor(g + "ffn_up.weight")));
                tensors.add(t(h + "input_layernorm.weight", src.tensor(g + "attn_norm.weight")));
                tensors.add(t(h + "post_attention_layernorm.weight", src.tensor(g + "ffn_norm.weight")));
            }
            SafetensorsWriter.write(dir.resolve("model.safetensors"), Map.of("format", "pt"), tensors);
            Files.writeString(dir.resolve("config.json"), """
                    {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64,
                     "intermediate_size": 172, "num_hidden_layers": 5, "num_attention_heads": 8,
                     "num_key_value_heads": 4, "max_position_embeddings": 512, "rms_norm_eps": 1e-05,
                     "rope_theta": 10000.0, "vocab_size": 512, "tie_word_embeddings": %s}
                    """.formatted(tied));

            try (LoadedModel hf = ModelLoader.load(dir, TestModels.shared("models/tok512.bin"));
                 Parallel par = new Parallel(2);
                 CpuEngine a = bin.newCpuEngine(64, par); CpuEngine b = hf.newCpuEngine(64, par)) {
                assertEquals(ModelFormat.SAFETENSORS, hf.file().format());
                assertEquals(RopeStyle.NEOX, hf.config().ropeStyle());
                assertEquals(tied, !hf.file().hasTensor("output.weight"));
                int token = 1;
                for (int pos = 0; pos < 40; pos++) {
                    float[] la = a.forward(token, pos, true).clone();
                    float[] lb = b.forward(token, pos, true);
                    assertArrayEquals(la, lb, 1e-4f, "position " + pos);
                    token = Sampler.argmax(la, la.length);
                }
            }
        }
    }

    private static SafetensorsTensor t(String name, io.jsteer.weights.TensorData d) {
        return new SafetensorsTensor(name, d.shape(), d.data().toFloatArray());
    }

    /** Reorders Q/K rows from GGUF's adjacent-pair layout into Hugging Face's rotate-half layout. */
    private static SafetensorsTensor neox(String name, io.jsteer.weights.TensorData d, int headSize) {
        float[] normal = d.data().toFloatArray();
        int rows = (int) d.shape()[0], cols = (int) d.shape()[1];
        float[] hf = new float[normal.length];
        for (int r = 0; r < rows; r++) {
            int from = (int) RopePermutation.normalRowForNeoxRow(r, headSize);
            System.arraycopy(normal, from * cols, hf, r * cols, cols);
        }
        return new SafetensorsTensor(name, d.shape(), hf);
    }
}
