package io.jsteer.steering.sweep;

import io.jsteer.model.intervene.InterventionSet;

/**
 * A steering configuration as a function of the sweep's two axes: the interventions that steer at
 * {@code layer} with {@code strength} (an added vector, an ablation, a composition), given to the
 * engine's {@code setInterventions}. Called once per cell; never with strength 0 (the sweep's
 * baseline runs unsteered).
 */
@FunctionalInterface
public interface SteeringFactory {

    InterventionSet at(int layer, double strength);
}
