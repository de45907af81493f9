package io.jsteer.steering.mat;

import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import java.nio.file.Files;
import java.nio.file.Path;

/** The shared reference files (../shared beside the checkout; surefire passes its path). */
final class Shared {

    private Shared() {}

    static Path path(String relative) {
        Path p = Path.of(System.getProperty("jsteer.shared", "../../shared")).resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException("missing shared test file " + p.toAbsolutePath());
        }
        return p;
    }

    static Path data() { return path("data"); }

    static LoadedModel stories() {
        return ModelLoader.load(path("models/stories260K.bin"), path("models/tok512.bin"));
    }
}
