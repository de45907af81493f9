package io.jsteer.steering.kts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.steering.kts.data.DemoCorpus;
import io.jsteer.steering.kts.graph.LoraAdapter;
import io.jsteer.steering.kts.graph.LoraLlamaGraph;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.NoGrad;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tape forward against CpuEngine, steering on both paths, LoRA merge and files. */
class KtsGraphTest {

    private static final int[] TOKENS = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298};

    @Test
    void tapeForwardEqualsCpuEngineAndSteersTheSame() {
        try (LoadedModel m = SharedModels.stories(); Parallel par = new Parallel(1);
             CpuEngine engine = m.newCpuEngine(64, par)) {
            var adapter = LoraAdapter.initialise(m.config(), LoraAdapter.Settings.allLinear(4, 8, 5), 3);
            var graph = new LoraLlamaGraph(m.config(), m.weights(), adapter);
            float[][] vec = new float[5][];
            vec[2] = randomVector(64, 7);
            for (BlockSteering s : new BlockSteering[] {null, new BlockSteering(vec, 1.5)}) {
                engine.setHooks(s == null ? null : s.toHooks(5));
                Tape tape = new Tape(Precision.F32);
                Var logits;
                try (NoGrad _ = tape.noGrad()) {
                    logits = graph.logits(tape, TOKENS, s, false, null);
                }
                for (int t = 0; t < TOKENS.length; t++) {
                    float[] expected = engine.forward(TOKENS[t], t, true).clone();
                    for (int i = 0; i < 512; i++) {
                        assertEquals(expected[i], logits.get(t * 512 + i), 2e-4, "position " + t + " logit " + i);
                    }
                }
            }
        }
    }

    @Test
    void freshAdapterChangesNothingAndMergedWeightsEqualTheAdaptedGraph(@TempDir Path dir) throws Exception {
        try (LoadedModel m = SharedModels.stories(); Parallel par = new Parallel(1)) {
            var adapter = LoraAdapter.initialise(m.config(), LoraAdapter.Settings.allLinear(4, 8, 5), 3);
            var graph = new LoraLlamaGraph(m.config(), m.weights(), adapter);
            Tape tape = new Tape(Precision.F32);
            assertArrayEquals(graph.logits(tape, TOKENS, null, false, null).toFloatArray(),
                    graph.logits(tape, TOKENS, null, true, null).toFloatArray(), "B = 0 must leave the model exactly as it is");
            // make B non-zero, then the merged F32 model on CpuEngine must equal the adapted tape forward
            Random rnd = new Random(5);
            for (Var p : adapter.parameters()) {
                for (int i = 0; i < p.size(); i++) {
                    p.data().set(i, p.data().get(i) + 0.05 * rnd.nextGaussian());
                }
            }
            Var adapted = graph.logits(tape, TOKENS, null, true, null);
            assertTrue(maxAbsDiff(adapted.toFloatArray(), graph.logits(tape, TOKENS, null, false, null).toFloatArray()) > 1e-2,
                    "a non-zero adapter must change the logits");
            try (CpuEngine merged = new CpuEngine(m.config(), adapter.mergeInto(m.weights()), 64, par)) {
                for (int t = 0; t < TOKENS.length; t++) {
                    float[] e = merged.forward(TOKENS[t], t, true);
                    for (int i = 0; i < 512; i++) {
                        assertEquals(adapted.get(t * 512 + i), e[i], 3e-4);
                    }
                }
            }
            // files round trip
            adapter.save(dir, java.util.Map.of());
            var loaded = LoraAdapter.load(dir, m.config());
            assertEquals(adapter.settings(), loaded.settings());
            for (int k = 0; k < adapter.parameters().size(); k++) {
                assertArrayEquals(adapter.parameters().get(k).toFloatArray(), loaded.parameters().get(k).toFloatArray());
            }
        }
    }

    @Test
    void residualReadersOfTapeAndEngineAgreeAndMeanDifferenceIsPositiveMinusNegative() {
        try (LoadedModel m = SharedModels.stories(); Parallel par = new Parallel(1);
             CpuEngine engine = m.newCpuEngine(64, par)) {
            var graph = new LoraLlamaGraph(m.config(), m.weights(),
                    LoraAdapter.initialise(m.config(), LoraAdapter.Settings.allLinear(2, 4, 5), 1));
            float[][] a = ResidualReader.of(graph, false).lastToken(TOKENS);
            float[][] b = ResidualReader.of(engine).lastToken(TOKENS);
            for (int l = 0; l < 5; l++) {
                assertArrayEquals(b[l], a[l], 2e-4f);
            }
            var pairs = DemoCorpus.happySadPairs(3, 1);
            float[][] v = MeanDifference.compute(ResidualReader.of(engine), m.tokenizer(), pairs, Set.of(1, 3), 5, 64);
            assertEquals(null, v[0]);
            // by hand: mean over pairs of h(pos) − h(neg) at block 3
            double[] manual = new double[64];
            for (var p : pairs) {
                float[][] hp = ResidualReader.of(engine).lastToken(m.tokenizer().encode(p.positive(), true));
                float[][] hn = ResidualReader.of(engine).lastToken(m.tokenizer().encode(p.negative(), true));
                for (int i = 0; i < 64; i++) {
                    manual[i] += (hp[3][i] - hn[3][i]) / 3.0;
                }
            }
            for (int i = 0; i < 64; i++) {
                assertEquals(manual[i], v[3][i], 1e-5);
            }
        }
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
