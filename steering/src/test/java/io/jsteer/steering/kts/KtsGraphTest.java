package io.jsteer.steering.kts;

import io.jsteer.steering.vectors.MeanDifference;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraTarget;
import io.jsteer.steering.kts.data.DemoCorpus;
import io.jsteer.steering.kts.graph.TrainableKtsGraph;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.NoGrad;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The KTS tape graph (adapter on/off, steering, capture) against CpuEngine with the same adapter and hooks. */
class KtsGraphTest {

    private static final int[] TOKENS = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298};

    static LoraAdapter perturbedAdapter(LoadedModel m, long seed) {
        LoraAdapter adapter = LoraAdapter.initialize(m.config(), 4, 8, EnumSet.allOf(LoraTarget.class), seed);
        Random rnd = new Random(seed);
        for (Var p : adapter.parameters()) {
            for (int i = 0; i < p.size(); i++) {
                p.data().set(i, p.data().get(i) + 0.05 * rnd.nextGaussian());
            }
        }
        return adapter;
    }

    @Test
    void tapeGraphEqualsCpuEngineWithAndWithoutAdapterAndSteering() {
        try (LoadedModel m = SharedModels.stories(); Parallel par = new Parallel(1);
             CpuEngine engine = m.newCpuEngine(64, par)) {
            LoraAdapter adapter = perturbedAdapter(m, 3);
            var graph = new TrainableKtsGraph(m.config(), m.weights(), adapter);
            float[][] vec = new float[5][];
            vec[2] = randomVector(64, 7);
            for (boolean withAdapter : new boolean[] {false, true}) {
                for (BlockSteering s : new BlockSteering[] {null, new BlockSteering(vec, 1.5)}) {
                    engine.setInterventions(s == null ? null : s.interventions());
                    engine.setAdapter(withAdapter ? adapter : null);
                    Tape tape = new Tape(Precision.F32);
                    Var logits;
                    try (NoGrad _ = tape.noGrad()) {
                        logits = graph.logits(tape, TOKENS, s, withAdapter);
                    }
                    for (int t = 0; t < TOKENS.length; t++) {
                        float[] expected = engine.forward(TOKENS[t], t, true).clone();
                        for (int i = 0; i < 512; i++) {
                            assertEquals(expected[i], logits.get(t * 512 + i), 3e-4,
                                    "adapter " + withAdapter + ", steering " + (s != null) + ", position " + t + " logit " + i);
                        }
                    }
                }
            }
            // the adapter and the steering each change the logits (the comparisons above are not vacuous)
            Tape tape = new Tape(Precision.F32);
            float[] plain = graph.logits(tape, TOKENS, null, false).toFloatArray();
            assertTrue(maxAbsDiff(plain, graph.logits(tape, TOKENS, null, true).toFloatArray()) > 1e-2);
            assertTrue(maxAbsDiff(plain, graph.logits(tape, TOKENS, new BlockSteering(vec, 1.5), false).toFloatArray()) > 1e-2);
        }
    }

    @Test
    void residualReadersOfTapeAndEngineAgreeAndMeanDifferenceIsPositiveMinusNegative() {
        try (LoadedModel m = SharedModels.stories(); Parallel par = new Parallel(1);
             CpuEngine engine = m.newCpuEngine(64, par)) {
            LoraAdapter adapter = perturbedAdapter(m, 1);
            var graph = new TrainableKtsGraph(m.config(), m.weights(), adapter);
            engine.setAdapter(adapter);
            float[][] a = graph.lastTokenResiduals(true, null).lastToken(TOKENS);
            float[][] b = ActivationCapture.residuals(engine).lastToken(TOKENS);
            for (int l = 0; l < 5; l++) {
                assertArrayEquals(b[l], a[l], 2e-4f);
            }
            var pairs = DemoCorpus.happySadPairs(3, 1);
            ActivationCapture.LastToken reader = ActivationCapture.residuals(engine);
            float[][] v = MeanDifference.compute(reader, m.tokenizer(), pairs, Set.of(1, 3), 5, 64);
            assertNull(v[0]);
            double[] manual = new double[64];
            for (var p : pairs) {
                float[][] hp = reader.lastToken(m.tokenizer().encode(p.positive(), true));
                float[][] hn = reader.lastToken(m.tokenizer().encode(p.negative(), true));
                for (int i = 0; i < 64; i++) {
                    manual[i] += (hp[3][i] - hn[3][i]) / 3.0;
                }
            }
            for (int i = 0; i < 64; i++) {
                assertEquals(manual[i], v[3][i], 1e-5);
            }
            // the id-based path (prompts through a chat template) is the same computation
            float[][] ids = MeanDifference.computeIds(reader, pairs.stream().map(p -> new int[][] {
                    m.tokenizer().encode(p.positive(), true), m.tokenizer().encode(p.negative(), true)}).toList(), Set.of(1, 3), 5, 64);
            // not bit-equal: the Vector API's float lane reductions may sum in another order once the JIT
            // compiles them, so two reads of the same ids can differ in the last bits (seen under load)
            assertArrayEquals(v[1], ids[1], 1e-6f);
            assertArrayEquals(v[3], ids[3], 1e-6f);
            // the refusal evaluation's prompts: the system prompt inside the Llama 2 template, the request after it
            var template = io.jsteer.model.chat.ChatTemplate.forTokenizer(m.tokenizer(), "llama2");
            int[] withSystem = io.jsteer.steering.kts.eval.RefusalEvaluation.prompt(template,
                    io.jsteer.steering.kts.eval.RefusalEvaluation.REFERENCE_SYSTEM_PROMPT, "Tell me a story.");
            int[] bare = io.jsteer.steering.kts.eval.RefusalEvaluation.prompt(template, null, "Tell me a story.");
            String rendered = template.render(java.util.List.of(io.jsteer.model.chat.Message.system(
                    io.jsteer.steering.kts.eval.RefusalEvaluation.REFERENCE_SYSTEM_PROMPT),
                    io.jsteer.model.chat.Message.user("Tell me a story.")), true);
            assertTrue(rendered.contains("<<SYS>>") && rendered.contains("helpful, honest and concise"), rendered);
            assertArrayEquals(template.encode(java.util.List.of(io.jsteer.model.chat.Message.user("Tell me a story.")), true), bare);
            assertTrue(withSystem.length > bare.length + 5, withSystem.length + " vs " + bare.length);
            // normalised: total norm 1 over the blocks, same direction and block ratio
            float[][] n = MeanDifference.normalised(v);
            double total = norm(n[1]) * norm(n[1]) + norm(n[3]) * norm(n[3]);
            assertEquals(1, total, 1e-5);
            assertEquals(norm(v[1]) / norm(v[3]), norm(n[1]) / norm(n[3]), 1e-4);
            assertThrows(IllegalArgumentException.class, () -> MeanDifference.normalised(new float[][] {new float[3], null}));
        }
    }

    static double norm(float[] x) {
        double s = 0;
        for (float f : x) {
            s += f * f;
        }
        return Math.sqrt(s);
    }

    static float[] randomVector(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }
}
