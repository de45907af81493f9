package io.jsteer.steering.kts.experiments;

import io.jsteer.model.InferenceEngine;
import io.jsteer.steering.vectors.LinearProbe;
import io.jsteer.steering.kts.gate.Thresholds;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The deployment's classifier (kts.md §3): a linear probe on resid_post of one block at the last
 * prompt token of the deployed (unsteered) model, trained on flagged vs benign requests rendered as
 * they are served, with the smallest threshold whose false-positive rate on a dev split is at most
 * the target. Loaded from a gate.json of {@code kts eval} instead when one is given.
 */
public record PromptGate(LinearProbe probe, double threshold, double devFpr, double devTpr, String origin) {

    /** Trains on {@code flagged}/{@code benign} ids; {@code devFlagged}/{@code devBenign} set the threshold. */
    public static PromptGate train(SteeredModels models, InferenceEngine deployed, int layer, List<int[]> flagged, List<int[]> benign,
                                   List<int[]> devFlagged, List<int[]> devBenign, double targetFpr, long seed) {
        if (layer < 0 || layer >= models.config().nLayers()) {
            throw new IllegalArgumentException("--gate-layer " + layer + " is outside 0.." + (models.config().nLayers() - 1));
        }
        if (flagged.isEmpty() || benign.isEmpty() || devFlagged.isEmpty() || devBenign.isEmpty()) {
            throw new IllegalArgumentException("the gate needs flagged and benign prompts for training and for its dev split");
        }
        List<float[]> x = new ArrayList<>();
        List<Boolean> y = new ArrayList<>();
        for (int i = 0; i < Math.max(flagged.size(), benign.size()); i++) {
            if (i < flagged.size()) {
                x.add(models.lastToken(deployed, flagged.get(i))[layer]);
                y.add(true);
            }
            if (i < benign.size()) {
                x.add(models.lastToken(deployed, benign.get(i))[layer]);
                y.add(false);
            }
        }
        LinearProbe probe = LinearProbe.train(layer, x, y, 300, seed);
        List<Double> devB = new ArrayList<>(), devF = new ArrayList<>();
        for (int[] p : devBenign) {
            devB.add(probe.score(models.lastToken(deployed, p)[layer]));
        }
        for (int[] p : devFlagged) {
            devF.add(probe.score(models.lastToken(deployed, p)[layer]));
        }
        double t = Thresholds.forFalsePositiveRate(devB, targetFpr);
        return new PromptGate(probe, t, Thresholds.rateAbove(devB, t), Thresholds.rateAbove(devF, t), "trained here");
    }

    /** A gate.json written by {@code kts eval} (its own threshold). */
    public static PromptGate load(Path file) throws IOException {
        var saved = LinearProbe.load(file);
        return new PromptGate(saved.probe(), saved.threshold(), Double.NaN, Double.NaN, file.toString());
    }

    public int layer() { return probe.layer(); }

    public double score(SteeredModels models, InferenceEngine deployed, int[] prompt) {
        return probe.score(models.lastToken(deployed, prompt)[probe.layer()]);
    }

    public boolean flags(SteeredModels models, InferenceEngine deployed, int[] prompt) {
        return score(models, deployed, prompt) > threshold;
    }
}
