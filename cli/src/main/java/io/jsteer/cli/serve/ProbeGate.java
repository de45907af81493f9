package io.jsteer.cli.serve;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LlamaConfig;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.vectors.LinearProbe;
import io.jsteer.steering.kts.gate.SteeringGate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A KTS linear-probe gate ({@code gate.json} from {@code jsteer kts eval}): reads resid_post of the
 * probe's block at the last prompt token of the unsteered (possibly adapted) model.
 */
public record ProbeGate(SteeringGate gate) implements PromptGate {

    /**
     * Parses {@code FILE[:THRESHOLD]} (the threshold overrides the file's) and checks the probe
     * against the model.
     */
    public static ProbeGate parse(String spec, LlamaConfig config) throws IOException {
        String file = spec;
        Double threshold = null;
        int colon = spec.lastIndexOf(':');
        if (colon > 0) {
            try {
                threshold = Double.parseDouble(spec.substring(colon + 1));
                file = spec.substring(0, colon);
            } catch (NumberFormatException e) {
                // no threshold: the colon is part of the path
            }
        }
        Path path = Path.of(file);
        if (!Files.isRegularFile(path)) {
            throw new NoSuchFileException(file, null, "--gate: no such gate file (write one with 'jsteer kts eval')");
        }
        LinearProbe.Saved saved;
        try {
            saved = LinearProbe.load(path);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("--gate " + file + ": not a KTS probe file: " + e.getMessage(), e);
        }
        LinearProbe probe = saved.probe();
        if (probe.layer() < 0 || probe.layer() >= config.nLayers()) {
            throw new IllegalArgumentException("--gate " + file + ": site resid_post:" + probe.layer()
                    + " does not exist, the model has " + config.nLayers() + " blocks");
        }
        if (probe.mean().length != config.dim()) {
            throw new IllegalArgumentException("--gate " + file + ": the probe reads width " + probe.mean().length
                    + ", the model width is " + config.dim());
        }
        double t = threshold != null ? threshold : saved.threshold();
        if (!(t >= 0 && t <= 1)) {
            throw new IllegalArgumentException("--gate " + spec + ": the threshold must be in [0, 1] (a probability), got " + t);
        }
        return new ProbeGate(new SteeringGate(probe, t));
    }

    @Override
    public GateDecision decide(InferenceEngine engine, int[] prompt) {
        double score = gate.score(ActivationCapture.residuals(engine), prompt);
        return new GateDecision(score, gate.threshold(), score > gate.threshold());
    }
}
