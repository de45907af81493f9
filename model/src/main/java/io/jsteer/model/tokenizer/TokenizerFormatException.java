package io.jsteer.model.tokenizer;

/**
 * A tokenizer file or tokenizer metadata is malformed. Unchecked because a bad vocabulary is a
 * configuration error the caller cannot repair; the message always names the source (file or
 * metadata), the field and the offending value so that the user can find the problem.
 */
public final class TokenizerFormatException extends RuntimeException {

    public TokenizerFormatException(String source, String field, String problem) {
        super(source + ": field '" + field + "': " + problem);
    }

    public TokenizerFormatException(String source, String field, String problem, Throwable cause) {
        super(source + ": field '" + field + "': " + problem, cause);
    }
}
