package io.jsteer.cli;

import picocli.CommandLine.Command;

/**
 * {@code jsteer mat apply}: {@code jsteer run} with a MAT-Steer checkpoint, which is required here;
 * every other run flag (sampling, --steer, --engine, ...) works as in run.
 */
@Command(name = "apply", description = "Generate from a prompt with MAT-Steer applied at every position "
        + "(stdout: prompt + completion; stderr: mean gates and intervened tokens). The same as 'jsteer run --mat FILE'.",
        footer = {"", "Example:", "  jsteer mat apply --mat runs/mat --prompt \"Q: Is the earth flat? A:\" --temperature 0"})
final class MatApplyCommand extends RunCommand {

    @Override
    public Integer call() throws Exception {
        if (steering.mat == null) {
            throw new UsageException("--mat FILE is required: the MAT-Steer checkpoint to apply (from 'jsteer mat train')");
        }
        return super.call();
    }
}
