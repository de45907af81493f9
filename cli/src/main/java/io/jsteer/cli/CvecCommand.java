package io.jsteer.cli;

import io.jsteer.model.LoadedModel;
import io.jsteer.steering.vectors.ControlVectors;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.steering.vectors.VectorSetFiles;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** llama.cpp control vectors: direction.N of the GGUF is jsteer's resid_post:N. */
@Command(name = "cvec", description = "Import and export llama.cpp control-vector GGUF files (direction.N = resid_post:N).",
        subcommands = {CvecCommand.Export.class, CvecCommand.Import.class},
        footer = {"", "Examples:", "  jsteer cvec export happy.json --out happy.gguf",
                "  jsteer cvec import happy.gguf --out happy-from-llama"})
final class CvecCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is needed: export or import");
    }

    @Command(name = "export", description = "Write a resid_post vector set as a llama.cpp control vector, each direction at unit "
            + "length (--raw: as stored), so that llama.cpp's --control-vector-scaled F:S adds the same as jsteer's --steer NAME:S.",
            footer = {"", "Example:", "  jsteer cvec export happy.json --out happy.gguf --model stories260K",
                    "  llama-cli -m stories260K.gguf --control-vector-scaled happy.gguf:4 -p \"Once upon a time\""})
    static final class Export implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "SET", description = "vector set (NAME.json or NAME)")
        Path set;

        @Option(names = "--out", required = true, paramLabel = "FILE.gguf", description = "control-vector file to write")
        Path out;

        @Mixin
        CommonOptions common;

        @Option(names = "--keep-layer-zero-error", description = "fail instead of leaving out a layer-0 vector (llama.cpp cannot address block 0)")
        boolean strict;

        @Option(names = "--raw", description = "write the vectors as stored instead of at unit length")
        boolean raw;

        @Override
        public Integer call() throws Exception {
            try (LoadedModel model = common.load()) {
                VectorSet vs = VectorSetFiles.read(set, model.config());
                // unit length by default: llama.cpp multiplies a direction as stored, so --control-vector-scaled F:S then
                // adds the same length S as jsteer's --steer NAME:S
                ControlVectors.export(raw ? vs : vs.normalised(), out, model.config(), "llama", !strict);
                System.out.printf("wrote %s: %d direction(s) for blocks %s of %s%s%n", out,
                        vs.vectors().keySet().stream().filter(l -> l > 0).count(),
                        vs.vectors().keySet().stream().filter(l -> l > 0).toList(), model.name(),
                        vs.vectors().containsKey(0) ? " (layer 0 left out: llama.cpp cannot address block 0)" : "");
            }
            return 0;
        }
    }

    @Command(name = "import", description = "Read a llama.cpp control vector into a jsteer vector set (resid_post), vectors as "
            + "stored; --steer NAME:S adds length S along them, NAME:S:raw matches llama.cpp's --control-vector-scaled F:S exactly.",
            footer = {"", "Example:", "  jsteer cvec import happy.gguf --out happy && jsteer run --steer happy.json:1"})
    static final class Import implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "FILE.gguf", description = "control-vector GGUF")
        Path in;

        @Option(names = "--out", required = true, paramLabel = "NAME", description = "writes NAME.safetensors and NAME.json")
        Path out;

        @Override
        public Integer call() throws Exception {
            VectorSet vs = ControlVectors.importFile(in);
            VectorSetFiles.write(out, vs);
            System.out.printf("wrote %s: %s vectors of width %d at layers %s%n", VectorSetFiles.jsonPath(out),
                    vs.kind().label(), vs.width(), vs.vectors().keySet());
            vs.legacyStrengthNote(in.toString()).ifPresent(n -> System.err.println("jsteer: note: " + n));
            return 0;
        }
    }
}
