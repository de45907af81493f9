/**
 * Steering-vector methods (mean difference / CAA, paired PCA, linear probes, ablation
 * directions), vector algebra, the vector-set file format and llama.cpp control-vector
 * conversion. {@link io.jsteer.steering.vectors.Extraction} goes from prompts to a
 * {@link io.jsteer.steering.vectors.VectorSet} in one call;
 * {@link io.jsteer.steering.vectors.VectorSetFiles} writes and reads it.
 */
package io.jsteer.steering.vectors;
