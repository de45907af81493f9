package io.jsteer.steering.mat;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.ActivationHook;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.HostEdit;
import io.jsteer.model.intervene.Intervention;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.capture.InMemoryActivations;
import io.jsteer.steering.capture.PositionMode;
import io.jsteer.tensor.Parallel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The synthetic multi-attribute task through a real model (stories260K): two attributes
 * are planted as rotations of the real activations at {@code attn_heads:2} towards directions
 * u_1 and u_2. MAT-Steer and the ungated sum of the per-attribute mean differences are trained on
 * captured activations; then, in the model, an attribute input is one whose activations get the
 * planted rotation, and a neutral input is the clean text. Attribute score: KL(clean ‖ planted
 * and steered) of the next-token distributions (how far the method leaves the output from the
 * clean one; lower is better). Neutral cost: KL(clean ‖ steered) on clean text.
 */
class MatPlantedModelTest {

    static final Site SITE = Site.parse("attn_heads:2");
    /** The rotation's strength: a ← (a + c‖a‖u)·‖a‖/‖a + c‖a‖u‖, about 40° for a ⟂ u. */
    static final double PLANT = 0.85;

    /** The planted attribute: rotates every activation towards u, keeping its norm. */
    static ActivationHook plant(float[] u) {
        return (site, pos, inPrompt, x) -> rotate(x, u);
    }

    static void rotate(float[] x, float[] u) {
        double n = 0;
        for (float v : x) {
            n += v * v;
        }
        n = Math.sqrt(n);
        double m = 0;
        double[] y = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            y[j] = x[j] + PLANT * n * u[j];
            m += y[j] * y[j];
        }
        m = Math.sqrt(m);
        for (int j = 0; j < x.length; j++) {
            x[j] = (float) (y[j] * n / m);
        }
    }

    static List<String> storyTexts() throws Exception {
        List<String> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String f : List.of("happy.jsonl", "animals.jsonl")) {
            for (String line : Files.readAllLines(Path.of("examples/mat").resolve(f))) {
                JsonNode item = json.readTree(line);
                for (JsonNode c : item.get("choices")) {
                    out.add(item.get("question").asText().replace("How did", "One day").replace("What did", "One day")
                            .replace("?", ".") + " " + c.asText() + ".");
                }
            }
        }
        Collections.shuffle(out, new Random(1));
        return out;
    }

    @Test
    void matBeatsTheUngatedSumOnTheAttributeScoreWithLowerNeutralKl() throws Exception {
        List<String> texts = storyTexts();
        List<String> train = texts.subList(0, 160), held = texts.subList(160, 200);
        try (LoadedModel m = Shared.stories(); Parallel par = new Parallel(2); CpuEngine engine = m.newCpuEngine(128, par)) {
            int d = m.config().dim();
            // two planted directions: random, orthonormal
            Random rng = new Random(7);
            float[][] u = new float[2][d];
            for (int t = 0; t < 2; t++) {
                for (int j = 0; j < d; j++) {
                    u[t][j] = (float) rng.nextGaussian();
                }
            }
            double dot = 0, n0 = 0;
            for (int j = 0; j < d; j++) {
                dot += u[0][j] * u[1][j];
                n0 += u[0][j] * u[0][j];
            }
            for (int j = 0; j < d; j++) {
                u[1][j] -= (float) (dot / n0 * u[0][j]);
            }
            for (float[] v : u) {
                double n = 0;
                for (float x : v) {
                    n += x * x;
                }
                for (int j = 0; j < d; j++) {
                    v[j] /= (float) Math.sqrt(n);
                }
            }

            // every token's activation of the training texts (the shared capture package), in four disjoint pools
            InMemoryActivations rows = new InMemoryActivations(List.of(SITE), d);
            List<CapturePrompt> prompts = train.stream().map(s -> CapturePrompt.of(m.tokenizer().encode(s, true), 1)).toList();
            new ActivationCapture(engine, List.of(SITE), PositionMode.ALL).run(prompts, rows, null, false);
            List<float[]> all = new ArrayList<>();
            for (int r = 0; r < rows.rows(); r++) {
                float[] x = new float[d];
                rows.copy(SITE, r, x);
                all.add(x);
            }
            Collections.shuffle(all, new Random(3));
            int q = all.size() / 4;
            List<AttributeFeatures> features = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                float[][] pos = all.subList(2 * t * q, (2 * t + 1) * q).toArray(float[][]::new);
                float[][] neg = all.subList((2 * t + 1) * q, (2 * t + 2) * q).stream().map(float[]::clone).toArray(float[][]::new);
                for (float[] x : neg) {
                    rotate(x, u[t]);
                }
                features.add(new AttributeFeatures("attr" + (t + 1), pos, neg));
            }

            TrainConfig cfg = new TrainConfig(MatLoss.Weights.QA, Bandwidth.PAPER, 32, 12, 1e-2, 5);
            MatParameters mat = new MatTrainer(cfg, null, false).train(features).parameters();
            float[] sum = new float[d];
            for (AttributeFeatures f : features) {
                float[] v = f.meanDifference();
                for (int j = 0; j < d; j++) {
                    sum[j] += v[j];
                }
            }
            Intervention matHook = mat.toGatedEdit(SITE);
            Intervention sumHook = AddVector.of(SITE, sum, 1, Positions.ALL);

            MatEvaluator eval = new MatEvaluator(engine, m.tokenizer());
            double matNeutral = eval.meanKl(held, hooks(m, null, matHook));
            double sumNeutral = eval.meanKl(held, hooks(m, null, sumHook));
            System.err.printf(Locale.ROOT, "neutral KL(clean ‖ steered): MAT %.4f, ungated sum %.4f%n", matNeutral, sumNeutral);
            for (int t = 0; t < 2; t++) {
                float[] ut = u[t];
                Intervention planted = new HostEdit(SITE, "planted attribute", -1, gates -> plant(ut));
                double none = eval.meanKl(held, hooks(m, planted, null));
                double withMat = eval.meanKl(held, hooks(m, planted, matHook));
                double withSum = eval.meanKl(held, hooks(m, planted, sumHook));
                System.err.printf(Locale.ROOT, "attr%d: KL(clean ‖ planted) %.4f; after MAT %.4f; after the ungated sum %.4f%n",
                        t + 1, none, withMat, withSum);
                assertTrue(withMat < withSum, "attribute " + (t + 1) + ": MAT " + withMat + " vs sum " + withSum);
                assertTrue(withMat < 0.5 * none, "MAT undoes most of the planted change: " + withMat + " of " + none);
            }
            assertTrue(matNeutral < sumNeutral, "neutral KL: MAT " + matNeutral + " vs sum " + sumNeutral);
        }
    }

    /** The plant (if any) then the method (if any), both at the site. */
    /** The planted change, then the method's edit, at SITE (either may be null). */
    static InterventionSet hooks(LoadedModel m, Intervention plant, Intervention method) {
        InterventionSet set = InterventionSet.of();
        if (plant != null) {
            set = set.plus(plant);
        }
        if (method != null) {
            set = set.plus(method);
        }
        return set;
    }
}
