/**
 * Activation capture: {@link io.jsteer.steering.capture.ActivationCapture} runs token prompts
 * ({@link io.jsteer.steering.capture.CapturePrompts} makes them from datasets) through an
 * inference engine with read-only hooks and hands the vectors at chosen sites and positions to a
 * sink: running means ({@link io.jsteer.steering.capture.MeanAccumulator}), memory
 * ({@link io.jsteer.steering.capture.InMemoryActivations}) or disk
 * ({@link io.jsteer.steering.capture.ActivationStore}).
 */
package io.jsteer.steering.capture;
