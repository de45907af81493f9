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
