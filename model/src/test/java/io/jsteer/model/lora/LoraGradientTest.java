package io.jsteer.model.lora;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.TinyModels;
import io.jsteer.model.train.ForwardOptions;
import io.jsteer.model.train.NumericGradients;
import io.jsteer.model.train.TrainableLlama;
import io.jsteer.tensor.autograd.GradCheck;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.EnumSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Gradients of every A and B through the whole trainable forward of a tiny model, against finite differences (float64). */
class LoraGradientTest {

    @Test
    void everyMatrixOfEveryTargetAgreesWithFiniteDifferences() {
        LlamaConfig c = TinyModels.tinyConfig();
        TrainableLlama model = new TrainableLlama(c, TinyModels.randomWeights(c, 31));
        int[] tokens = TinyModels.tokens(c, 5, 6);
        LoraAdapter adapter = LoraPathsTest.randomAdapter(c, EnumSet.allOf(LoraTarget.class), 12, 0.3, Precision.F64);
        Tape tape = new Tape(Precision.F64);
        Var logits = model.logits(tape, tokens, ForwardOptions.NONE.withAdapter(adapter));
        double[] seed = new double[logits.size()];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < seed.length; i++) {
            seed[i] = r.nextDouble() * 2 - 1;
        }
        tape.backward(logits, seed);
        for (Var p : adapter.parameters()) {
            double[] analytic = p.gradToDoubleArray();
            double[] numeric = NumericGradients.of(model, tokens, ForwardOptions.NONE.withAdapter(adapter), p, seed);
            double err = GradCheck.relativeError(analytic, numeric);
            assertTrue(err < 1e-6, p + ": relative error " + err);
            double norm = 0;
            for (double g : analytic) {
                norm += g * g;
            }
            assertTrue(norm > 0, p + " gets a gradient");
        }
    }

}
