package io.jsteer.cli.serve;

import io.jsteer.model.InferenceEngine;

/**
 * Decides per prompt whether a request's steering is applied (KTS classifier-gated steering).
 * It may run the prompt through {@code engine} (unsteered; its hooks are cleared afterwards).
 */
@FunctionalInterface
public interface PromptGate {

    GateDecision decide(InferenceEngine engine, int[] prompt);
}
