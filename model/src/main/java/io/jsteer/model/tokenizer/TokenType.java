package io.jsteer.model.tokenizer;

/**
 * Token types, numbered as in GGUF {@code tokenizer.ggml.token_type} and SentencePiece
 * {@code ModelProto.SentencePiece.Type} (both use the same codes).
 */
public final class TokenType {
    public static final int NORMAL = 1;
    public static final int UNKNOWN = 2;
    public static final int CONTROL = 3;
    public static final int USER_DEFINED = 4;
    public static final int UNUSED = 5;
    public static final int BYTE = 6;

    private TokenType() {
    }

    static boolean isValid(int type) {
        return type >= NORMAL && type <= BYTE;
    }
}
