package io.jsteer.model.chat;

/**
 * A chat template that cannot be used: it does not parse, it raised an error for this
 * conversation ({@code raise_exception}), or it exceeded the output or time bounds. The message
 * names where the template came from (the model file and key) and the problem.
 */
public final class ChatTemplateException extends IllegalArgumentException {

    public ChatTemplateException(String origin, String problem) {
        super("chat template of " + origin + ": " + problem);
    }

    public ChatTemplateException(String origin, String problem, Throwable cause) {
        super("chat template of " + origin + ": " + problem, cause);
    }
}
