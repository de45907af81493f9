package io.jsteer.steering.kts;

import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import java.nio.file.Files;
import java.nio.file.Path;

/** stories260K from the shared folder (surefire passes its path as jsteer.shared). */
final class SharedModels {

    private SharedModels() {}

    static LoadedModel stories() {
        Path dir = Path.of(System.getProperty("jsteer.shared", "../../shared")).resolve("models");
        Path bin = dir.resolve("stories260K.bin"), tok = dir.resolve("tok512.bin");
        if (!Files.exists(bin) || !Files.exists(tok)) {
            throw new IllegalStateException("missing " + bin.toAbsolutePath() + " (tests need ../shared beside the checkout)");
        }
        return ModelLoader.load(bin, tok);
    }
}
