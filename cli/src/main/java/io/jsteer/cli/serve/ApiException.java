package io.jsteer.cli.serve;

/**
 * A request the server refuses, with the HTTP status and the OpenAI-style error fields
 * ({@code param} names the offending request field, or is null).
 */
public final class ApiException extends RuntimeException {

    private final int status;
    private final String param;
    private final String type;
    /** Seconds a client should wait before retrying (the Retry-After header), or 0 for none. */
    private long retryAfter;

    public ApiException(int status, String type, String param, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
    }

    /** 400 invalid_request_error about {@code param}. */
    public static ApiException badRequest(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, message);
    }

    /** This exception with a Retry-After of {@code seconds}. */
    public ApiException retryAfter(long seconds) {
        this.retryAfter = seconds;
        return this;
    }

    public long retryAfter() { return retryAfter; }

    public int status() { return status; }

    public String param() { return param; }

    public String type() { return type; }
}
