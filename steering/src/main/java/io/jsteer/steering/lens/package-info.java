/**
 * The logit lens ({@link io.jsteer.steering.lens.LogitLens}): the residual stream after every
 * block read through the model's final norm and classifier, with and without steering.
 */
package io.jsteer.steering.lens;
