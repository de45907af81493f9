package io.jsteer.cli.serve;

import io.jsteer.model.intervene.Hooks;
import java.util.List;

/**
 * Turns the steering a request asks for into hooks for one engine. Implementations validate the
 * names, layers and widths and throw {@link IllegalArgumentException} with a message a client can
 * act on; the server answers that with 400.
 */
@FunctionalInterface
public interface SteeringResolver {

    /** @return hooks to set on the engine, or null for no steering (an empty list gives null) */
    Hooks resolve(List<SteerSpec> specs);

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
