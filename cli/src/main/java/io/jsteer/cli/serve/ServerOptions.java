package io.jsteer.cli.serve;

import java.time.Duration;
import java.util.List;

/**
 * How the HTTP side of the server behaves, beyond what it generates.
 *
 * @param alias       the model id the API reports (null: the model file's name); requests may name any model
 * @param apiKeys     keys a request must present as {@code Authorization: Bearer KEY} (empty: no key needed);
 *                    {@code /health} never needs one
 * @param corsOrigins origins browsers may call from ({@code *} for any); empty: no CORS headers, preflights refused
 * @param backlog     connections the operating system holds before the server accepts them
 * @param idleTimeout how long a connection may stay idle (a keep-alive connection between requests, a
 *                    stalled upload) before the server closes it and frees what it holds
 */
public record ServerOptions(String alias, List<String> apiKeys, List<String> corsOrigins, int backlog, Duration idleTimeout) {

    /** Jetty's own default, written out because the heap that idle keep-alive connections hold lasts this long. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);

    public static final ServerOptions DEFAULT = new ServerOptions(null, List.of(), List.of(), 1024);

    /** With the default idle timeout. */
    public ServerOptions(String alias, List<String> apiKeys, List<String> corsOrigins, int backlog) {
        this(alias, apiKeys, corsOrigins, backlog, DEFAULT_IDLE_TIMEOUT);
    }

    public ServerOptions {
        apiKeys = List.copyOf(apiKeys);
        corsOrigins = List.copyOf(corsOrigins);
        if (apiKeys.stream().anyMatch(k -> k.isBlank() || k.chars().anyMatch(c -> c <= ' ' || c > '~'))) {
            throw new IllegalArgumentException("--api-key: a key must be printable ASCII without spaces");
        }
        if (backlog < 1) {
            throw new IllegalArgumentException("the accept backlog must be at least 1, got " + backlog);
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("the idle timeout must be positive, got " + idleTimeout);
        }
    }
}
