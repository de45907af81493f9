package io.jsteer.cli.serve;

import java.util.List;

/**
 * How the HTTP side of the server behaves, beyond what it generates.
 *
 * @param alias       the model id the API reports (null: the model file's name); requests may name any model
 * @param apiKeys     keys a request must present as {@code Authorization: Bearer KEY} (empty: no key needed);
 *                    {@code /health} never needs one
 * @param corsOrigins origins browsers may call from ({@code *} for any); empty: no CORS headers, preflights refused
 * @param backlog     connections the operating system holds before the server accepts them
 */
public record ServerOptions(String alias, List<String> apiKeys, List<String> corsOrigins, int backlog) {

    public static final ServerOptions DEFAULT = new ServerOptions(null, List.of(), List.of(), 1024);

    public ServerOptions {
        apiKeys = List.copyOf(apiKeys);
        corsOrigins = List.copyOf(corsOrigins);
        if (apiKeys.stream().anyMatch(k -> k.isBlank() || k.chars().anyMatch(c -> c <= ' ' || c > '~'))) {
            throw new IllegalArgumentException("--api-key: a key must be printable ASCII without spaces");
        }
        if (backlog < 1) {
            throw new IllegalArgumentException("the accept backlog must be at least 1, got " + backlog);
        }
    }
}
