package io.jsteer.model.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.TestModels;
import io.jsteer.model.TinyModels;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.train.ForwardOptions;
import io.jsteer.model.train.TrainableLlama;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.EnumSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A non-zero adapter gives the same logits on the inference path (decode and prefill) and the trainable path. */
class LoraPathsTest {

    /** An adapter whose B is random too, so that it changes the model. */
    static LoraAdapter randomAdapter(LlamaConfig c, EnumSet<LoraTarget> targets, long seed, double bScale, Precision p) {
        return randomAdapter(c, LoraSpec.of(4, 8, targets), seed, bScale, p);
    }

    /** An adapter of {@code spec} whose B is random too (on its adapted blocks). */
    static LoraAdapter randomAdapter(LlamaConfig c, LoraSpec spec, long seed, double bScale, Precision p) {
        LoraAdapter adapter = LoraAdapter.initialize(c, spec, seed, p);
        SplittableRandom r = new SplittableRandom(seed + 1);
        for (int l : adapter.adaptedLayers()) {
            for (LoraTarget t : spec.targets()) {
                Var b = adapter.b(l, t);
                for (int i = 0; i < b.size(); i++) {
                    b.data().set(i, r.nextGaussian() * bScale);
                }
            }
        }
        return adapter;
    }

    static float[][] engineLogits(LoadedModel m, LoraAdapter adapter, InterventionSet set, int[] tokens) {
        float[][] out = new float[tokens.length][];
        try (CpuEngine e = new CpuEngine(m.config(), m.weights(), tokens.length, new Parallel(1))) {
            e.setAdapter(adapter);
            e.setInterventions(set);
            for (int t = 0; t < tokens.length; t++) {
                out[t] = e.forward(tokens[t], t, true).clone();
            }
        }
        return out;
    }

    static double maxDiff(float[][] a, Var b) {
        double max = 0;
        int v = b.cols();
        for (int t = 0; t < a.length; t++) {
            for (int j = 0; j < v; j++) {
                max = Math.max(max, Math.abs(a[t][j] - b.get(t * v + j)));
            }
        }
        return max;
    }

    static double maxDiff(float[][] a, float[][] b) {
        double max = 0;
        for (int t = 0; t < a.length; t++) {
            for (int j = 0; j < a[t].length; j++) {
                max = Math.max(max, Math.abs(a[t][j] - b[t][j]));
            }
        }
        return max;
    }

    @Test
    void inferenceEqualsTrainableWithARandomAdapterOnStories260K() {
        try (LoadedModel m = TestModels.storiesBin()) {
            int[] tokens = TinyModels.tokens(m.config(), 64, 9);
            tokens[0] = 1;
            LoraAdapter adapter = randomAdapter(m.config(), EnumSet.allOf(LoraTarget.class), 3, 0.2, Precision.F32);
            InterventionSet none = InterventionSet.of();
            float[][] plain = engineLogits(m, null, none, tokens);
            float[][] adapted = engineLogits(m, adapter, none, tokens);
            assertTrue(maxDiff(plain, adapted) > 0.1, "the adapter changes the model");
            TrainableLlama model = TrainableLlama.of(m);
            double diff = maxDiff(adapted, model.logits(new Tape(Precision.F32), tokens, ForwardOptions.NONE.withAdapter(adapter)));
            assertTrue(diff < 1e-4, "max |Δlogit| = " + diff);

            // with steering on top (KTS trains exactly this combination)
            InterventionSet steer = InterventionSet.of(AddVector.of(Site.parse("resid_post:2"), random(64, 4), 3, Positions.ALL));
            float[][] both = engineLogits(m, adapter, steer, tokens);
            diff = maxDiff(both, model.logits(new Tape(Precision.F32), tokens,
                    ForwardOptions.NONE.withAdapter(adapter).withHooks(steer.toTapeHooks(m.config()))));
            assertTrue(diff < 1e-4, "adapter + steering: max |Δlogit| = " + diff);

            // batched prefill (two chunks) applies the adapter too; removing it restores the plain model
            try (Parallel par = new Parallel(2); CpuEngine e = m.newCpuEngine(64, par)) {
                e.setAdapter(adapter);
                assertArrayEquals(adapted[63], e.prefill(tokens, 0), 1e-4f);
                e.setAdapter(null);
                assertArrayEquals(plain[63], e.prefill(tokens, 0), 1e-4f);
            }
        }
    }

    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void aSubsetOfTargetsOnANeoxGqaModel() {
        LlamaConfig c = TinyModels.neoxLlama3Config();
        var weights = TinyModels.randomWeights(c, 4);
        LoraAdapter adapter = randomAdapter(c, EnumSet.of(LoraTarget.K, LoraTarget.DOWN), 8, 0.3, Precision.F32);
        int[] tokens = TinyModels.tokens(c, 40, 2);
        float[][] expected;
        try (CpuEngine e = new CpuEngine(c, weights, 40, new Parallel(1))) {
            e.setAdapter(adapter);
            expected = new float[40][];
            for (int t = 0; t < 40; t++) {
                expected[t] = e.forward(tokens[t], t, true).clone();
            }
        }
        Var logits = new TrainableLlama(c, weights).logits(new Tape(Precision.F32), tokens, ForwardOptions.NONE.withAdapter(adapter));
        assertTrue(maxDiff(expected, logits) < 1e-4);
        assertEquals(8, adapter.parameters().size(), "A and B of k and of down in each of 2 blocks");
    }

    @Test
    void mergedWeightsComputeWhatTheAdapterDoes() {
        LlamaConfig c = TinyModels.neoxLlama3Config();
        var weights = TinyModels.randomWeights(c, 5);
        LoraAdapter adapter = randomAdapter(c, EnumSet.allOf(LoraTarget.class), 9, 0.3, Precision.F32);
        int[] tokens = TinyModels.tokens(c, 30, 8);
        var merged = adapter.mergeInto(c, weights);
        try (CpuEngine withAdapter = new CpuEngine(c, weights, 30, new Parallel(1));
             CpuEngine mergedEngine = new CpuEngine(c, merged, 30, new Parallel(1));
             CpuEngine plainEngine = new CpuEngine(c, weights, 30, new Parallel(1))) {
            withAdapter.setAdapter(adapter);
            double changed = 0;
            for (int t = 0; t < 30; t++) {
                float[] expected = withAdapter.forward(tokens[t], t, true).clone();
                assertArrayEquals(expected, mergedEngine.forward(tokens[t], t, true), 1e-4f, "position " + t);
                float[] plain = plainEngine.forward(tokens[t], t, true);
                for (int j = 0; j < plain.length; j++) {
                    changed = Math.max(changed, Math.abs(plain[j] - expected[j]));
                }
            }
            assertTrue(changed > 0.1, "the adapter matters: " + changed);
        }
        assertTrue(merged.wv()[1] != weights.wv()[1] && merged.tokenEmbedding() == weights.tokenEmbedding());
    }

    @Test
    void anAdapterForAnotherModelIsRefused() {
        LlamaConfig c = TinyModels.tinyConfig();
        LoraAdapter other = LoraAdapter.initialize(TinyModels.neoxLlama3Config(), 2, 4, EnumSet.of(LoraTarget.Q), 1);
        try (CpuEngine e = new CpuEngine(c, TinyModels.randomWeights(c, 1), 8, new Parallel(1))) {
            var ex = assertThrows(IllegalArgumentException.class, () -> e.setAdapter(other));
            assertTrue(ex.getMessage().contains("blk.0.q.lora_a has shape [2, 16], the model needs [2, 8]"), ex.getMessage());
        }
        var ex = assertThrows(IllegalArgumentException.class,
                () -> LoraAdapter.initialize(c, 0, 4, EnumSet.of(LoraTarget.Q), 1));
        assertTrue(ex.getMessage().contains("rank"));
    }
}
