package io.jsteer.cli.serve;

import io.jsteer.model.intervene.InterventionSet;
import java.util.List;

/**
 * Turns the steering a request asks for into interventions for the engine's one steering door
 * ({@code setInterventions}: device kernels on the GPU engine, hooks on the CPU). Implementations validate the
 * names, layers and widths and throw {@link IllegalArgumentException} with a message a client can
 * act on; the server answers that with 400.
 */
@FunctionalInterface
public interface SteeringResolver {

    /** @return the interventions to set on the engine, or null for no steering (an empty list gives null) */
    InterventionSet resolve(List<SteerSpec> specs);

    /** A resolver for a server started without vectors: any steering request is refused. */
    static SteeringResolver none() {
        return specs -> {
            if (specs.isEmpty()) {
                return null;
            }
            throw new IllegalArgumentException("this server has no steering vectors (start it with --vectors DIR)");
        };
    }
}
