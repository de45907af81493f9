package io.jsteer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraFiles;
import io.jsteer.model.lora.LoraTarget;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.Var;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** jsteer kts merge: the merged GGUF computes what the base model with the adapter computes. */
class KtsMergeTest {

    @Test
    void mergedGgufMatchesBasePlusAdapter(@TempDir Path dir) throws Exception {
        Path modelFile = CliTest.shared("models/stories260K.bin"), tok = CliTest.shared("models/tok512.bin");
        Path adapterDir = dir.resolve("adapter");
        int[] tokens;
        float[][] expected;
        float[][] base;
        try (LoadedModel model = ModelLoader.load(modelFile, tok)) {
            // B random (not 0) so that the adapter changes every projection of every block
            LoraAdapter adapter = LoraAdapter.initialize(model.config(), 4, 8, EnumSet.allOf(LoraTarget.class), 3);
            SplittableRandom r = new SplittableRandom(4);
            for (int l = 0; l < model.config().nLayers(); l++) {
                for (LoraTarget t : LoraTarget.values()) {
                    Var b = adapter.b(l, t);
                    for (int i = 0; i < b.size(); i++) {
                        b.data().set(i, r.nextGaussian() * 0.05);
                    }
                }
            }
            LoraFiles.save(adapterDir, adapter, model.config(), model.name());
            tokens = model.tokenizer().encode("Once upon a time, Lily found a red ball in the park.", true);
            expected = logits(model, LoraFiles.load(adapterDir, model.config()), tokens);
            base = logits(model, null, tokens);
        }
        double adapterEffect = maxAbsDiff(expected, base);
        assertTrue(adapterEffect > 0.05, "the adapter must change the logits for the test to mean anything: " + adapterEffect);

        Path f32 = dir.resolve("merged.gguf");
        CliTest.Result res = CliTest.jsteer("kts", "merge", "--lora", adapterDir.toString(), "--model", modelFile.toString(),
                "--tokenizer", tok.toString(), "--out", f32.toString());
        assertEquals(0, res.code(), res.err());
        try (LoadedModel merged = ModelLoader.load(f32, null)) {
            double diff = maxAbsDiff(expected, logits(merged, null, tokens));
            assertTrue(diff < 1e-4, "f32 merged vs base + adapter: max |Δ logit| = " + diff);
        }

        Path q8 = dir.resolve("merged-q8.gguf");
        res = CliTest.jsteer("kts", "merge", "--lora", adapterDir.toString(), "--model", modelFile.toString(),
                "--tokenizer", tok.toString(), "--out", q8.toString(), "--dtype", "q8_0");
        assertEquals(0, res.code(), res.err());
        assertTrue(Files.size(q8) < Files.size(f32) / 2, "q8_0 stores the weights in about a quarter of the bytes");
        try (LoadedModel merged = ModelLoader.load(q8, null)) {
            double diff = maxAbsDiff(expected, logits(merged, null, tokens));
            // q8_0 rounding error must stay well below what the adapter itself changes
            assertTrue(diff < adapterEffect / 4, "q8_0 merged vs base + adapter: " + diff + ", adapter effect " + adapterEffect);
        }

        res = CliTest.jsteer("kts", "merge", "--lora", dir.resolve("none").toString(), "--model", modelFile.toString(),
                "--tokenizer", tok.toString(), "--out", dir.resolve("x.gguf").toString());
        assertEquals(1, res.code());
        assertTrue(res.err().contains("none: adapter directory: does not exist"), res.err());
    }

    private static float[][] logits(LoadedModel m, LoraAdapter adapter, int[] tokens) {
        float[][] out = new float[tokens.length][];
        try (Parallel par = new Parallel(1); CpuEngine e = m.newCpuEngine(tokens.length, par)) {
            e.setAdapter(adapter);
            for (int t = 0; t < tokens.length; t++) {
                out[t] = e.forward(tokens[t], t, true).clone();
            }
        }
        return out;
    }

    private static double maxAbsDiff(float[][] a, float[][] b) {
        double max = 0;
        for (int t = 0; t < a.length; t++) {
            for (int i = 0; i < a[t].length; i++) {
                max = Math.max(max, Math.abs(a[t][i] - b[t][i]));
            }
        }
        return max;
    }
}
