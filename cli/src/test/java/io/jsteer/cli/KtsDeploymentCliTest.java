package io.jsteer.cli;

import static io.jsteer.cli.CliTest.jsteer;
import static io.jsteer.cli.CliTest.shared;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraFiles;
import io.jsteer.model.lora.LoraTarget;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.vectors.LinearProbe;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.Var;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** jsteer run --lora / --gate: the adapter equals the merged model, the gate switches the --steer steering. */
class KtsDeploymentCliTest {

    @TempDir
    Path dir;

    private static final String PROMPT = "Tom lost a ball at the park. Then Tom felt";

    /** A stories260K adapter with random B (so it changes the text) and a random probe on resid_post:1. */
    static void writeAdapterAndGate(LoadedModel model, Path adapterDir, Path gateFile) throws Exception {
        LoraAdapter adapter = LoraAdapter.initialize(model.config(), 4, 8, EnumSet.allOf(LoraTarget.class), 5);
        SplittableRandom r = new SplittableRandom(6);
        for (int l = 0; l < model.config().nLayers(); l++) {
            for (LoraTarget t : LoraTarget.values()) {
                Var b = adapter.b(l, t);
                for (int i = 0; i < b.size(); i++) {
                    b.data().set(i, r.nextGaussian() * 0.1);
                }
            }
        }
        LoraFiles.save(adapterDir, adapter, model.config(), model.name());
        int dim = model.config().dim();
        float[][] w = new float[2][dim];
        float[] mean = new float[dim], std = new float[dim];
        for (int i = 0; i < dim; i++) {
            w[1][i] = (float) r.nextGaussian();
            std[i] = 1;
        }
        new LinearProbe(1, w, new float[2], mean, std).save(gateFile, 0.5);
    }

    @Test
    void loraRunEqualsTheMergedModelAndTheGateDecidesTheSteering() throws Exception {
        Path model = shared("models/stories260K.gguf");
        Path adapterDir = dir.resolve("adapter"), gateFile = dir.resolve("gate.json");
        double score;
        try (LoadedModel m = ModelLoader.load(model, null); Parallel par = new Parallel(1); CpuEngine e = m.newCpuEngine(64, par)) {
            writeAdapterAndGate(m, adapterDir, gateFile);
            e.setAdapter(LoraFiles.load(adapterDir, m.config()));
            var saved = LinearProbe.load(gateFile);
            score = saved.probe().score(ActivationCapture.residuals(e).lastToken(m.tokenizer().encode(PROMPT, true))[1]);
        }
        String[] base = {"run", "--model", model.toString(), "--prompt", PROMPT, "--temperature", "0", "--max-tokens", "24",
            "--threads", "1"};

        // --lora gives the text of the merged model
        var merge = jsteer("kts", "merge", "--lora", adapterDir.toString(), "--model", model.toString(), "--out",
                dir.resolve("merged.gguf").toString());
        assertEquals(0, merge.code(), merge.err());
        var plain = jsteer(base);
        var lora = jsteer(append(base, "--lora", adapterDir.toString()));
        assertEquals(0, lora.code(), lora.err());
        assertTrue(lora.err().contains("lora: " + adapterDir + " (r 4, alpha 8.00, [q, k, v, o, gate, up, down])"), lora.err());
        var merged = jsteer("run", "--model", dir.resolve("merged.gguf").toString(), "--prompt", PROMPT, "--temperature", "0",
                "--max-tokens", "24", "--threads", "1");
        assertEquals(merged.out(), lora.out());
        assertNotEquals(plain.out(), lora.out());

        // the gate: threshold below the score -> the --steer steering is applied, above -> not
        Path happy = dir.resolve("happy.txt"), sad = dir.resolve("sad.txt");
        Files.writeString(happy, "Lily was very happy and smiled.\nTom laughed and had fun.\n");
        Files.writeString(sad, "Lily was very sad and cried.\nTom cried and was scared.\n");
        var ex = jsteer("extract", "--model", model.toString(), "--data", happy.toString(), "--negative", sad.toString(),
                "--format", "lines", "--layers", "1-3", "--out", dir.resolve("happy").toString(), "--threads", "1");
        assertEquals(0, ex.code(), ex.err());
        String[] lsteer = append(base, "--lora", adapterDir.toString(), "--steer", dir.resolve("happy.json") + ":4");
        var steered = jsteer(lsteer);
        assertNotEquals(lora.out(), steered.out());
        var open = jsteer(append(lsteer, "--gate", gateFile + ":" + (score - 0.01)));
        assertEquals(0, open.code(), open.err());
        assertTrue(open.err().contains(String.format("gate: score %.4f, threshold %.4f -> steer", score, score - 0.01)), open.err());
        assertEquals(steered.out(), open.out());
        var shut = jsteer(append(lsteer, "--gate", gateFile + ":" + (score + 0.01)));
        assertTrue(shut.err().contains(String.format("gate: score %.4f, threshold %.4f -> no steering", score, score + 0.01)),
                shut.err());
        assertEquals(lora.out(), shut.out());
        // a shut gate still reads every --steer file first: a missing one fails before any text (issue 14)
        var shutMissing = jsteer(append(base, "--lora", adapterDir.toString(), "--steer", dir.resolve("hapy.json") + ":4",
                "--gate", gateFile + ":" + (score + 0.01)));
        assertEquals(1, shutMissing.code(), shutMissing.err());
        assertTrue(shutMissing.err().contains(dir.resolve("hapy.safetensors").toString()) && shutMissing.err().contains("missing"), shutMissing.err());
        assertEquals("", shutMissing.out());

        var noSteer = jsteer(append(base, "--gate", gateFile.toString()));
        assertEquals(2, noSteer.code()); // flags that do not go together: a usage error
        assertTrue(noSteer.err().contains("--gate decides whether --steer/--ablate is applied"), noSteer.err());
        var badThreshold = jsteer(append(lsteer, "--gate", gateFile + ":1.5"));
        assertTrue(badThreshold.err().contains("the threshold must be in [0, 1]"), badThreshold.err());
        var wrongDir = jsteer(append(base, "--lora", dir.toString()));
        assertTrue(wrongDir.err().contains("adapter_config.json: missing"), wrongDir.err());
    }

    private static String[] append(String[] a, String... more) {
        String[] out = java.util.Arrays.copyOf(a, a.length + more.length);
        System.arraycopy(more, 0, out, a.length, more.length);
        return out;
    }
}
