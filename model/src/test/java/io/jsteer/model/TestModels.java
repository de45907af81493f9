package io.jsteer.model;

import java.nio.file.Files;
import java.nio.file.Path;

/** The shared reference files (../shared beside the checkout; surefire passes its path). */
public final class TestModels {

    private TestModels() {}

    public static Path shared(String relative) {
        Path p = Path.of(System.getProperty("jsteer.shared", "../../shared")).resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException("missing shared test file " + p.toAbsolutePath()
                    + " (tests need ../shared beside the checkout)");
        }
        return p;
    }

    /** stories260K.bin with tok512.bin. */
    public static LoadedModel storiesBin() {
        return ModelLoader.load(shared("models/stories260K.bin"), shared("models/tok512.bin"));
    }

    /** stories260K.gguf with its embedded vocabulary. */
    public static LoadedModel storiesGguf() {
        return ModelLoader.load(shared("models/stories260K.gguf"), null);
    }
}
