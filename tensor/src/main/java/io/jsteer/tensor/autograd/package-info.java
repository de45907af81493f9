/**
 * Tape-based reverse-mode automatic differentiation over dense row-major tensors.
 *
 * <p>{@link io.jsteer.tensor.autograd.Var} holds values (and a gradient); a
 * {@link io.jsteer.tensor.autograd.Tape} runs ops, records those that need gradients and
 * replays them backwards. Each op is one package-private class holding its forward
 * ({@code apply}) and its {@code backward}. Values are float32 for training or float64 for
 * {@link io.jsteer.tensor.autograd.GradCheck}; the same op code serves both through
 * {@link io.jsteer.tensor.autograd.Storage}. Frozen model weights enter as
 * {@link io.jsteer.tensor.FloatTensor} constants of any dtype and are never copied whole.
 */
package io.jsteer.tensor.autograd;
