package io.jsteer.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code jsteer mat}: MAT-Steer (multi-attribute, token-gated steering; design/mat-steer.md). */
@Command(name = "mat", mixinStandardHelpOptions = true, description = "MAT-Steer: train, apply and evaluate multi-attribute gated steering.",
        subcommands = {MatTrainCommand.class, MatApplyCommand.class, MatEvalCommand.class, MatGatesCommand.class, MatAblateCommand.class,
                MatGenerateEvalCommand.class},
        footer = {"", "Example:",
                "  jsteer mat train --tasks truthfulqa,bbq,toxigen --epochs 100 --out mat.safetensors",
                "  jsteer mat eval --mat mat.safetensors",
                "  jsteer mat train --tasks helpsteer --data helpsteer.jsonl --out mat-gen.safetensors",
                "  jsteer mat generate-eval --mat mat-gen.safetensors --data helpsteer.jsonl --judge http://localhost:8080"})
final class MatCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is needed: train, apply, eval, gates, ablate or generate-eval");
    }
}
