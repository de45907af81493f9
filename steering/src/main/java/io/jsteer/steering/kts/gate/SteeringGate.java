package io.jsteer.steering.kts.gate;

import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.vectors.LinearProbe;

/**
 * Classifier-gated steering (spec §3): the probe reads resid_post of its block at the last prompt
 * token of the (unsteered) model; the request is steered when the score exceeds the threshold.
 */
public record SteeringGate(LinearProbe probe, double threshold) {

    public double score(ActivationCapture.LastToken reader, int[] prompt) {
        return probe.score(reader.lastToken(prompt)[probe.layer()]);
    }

    public boolean shouldSteer(ActivationCapture.LastToken reader, int[] prompt) {
        return score(reader, prompt) > threshold;
    }
}
