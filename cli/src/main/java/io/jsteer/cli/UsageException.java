package io.jsteer.cli;

/**
 * A flag with a value the command cannot use (out of range, unknown choice, a combination that
 * makes no sense): exit code 2 like picocli's own parse errors (cli.md), not 1, which means the job
 * itself failed (a bad file, a failed training). It is an {@link IllegalArgumentException} so
 * that code shared with the server, which answers those with HTTP 400, needs no second case.
 */
final class UsageException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
