package io.jsteer.steering.sweep;

import io.jsteer.model.intervene.Hooks;

/**
 * A steering configuration as a function of the sweep's two axes: the hooks that steer at
 * {@code layer} with {@code strength}. Any intervention kind fits (an added vector, an ablation,
 * a composition) as long as it compiles to {@link Hooks}. Called once per cell; never with
 * strength 0 (the sweep's baseline runs without hooks).
 */
@FunctionalInterface
public interface SteeringFactory {

    Hooks at(int layer, double strength);
}
