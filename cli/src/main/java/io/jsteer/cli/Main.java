package io.jsteer.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jsteer} command: results on stdout, progress and errors on stderr; exit 0 / 1 (failed) / 2 (usage). */
@Command(name = "jsteer", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "jsteer 0.1.0",
        description = "Pure-JVM Llama inference and activation steering.",
        subcommands = {DemoCommand.class, RunCommand.class, ChatCommand.class, PullCommand.class, InspectCommand.class,
                ConvertCommand.class, SynthCommand.class, BenchCommand.class, ServeCommand.class, ExtractCommand.class, CvecCommand.class, SweepCommand.class, LensCommand.class, EvalCommand.class, SparkCommand.class, MatCommand.class, KtsCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is needed (try: jsteer demo)");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code (tests call this instead of main). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        widenForExamples(cli);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            boolean verbose = parsed.hasMatchedOption("--verbose");
            Throwable shown = e instanceof java.io.UncheckedIOException u ? u.getCause() : e;
            System.err.println("jsteer: error: " + Errors.describe(shown));
            if (verbose) {
                e.printStackTrace();
            }
            return shown instanceof UsageException ? 2 : 1;
        });
        cli.setParameterExceptionHandler((e, args2) -> {
            System.err.println("jsteer: error: " + e.getMessage());
            CommandLine c = e.getCommandLine();
            System.err.println("Try 'jsteer " + (c.getParent() == null ? "" : c.getCommandName() + " ") + "--help' for usage.");
            return 2;
        });
        return cli.execute(args);
    }

    /**
     * Makes each command's help as wide as its longest example line: picocli wraps at 80 columns,
     * which cut example paths and flags in the middle of a word, so a copied example did not run.
     */
    static void widenForExamples(CommandLine cli) {
        int longest = 0;
        for (String line : cli.getCommandSpec().usageMessage().footer()) {
            longest = Math.max(longest, line.length());
        }
        if (longest + 1 > cli.getUsageHelpWidth()) {
            cli.setUsageHelpWidth(longest + 1);
        }
        for (CommandLine sub : cli.getSubcommands().values()) {
            widenForExamples(sub);
        }
    }
}
