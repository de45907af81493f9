package io.jsteer.cli;

import io.jsteer.weights.download.KnownModel;
import io.jsteer.weights.download.KnownModels;
import io.jsteer.weights.download.ModelDownloader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Downloads a known small model with sha256 check, progress bar, resume and atomic rename. */
@Command(name = "pull", description = "Download a known model (sha256-checked, resumable) into the user cache.",
        footer = {"", "Known: stories260K (with its tok512 tokenizer), tok512.",
                "Example:", "  jsteer pull stories260K"})
final class PullCommand implements Callable<Integer> {

    @Parameters(paramLabel = "NAME", description = "model name")
    String name;

    @Option(names = "--out", paramLabel = "DIR", description = "target directory (default: the user cache, ~/.cache/jsteer/models)")
    Path out;

    @Option(names = "--mirror", paramLabel = "URL", description = "base URL to download from (default: the model's public home)")
    String mirror;

    @Option(names = "--verbose", description = "print stack traces of errors")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (!KnownModelNames.isKnown(name)) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "unknown model '" + name + "' (known: " + KnownModels.all().stream().map(KnownModel::name).toList() + ")");
        }
        Path dir = out != null ? out : ModelLocator.userCache(System.getenv(), Path.of(System.getProperty("user.home")));
        ModelDownloader d = mirror != null ? new ModelDownloader(java.net.URI.create(mirror.endsWith("/") ? mirror : mirror + "/"))
                : new ModelDownloader();
        for (Path p : pull(d, name, dir)) {
            System.out.println(p);
        }
        return 0;
    }

    /** Downloads {@code name} (and its tokenizer) into {@code dir}; returns the model file. */
    static Path pull(String name, Path dir) throws IOException {
        return pull(new ModelDownloader(), name, dir).getFirst();
    }

    /** The downloaded files, the model first. */
    private static java.util.List<Path> pull(ModelDownloader d, String name, Path dir) throws IOException {
        java.util.List<Path> files = new java.util.ArrayList<>();
        for (KnownModel m : KnownModelNames.filesFor(name)) {
            files.add(d.download(m, dir));
        }
        return files;
    }
}
