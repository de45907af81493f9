package io.jsteer.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code jsteer kts train|apply|eval}: KL-then-steer. */
@Command(name = "kts", description = "KL-then-steer: train a LoRA adapter so that steering stops hurting benign text, "
        + "then steer only where a probe flags the prompt.",
        subcommands = {KtsTrainCommand.class, KtsEvalCommand.class, KtsApplyCommand.class, KtsMergeCommand.class,
                KtsVectorsCommand.class, KtsSuggestCommand.class, KtsJailbreakCommand.class},
        footer = {"", "Example (the stories260K demo, happy vs sad):",
                "  jsteer kts train --out kts-run --steps 120",
                "  jsteer kts eval --run kts-run",
                "  jsteer kts apply --run kts-run --prompt \"Tom lost a ball at the park. Then Tom felt\" --multiplier 1",
                "  jsteer kts merge --run kts-run --out kts-merged.gguf"})
final class KtsCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is needed: train, eval, apply, merge, vectors, suggest or jailbreak");
    }
}
