package io.jsteer.spark;

import io.jsteer.model.LoadedModel;
import java.io.Serializable;

/**
 * How an executor makes something that depends on the model (steering hooks, a behaviour
 * metric) once it has opened the model itself: objects such as hooks hold model-sized state and
 * are not serializable, so the job ships this recipe (a serializable lambda whose captured values
 * are serializable) instead of the object.
 */
@FunctionalInterface
public interface ModelRecipe<T> extends Serializable {

    T make(LoadedModel model);
}
