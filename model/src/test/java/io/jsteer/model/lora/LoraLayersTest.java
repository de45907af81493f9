package io.jsteer.model.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.CpuEngine;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.TestModels;
import io.jsteer.model.TinyModels;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.intervene.TapeHooks;
import io.jsteer.model.train.ForwardOptions;
import io.jsteer.model.train.NumericGradients;
import io.jsteer.model.train.TrainableLlama;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.GradCheck;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.WeightFormatException;
import io.jsteer.weights.safetensors.SafetensorsReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Adapters on a subset of blocks (PEFT layers_to_transform): files, inference, merging, gradients. */
class LoraLayersTest {

    private static final EnumSet<LoraTarget> ALL = EnumSet.allOf(LoraTarget.class);

    @Test
    void onlyTheListedBlocksHaveMatricesAndTheFileSaysSo(@TempDir Path dir) throws Exception {
        LlamaConfig c = TinyModels.neoxLlama3Config(); // 2 blocks
        LoraSpec spec = LoraSpec.of(4, 8, EnumSet.of(LoraTarget.Q, LoraTarget.DOWN)).withLayers(List.of(1)).withDropout(0.1);
        LoraAdapter adapter = LoraPathsTest.randomAdapter(c, spec, 3, 0.2, Precision.F32);
        assertEquals(List.of(1), adapter.adaptedLayers());
        assertEquals(4, adapter.parameters().size(), "A and B of q and down in block 1 only");
        var e = assertThrows(IllegalArgumentException.class, () -> adapter.a(0, LoraTarget.Q));
        assertTrue(e.getMessage().contains("block 0 is not adapted (adapted blocks [1])"), e.getMessage());

        Path out = dir.resolve("adapter");
        LoraFiles.save(out, adapter, c, "tiny");
        JsonNode json = new ObjectMapper().readTree(out.resolve(LoraMetadata.CONFIG_FILE).toFile());
        assertEquals("[1]", json.get("layers_to_transform").toString());
        assertEquals(0.1, json.get("lora_dropout").asDouble());
        try (ModelWeights w = SafetensorsReader.open(out.resolve(LoraMetadata.WEIGHTS_FILE))) {
            assertEquals(List.of(LoraFiles.tensorName(1, LoraTarget.Q, "A"), LoraFiles.tensorName(1, LoraTarget.Q, "B"),
                            LoraFiles.tensorName(1, LoraTarget.DOWN, "A"), LoraFiles.tensorName(1, LoraTarget.DOWN, "B")),
                    w.tensors().keySet().stream().sorted((a, b) -> a.contains("q_proj") == b.contains("q_proj")
                            ? a.compareTo(b) : a.contains("q_proj") ? -1 : 1).toList());
        }
        LoraAdapter back = LoraFiles.load(out, c);
        assertEquals(adapter.spec(), back.spec());
        for (LoraTarget t : spec.targets()) {
            assertArrayEquals(adapter.a(1, t).toFloatArray(), back.a(1, t).toFloatArray());
            assertArrayEquals(adapter.b(1, t).toFloatArray(), back.b(1, t).toFloatArray());
        }

        // every block: null in the file, as before
        LoraFiles.save(out, LoraAdapter.initialize(c, 2, 4, ALL, 1), c, "tiny");
        assertTrue(new ObjectMapper().readTree(out.resolve(LoraMetadata.CONFIG_FILE).toFile()).get("layers_to_transform").isNull());
    }

    @Test
    void badLayerListsAreRejectedByFileAndField(@TempDir Path dir) throws Exception {
        LlamaConfig c = TinyModels.neoxLlama3Config();
        Path out = dir.resolve("a");
        LoraFiles.save(out, LoraAdapter.initialize(c, LoraSpec.of(2, 4, EnumSet.of(LoraTarget.K)).withLayers(List.of(1)), 1,
                Precision.F32), c, "tiny");
        Path config = out.resolve(LoraMetadata.CONFIG_FILE);
        String good = Files.readString(config);
        String field = "\"layers_to_transform\" : [ 1 ]";
        assertTrue(good.contains(field), good);

        Files.writeString(config, good.replace(field, "\"layers_to_transform\" : 1")); // PEFT also allows one number
        assertEquals(List.of(1), LoraFiles.load(out, c).adaptedLayers());
        for (String[] bad : new String[][] {
                {"[ 2 ]", "adapter_config.json: layers_to_transform: block 2 is outside the 2 blocks of jsteer_layers"},
                {"[ -1 ]", "adapter_config.json: layers_to_transform: block indices must be 0 or more"},
                {"[ 1, 1 ]", "adapter_config.json: layers_to_transform: lists block 1 twice"},
                {"[ ]", "adapter_config.json: layers_to_transform: is an empty list"},
                {"[ 0 ]", "adapter_model.safetensors: tensor base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight: missing"}}) {
            Files.writeString(config, good.replace(field, "\"layers_to_transform\" : " + bad[0]));
            var e = assertThrows(WeightFormatException.class, () -> LoraFiles.load(out, c), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
        }
        // tensors of a block the list leaves out
        Path full = dir.resolve("full");
        LoraFiles.save(full, LoraAdapter.initialize(c, 2, 4, EnumSet.of(LoraTarget.K), 1), c, "tiny");
        Path fullConfig = full.resolve(LoraMetadata.CONFIG_FILE);
        Files.writeString(fullConfig, Files.readString(fullConfig).replace("\"layers_to_transform\" : null", field));
        var extra = assertThrows(WeightFormatException.class, () -> LoraFiles.load(full, c));
        assertTrue(extra.getMessage().contains("adapter_model.safetensors: tensors: not part of an adapter for target_modules "
                + "[k_proj] on layers_to_transform [1] (value [base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight"), extra.getMessage());
        // a foreign file without jsteer_layers: the model's block count decides
        Files.writeString(config, good.replace(field, "\"layers_to_transform\" : [ 5 ]").replace("\"jsteer_layers\" : 2", "\"jsteer_layers\" : 0"));
        var e = assertThrows(WeightFormatException.class, () -> LoraFiles.load(out, c));
        assertTrue(e.getMessage().contains("layers_to_transform: block 5 does not exist: the model has 2 blocks (0..1)"), e.getMessage());
        Files.writeString(config, good.replace("\"lora_dropout\" : 0.0", "\"lora_dropout\" : 1.0"));
        e = assertThrows(WeightFormatException.class, () -> LoraFiles.load(out, c));
        assertTrue(e.getMessage().contains("adapter_config.json: lora_dropout: must be in [0, 1)"), e.getMessage());

        var ie = assertThrows(IllegalArgumentException.class,
                () -> LoraAdapter.initialize(c, LoraSpec.of(2, 4, ALL).withLayers(List.of(0, 2)), 1, Precision.F32));
        assertTrue(ie.getMessage().contains("block 2 does not exist, the model has 2 blocks"), ie.getMessage());
        ie = assertThrows(IllegalArgumentException.class, () -> LoraSpec.of(2, 4, ALL).withLayers(List.of(1, 1)));
        assertTrue(ie.getMessage().contains("block 1 is listed twice"), ie.getMessage());
    }

    @Test
    void untouchedBlocksKeepTheBaseModelOnEveryPath() {
        try (LoadedModel m = TestModels.storiesBin()) {
            LlamaConfig c = m.config(); // 5 blocks
            LoraAdapter adapter = LoraPathsTest.randomAdapter(c, LoraSpec.of(4, 8, ALL).withLayers(List.of(1, 3)), 7, 0.2,
                    Precision.F32);
            int[] tokens = TinyModels.tokens(c, 24, 4);
            tokens[0] = 1;
            TrainableLlama model = TrainableLlama.of(m);

            // resid_post of block 0 (before any adapted block) is the base model's bit for bit; block 1's is not
            Var[] base = capture(model, tokens, null), adapted = capture(model, tokens, adapter);
            assertArrayEquals(base[0].toFloatArray(), adapted[0].toFloatArray());
            assertTrue(NumericGradients.maxAbsDiff(base[1].toFloatArray(), adapted[1].toFloatArray()) > 1e-3);

            // merged: adapted blocks' projections are new tensors, every other one is the base tensor itself
            LlamaWeights merged = adapter.mergeInto(c, m.weights());
            for (int l = 0; l < c.nLayers(); l++) {
                if (l == 1 || l == 3) {
                    assertNotSame(m.weights().wq()[l], merged.wq()[l]);
                    assertNotSame(m.weights().w2()[l], merged.w2()[l]);
                } else {
                    assertSame(m.weights().wq()[l], merged.wq()[l], "block " + l);
                    assertSame(m.weights().w2()[l], merged.w2()[l], "block " + l);
                    assertSame(m.weights().w3()[l], merged.w3()[l], "block " + l);
                }
            }
            // MergedWeights keeps the file's own tensors for blocks 0, 2, 4
            ModelWeights file = MergedWeights.of(m, adapter);
            assertSame(m.file().tensor(MergedWeights.ggufName(0, LoraTarget.Q)), file.tensor(MergedWeights.ggufName(0, LoraTarget.Q)));
            assertNotSame(m.file().tensor(MergedWeights.ggufName(1, LoraTarget.Q)), file.tensor(MergedWeights.ggufName(1, LoraTarget.Q)));

            // engine with the adapter = trainable path with it = engine on the merged weights
            float[][] engine = LoraPathsTest.engineLogits(m, adapter, InterventionSet.of(), tokens);
            Var trainable = model.logits(new Tape(Precision.F32), tokens, ForwardOptions.NONE.withAdapter(adapter));
            assertTrue(LoraPathsTest.maxDiff(engine, trainable) < 1e-4);
            float[][] mergedLogits = new float[tokens.length][];
            try (CpuEngine e = new CpuEngine(c, merged, tokens.length, new Parallel(1))) {
                for (int t = 0; t < tokens.length; t++) {
                    mergedLogits[t] = e.forward(tokens[t], t, true).clone();
                }
            }
            assertTrue(LoraPathsTest.maxDiff(engine, mergedLogits) < 1e-4);
            assertTrue(LoraPathsTest.maxDiff(engine, LoraPathsTest.engineLogits(m, null, InterventionSet.of(), tokens)) > 0.05,
                    "the adapter does change the model");
        }
    }

    private static Var[] capture(TrainableLlama model, int[] tokens, LoraAdapter adapter) {
        int n = model.config().nLayers();
        Var[] out = new Var[n];
        TapeHooks hooks = new TapeHooks(n);
        for (int l = 0; l < n; l++) {
            int layer = l;
            hooks.add(new Site(SiteKind.RESID_POST, l), (t, site, x, p) -> out[layer] = x);
        }
        model.logitsNoGrad(new Tape(Precision.F32), tokens, ForwardOptions.NONE.withAdapter(adapter).withHooks(hooks));
        return out;
    }


    @Test
    void gradientsReachExactlyTheChosenBlocksAndMatchFiniteDifferences() {
        LlamaConfig c = TinyModels.tinyConfig();
        TrainableLlama model = new TrainableLlama(c, TinyModels.randomWeights(c, 31));
        int[] tokens = TinyModels.tokens(c, 5, 6);
        LoraAdapter adapter = LoraPathsTest.randomAdapter(c, LoraSpec.of(4, 8, ALL).withLayers(List.of(0)), 12, 0.3, Precision.F64);
        assertEquals(2 * 7, adapter.parameters().size());
        double[] seed = new SplittableRandom(3).doubles(5L * c.vocabSize(), -1, 1).toArray();
        Tape tape = new Tape(Precision.F64);
        tape.backward(model.logits(tape, tokens, ForwardOptions.NONE.withAdapter(adapter)), seed);
        for (Var p : adapter.parameters()) {
            double[] analytic = p.gradToDoubleArray();
            double[] numeric = NumericGradients.of(model, tokens, ForwardOptions.NONE.withAdapter(adapter), p, seed);
            double err = GradCheck.relativeError(analytic, numeric);
            assertTrue(err < 1e-6, p + ": relative error " + err);
            assertTrue(java.util.Arrays.stream(analytic).anyMatch(g -> g != 0), p + " gets a gradient");
        }
    }
}
