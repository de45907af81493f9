package io.jsteer.model.intervene;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.TinyModels;
import io.jsteer.model.train.ForwardOptions;
import io.jsteer.model.train.TrainableLlama;
import io.jsteer.tensor.autograd.GradCheck;
import io.jsteer.tensor.autograd.Var;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Gradients of intervention parameters through the whole trainable forward of a tiny random
 * model, against central finite differences in float64 (GradCheck reduces the logits [T, V]
 * with fixed random weights).
 */
class InterventionGradientTest {

    private final LlamaConfig c = TinyModels.tinyConfig();
    private final TrainableLlama model = new TrainableLlama(c, TinyModels.randomWeights(c, 21));
    private final int[] tokens = TinyModels.tokens(c, 6, 4);

    static double[] random(long seed, int n, double scale) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian() * scale;
        }
        return v;
    }

    private GradCheck.Result check(java.util.function.Function<List<Var>, InterventionSet> set, int promptLength,
                                   GradCheck.Input... inputs) {
        return GradCheck.check((tape, in) -> model.logits(tape, tokens,
                        ForwardOptions.NONE.withHooks(set.apply(in).toTapeHooks(c)).withPromptLength(promptLength)),
                List.of(inputs));
    }

    @Test
    void addVectorOnAllAndOnGeneratedPositions() {
        for (Positions p : Positions.values()) {
            GradCheck.Result r = check(in -> InterventionSet.of(new AddVector(Site.parse("resid_pre:1"), in.get(0), 1.5, p)), 3,
                    GradCheck.Input.of(random(1, 8, 0.5), 8));
            assertTrue(r.maxGradientError() < 1e-6, p + ": " + r);
        }
    }

    @Test
    void gatedEditThetaGateWeightsAndBiases() {
        for (String site : List.of("attn_heads:0", "resid_post:1")) {
            GradCheck.Result r = check(in -> InterventionSet.of(new GatedEdit(Site.parse(site), in.get(0), in.get(1), in.get(2), 1.0)),
                    6,
                    GradCheck.Input.of(random(2, 16, 1.0), 2, 8),
                    GradCheck.Input.of(random(3, 16, 0.5), 2, 8),
                    GradCheck.Input.of(random(4, 2, 0.5), 2));
            assertTrue(r.maxGradientError() < 1e-6, site + ": " + r);
        }
    }

    @Test
    void ablationDirectionAndAComposite() {
        GradCheck.Result r = check(in -> InterventionSet.of(
                        new Ablate(Site.parse("mlp_out:0"), in.get(0)),
                        new AddVector(Site.parse("attn_out:1"), in.get(1), -0.7, Positions.ALL)), 6,
                GradCheck.Input.of(random(5, 8, 1.0), 8),
                GradCheck.Input.of(random(6, 8, 0.5), 8));
        assertTrue(r.maxGradientError() < 1e-6, r.toString());
    }
}
