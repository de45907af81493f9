package io.jsteer.tornado;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.tensor.Parallel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Files made by llama.cpp's quantizer (model module's quant fixtures: dim 256, 1 block, untied
 * classifier) on the tornado engine, which has kernels for F32, F16 and Q8_0 only: the other
 * types are dequantized to F32 at load, said on stderr with the memory it costs (issue 12).
 */
class TornadoQuantTest {

    private static final int TOKENS = 32;

    private static Path fixture(String type) {
        Path p = Path.of("../model/src/test/resources/quant/q256-" + type + ".gguf");
        if (!Files.exists(p)) {
            throw new IllegalStateException("missing quantization fixture " + p.toAbsolutePath());
        }
        return p;
    }

    private static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (a[i] > a[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Q4_K_M (Q4_K + Q6_K tensors) and Q6_K: (1) the device's logits equal, within 1e-4, the CPU
     * engine's on the same weights dequantized on the host, so the load-time conversion is exact;
     * (2) the greedy tokens equal the CPU engine's on the quantized file, which quantizes the
     * activations to 8 bits as llama.cpp does (so its logits differ from the device's float path by
     * that rounding, printed); (3) stderr names each converted type and its device memory.
     */
    @ParameterizedTest
    @ValueSource(strings = {"Q4_K_M", "Q6_K"})
    void kQuantFileRunsOnTheDeviceWithTheCpuEnginesTokens(String type) throws Exception {
        try (LoadedModel m = ModelLoader.load(fixture(type), null); Parallel par = new Parallel(2)) {
            var c = m.config();
            int[] tokens = new int[TOKENS];
            tokens[0] = 1;
            List<float[]> quantCpu = new ArrayList<>(), f32Cpu = new ArrayList<>(), device = new ArrayList<>();
            try (CpuEngine e = m.newCpuEngine(64, par)) {
                for (int p = 0; p < TOKENS; p++) {
                    float[] l = e.forward(tokens[p], p, p == 0).clone();
                    quantCpu.add(l);
                    if (p + 1 < TOKENS) {
                        tokens[p + 1] = argmax(l);
                    }
                }
            }
            try (CpuEngine e = new CpuEngine(c, F32Reference.of(m.weights()), 64, par)) {
                for (int p = 0; p < TOKENS; p++) {
                    f32Cpu.add(e.forward(tokens[p], p, p == 0).clone());
                }
            }
            PrintStream err = System.err;
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            int[] deviceTokens = new int[TOKENS];
            deviceTokens[0] = 1;
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            TornadoEngine g;
            try {
                g = TornadoEngine.create(c, m.weights(), 64);
            } finally {
                System.setErr(err);
            }
            try (g) {
                for (int p = 0; p < TOKENS; p++) {
                    float[] l = g.forward(deviceTokens[p], p, p == 0).clone();
                    device.add(l);
                    if (p + 1 < TOKENS) {
                        deviceTokens[p + 1] = argmax(l);
                    }
                }
            }
            String note = captured.toString(StandardCharsets.UTF_8);
            err.print(note);
            assertTrue(note.contains("no q6_k kernel") && note.contains("MiB on the device"), note);
            if (type.equals("Q4_K_M")) {
                assertTrue(note.contains("no q4_k kernel"), note);
            }
            System.out.printf(Locale.ROOT, "%s: device vs CPU on dequantized F32 max |diff| %.3g; vs CPU on the quantized file %.3g%n",
                    type, TornadoFamiliesTest.maxDiff(f32Cpu, device), TornadoFamiliesTest.maxDiff(quantCpu, device));
            for (int p = 0; p < TOKENS; p++) {
                assertArrayEquals(f32Cpu.get(p), device.get(p), 1e-4f, type + " logits vs the dequantized CPU run at position " + p);
            }
            assertArrayEquals(tokens, deviceTokens, type + " greedy tokens vs the CPU engine on the quantized file");
        }
    }
}
