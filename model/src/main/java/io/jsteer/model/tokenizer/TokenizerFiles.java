package io.jsteer.model.tokenizer;

import io.jsteer.weights.InputFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reading whole tokenizer files with a size cap, so a wrong path cannot exhaust memory. */
final class TokenizerFiles {
    /** Real tokenizer files are below 20 MB (Llama 3's tokenizer.json is about 9 MB). */
    static final long MAX_FILE_BYTES = 256L << 20;

    private TokenizerFiles() {
    }

    /** A whole JSON file that must hold an object; errors name the file. */
    static com.fasterxml.jackson.databind.JsonNode readJsonObject(Path path) {
        byte[] bytes = readAll(path);
        com.fasterxml.jackson.databind.JsonNode root;
        try {
            root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(InputFiles.decodeUtf8("", bytes));
        } catch (IllegalArgumentException e) {
            throw new TokenizerFormatException(path.toString(), "(bytes)", e.getMessage(), e);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new TokenizerFormatException(path.toString(), "(json)", "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new TokenizerFormatException(path.toString(), "(root)", "expected a JSON object");
        }
        return root;
    }

    static byte[] readAll(Path path) {
        InputFiles.requireRegular("tokenizer file", path);
        try {
            long size = Files.size(path);
            if (size > MAX_FILE_BYTES) {
                throw new TokenizerFormatException(path.toString(), "file size",
                        size + " bytes is more than the " + MAX_FILE_BYTES + " a tokenizer file may have");
            }
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokenizer file " + path, e);
        }
    }
}
