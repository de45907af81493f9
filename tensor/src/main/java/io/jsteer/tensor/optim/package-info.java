/**
 * Optimisers over {@link io.jsteer.tensor.autograd.Var} parameters (SGD with momentum, Adam,
 * AdamW), learning-rate schedules with warm-up, and global-norm gradient clipping.
 */
package io.jsteer.tensor.optim;
