package io.jsteer.cli;

import io.jsteer.weights.InputFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns {@code --model} into a file: an existing path as it is; a name (e.g. {@code stories260K})
 * is looked up as NAME.bin / NAME.gguf / NAME in, in order, {@code $JSTEER_MODELS},
 * {@code ../shared/models} beside the jsteer checkout, and the user cache
 * ({@code $XDG_CACHE_HOME/jsteer/models} or {@code ~/.cache/jsteer/models}) where {@code jsteer pull} puts models.
 */
final class ModelLocator {

    private ModelLocator() {}

    static Path resolve(String model) {
        return resolve(model, "--model");
    }

    /** As {@link #resolve(String)}, with {@code what} (a flag or parameter) naming the input in errors. */
    static Path resolve(String model, String what) {
        return resolve(model, what, System.getenv(), home(), Path.of(System.getProperty("user.home")));
    }

    /** The checkout the launcher runs from ({@code -Djsteer.home}), else the working directory. */
    static Path home() {
        String h = System.getProperty("jsteer.home");
        return Path.of(h != null ? h : ".").toAbsolutePath().normalize();
    }

    static Path resolve(String model, Map<String, String> env, Path jsteerHome, Path userHome) {
        return resolve(model, "--model", env, jsteerHome, userHome);
    }

    static Path resolve(String model, String what, Map<String, String> env, Path jsteerHome, Path userHome) {
        Path direct = Path.of(model);
        if (Files.exists(direct)) {
            // a model directory (safetensors + config.json) or a regular file; a FIFO or device is refused
            // here, before any open could block or map it
            return Files.isDirectory(direct) ? direct : InputFiles.requireRegular("--model", direct);
        }
        if (model.contains("/") || model.contains("\\") || model.matches(".*\\.(gguf|bin|safetensors)$")) {
            throw new IllegalArgumentException(what + ": " + model + " does not exist");
        }
        List<Path> dirs = searchPath(env, jsteerHome, userHome);
        for (Path dir : dirs) {
            for (String candidate : List.of(model + ".bin", model + ".gguf", model)) {
                Path p = dir.resolve(candidate);
                if (Files.isRegularFile(p) || Files.isDirectory(p) && Files.exists(p.resolve("config.json"))) {
                    return p;
                }
            }
        }
        throw new IllegalArgumentException(what + ": no model named '" + model + "' in " + dirs
                + (KnownModelNames.isKnown(model) ? "; download it with: jsteer pull " + model : ""));
    }

    static List<Path> searchPath(Map<String, String> env, Path jsteerHome, Path userHome) {
        List<Path> dirs = new ArrayList<>();
        String fromEnv = env.get("JSTEER_MODELS");
        if (fromEnv != null && !fromEnv.isBlank()) {
            dirs.add(Path.of(fromEnv));
        }
        dirs.add(jsteerHome.resolve("../shared/models").normalize());
        dirs.add(userCache(env, userHome));
        return dirs;
    }

    /** Where {@code jsteer pull} stores models. */
    static Path userCache(Map<String, String> env, Path userHome) {
        String xdg = env.get("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : userHome.resolve(".cache");
        return base.resolve("jsteer").resolve("models");
    }

    /**
     * A file of the shared data sets ({@code ../shared/data} beside the checkout, or under
     * {@code -Djsteer.shared} in tests), for defaults such as the AFINN lexicon.
     */
    static Path sharedData(String relative) {
        String shared = System.getProperty("jsteer.shared");
        Path base = shared != null ? Path.of(shared) : home().resolve("../shared").normalize();
        Path p = base.resolve("data").resolve(relative);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException("no " + relative + " under " + base.resolve("data") + " (give its path with the matching flag)");
        }
        return p;
    }
}
