package io.jsteer.cli.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * Notices that the served model file was replaced or rewritten after it was loaded (e.g.
 * {@code cp new.gguf model.gguf} while serving). The weights are memory-mapped, so a file rewritten
 * in place changes or truncates the pages under the running server: requests would fail with empty
 * 500s or, worse, answer from a mix of two models. One stat per request is the price.
 */
final class ModelFileWatch {

    private final Path file;
    private final Identity atLoad;

    private record Identity(Object key, long size, long modified) {}

    ModelFileWatch(Path file) {
        this.file = file;
        this.atLoad = Files.isRegularFile(file) ? identity(file) : null; // a model directory is not watched
    }

    /** Null while the file is the one loaded; otherwise what changed, for /health and errors. */
    String changed() {
        if (atLoad == null) {
            return null;
        }
        Identity now = identity(file);
        if (now == null) {
            return "the model file " + file + " is gone since it was loaded; restart the server";
        }
        if (!Objects.equals(now.key(), atLoad.key()) || now.size() != atLoad.size() || now.modified() != atLoad.modified()) {
            return "the model file " + file + " was replaced or rewritten since it was loaded (size " + atLoad.size() + " → "
                    + now.size() + " bytes); the server cannot answer from it: restart the server";
        }
        return null;
    }

    private static Identity identity(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            return new Identity(a.fileKey(), a.size(), a.lastModifiedTime().toMillis());
        } catch (IOException e) {
            return null;
        }
    }
}
