package io.jsteer.steering.kts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.steering.kts.data.BenignCorpus;
import io.jsteer.steering.kts.data.DemoCorpus;
import io.jsteer.steering.vectors.LinearProbe;
import io.jsteer.steering.kts.gate.SteeringGate;
import io.jsteer.steering.kts.gate.Thresholds;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.GradCheck;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GateAndKlTest {

    @Test
    void klOfIdenticalDistributionsIsZeroWithZeroGradientInBothDirections() {
        Random r = new Random(3);
        double[] logits = new double[3 * 7];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = 3 * r.nextGaussian();
        }
        for (boolean forward : new boolean[] {false, true}) {
            Tape tape = new Tape(Precision.F64);
            Var x = Var.param(Precision.F64, logits, 3, 7);
            Var ref = tape.logSoftmax(tape.constant(logits, 3, 7));
            Var q = tape.logSoftmax(x);
            Var kl = forward ? tape.klDivergence(ref, q) : tape.klDivergence(q, ref);
            assertEquals(0, kl.item(), 1e-14);
            tape.backward(kl);
            for (double g : x.gradToDoubleArray()) {
                assertEquals(0, g, 1e-12);
            }
        }
        // central differences at that point agree: every partial is 0 (the minimum of KL)
        for (int i = 0; i < logits.length; i += 4) {
            double h = 1e-5;
            double[] up = logits.clone(), down = logits.clone();
            up[i] += h;
            down[i] -= h;
            double numeric = (klAgainst(up, logits) - klAgainst(down, logits)) / (2 * h);
            assertEquals(0, numeric, 1e-6, "d KL / d logit " + i);
        }
        // away from it the analytic gradient matches finite differences (GradCheck, float64)
        double[] shifted = logits.clone();
        shifted[2] += 0.7;
        GradCheck.Result res = GradCheck.check((t, in) -> t.klDivergence(t.logSoftmax(in.get(0)), t.logSoftmax(in.get(1))),
                List.of(GradCheck.Input.of(shifted, 3, 7), GradCheck.Input.of(logits.clone(), 3, 7)));
        assertTrue(res.maxGradientError() < 1e-6, res::toString);
    }

    private static double klAgainst(double[] q, double[] p) {
        Tape t = new Tape(Precision.F64);
        return t.klDivergence(t.logSoftmax(t.constant(q, 3, 7)), t.logSoftmax(t.constant(p, 3, 7))).item();
    }

    @Test
    void thresholdMeetsTheTargetFprOnItsDevSplitAndIsTheSmallestThatDoes() {
        Random r = new Random(9);
        List<Double> dev = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            dev.add(r.nextDouble());
        }
        for (double fpr : new double[] {0, 0.01, 0.05, 0.1, 0.25}) {
            double t = Thresholds.forFalsePositiveRate(dev, fpr);
            assertTrue(Thresholds.rateAbove(dev, t) <= fpr + 1e-12, "FPR at " + t);
            // one step lower (the next smaller dev score) would exceed the target
            double lower = dev.stream().filter(x -> x < t).mapToDouble(Double::doubleValue).max().orElse(-1);
            assertTrue(Thresholds.rateAbove(dev, lower) > fpr, "threshold " + t + " is not the smallest for " + fpr);
        }
    }

    @Test
    void probeOnAnEarlyBlockSeparatesTargetedFromBenignPromptsAtTheChosenFpr(@TempDir Path dir) throws Exception {
        try (LoadedModel m = SharedModels.stories(); Parallel par = new Parallel(1); CpuEngine engine = m.newCpuEngine(128, par)) {
            var tok = m.tokenizer();
            List<int[]> benign = BenignCorpus.generate(engine, tok, 60, 24, 8, 5, n -> { });
            List<String> targeted = DemoCorpus.targetedPrompts(60, 6);
            ActivationCapture.LastToken reader = ActivationCapture.residuals(engine);
            int layer = 1;
            List<float[]> x = new ArrayList<>();
            List<Boolean> y = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                x.add(reader.lastToken(benign.get(i))[layer]);
                y.add(false);
                x.add(reader.lastToken(tok.encode(targeted.get(i), true))[layer]);
                y.add(true);
            }
            LinearProbe probe = LinearProbe.train(layer, x, y, 300, 1);
            List<Double> devBenign = new ArrayList<>();
            List<Double> devTargeted = new ArrayList<>();
            for (int i = 40; i < 60; i++) {
                devBenign.add(probe.score(reader.lastToken(benign.get(i))[layer]));
                devTargeted.add(probe.score(reader.lastToken(tok.encode(targeted.get(i), true))[layer]));
            }
            double fpr = 0.05;
            double t = Thresholds.forFalsePositiveRate(devBenign, fpr);
            assertTrue(Thresholds.rateAbove(devBenign, t) <= fpr);
            assertTrue(Thresholds.rateAbove(devTargeted, t) > 0.5, "the probe should catch most targeted prompts: "
                    + Thresholds.rateAbove(devTargeted, t));
            // save/load round trip and the gate's decision agree with the probe
            probe.save(dir.resolve("gate.json"), t);
            var saved = LinearProbe.load(dir.resolve("gate.json"));
            assertEquals(t, saved.threshold());
            assertTrue(Arrays.equals(probe.weight()[1], saved.probe().weight()[1]));
            var gate = new SteeringGate(saved.probe(), saved.threshold());
            int[] prompt = tok.encode(targeted.get(45), true);
            assertEquals(probe.score(reader.lastToken(prompt)[layer]) > t, gate.shouldSteer(reader, prompt));
        }
    }
}
