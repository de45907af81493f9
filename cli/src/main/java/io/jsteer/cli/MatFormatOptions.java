package io.jsteer.cli;

import io.jsteer.model.LoadedModel;
import io.jsteer.steering.mat.MatCheckpoint;
import io.jsteer.steering.mat.MatPrompts;
import java.util.Locale;
import java.util.Objects;
import picocli.CommandLine.Option;

/**
 * How MAT-Steer samples become token ids ({@code --format plain|template}, {@code --template},
 * {@code --system}): the paper's plain "Q: {question} A: {answer}" strings (base models) or the
 * chat template with the question as user turn and the answer as the assistant's text (chat models,
 * the paper's Table 8). The template itself is chosen and rendered as for KTS ({@link KtsFormatOptions}).
 */
final class MatFormatOptions {

    @Option(names = "--format", paramLabel = "plain|template",
            description = "sample rendering: plain = the paper's \"Q: {question} A: {answer}\" (base models; default for training), "
                    + "template = the model's chat template, question as user turn, answer as the assistant's reply (chat models); "
                    + "eval commands default to the checkpoint's")
    String format;

    @Option(names = "--template", paramLabel = "NAME|FILE",
            description = "with --format template: chat template auto, model, llama3, chatml, llama2 or a .jinja file (default: the model's own)")
    String template;

    @Option(names = "--system", paramLabel = "TEXT", description = "with --format template: a system prompt (default: none)")
    String system;

    /** The prompts of training: the format given, plain by default. */
    MatPrompts prompts(CommonOptions common, String command, LoadedModel model) {
        return make(common, command, model, format == null ? "plain" : format, template, system);
    }

    /**
     * The prompts of evaluating {@code trained}: the checkpoint's format (with its template and
     * system prompt) unless given, said on stderr; a different one given explicitly is used and said too.
     */
    MatPrompts prompts(CommonOptions common, String command, LoadedModel model, MatCheckpoint.Metadata trained) {
        String was = trained.prompts();
        if (format == null) {
            String t = template != null ? template : trained.chatTemplate(), s = system != null ? system : trained.systemPrompt();
            System.err.println(command + ": prompt format " + was + " (the checkpoint's; --format overrides)");
            return make(common, command, model, was, was.equals("template") ? t : template, was.equals("template") ? s : system);
        }
        MatPrompts p = make(common, command, model, format, template, system);
        if (!p.label().equals(was)) {
            System.err.println(command + ": note: --format " + p.label() + " differs from the checkpoint's " + was
                    + " format: the module was trained on other token sequences");
        } else if (p.isTemplate() && (!Objects.equals(template, trained.chatTemplate()) || !Objects.equals(system, trained.systemPrompt()))) {
            System.err.println(command + ": note: --template/--system differ from the checkpoint's (template "
                    + trained.chatTemplate() + ", system " + trained.systemPrompt() + ")");
        }
        return p;
    }

    private static MatPrompts make(CommonOptions common, String command, LoadedModel model, String format, String template,
                                   String system) {
        String f = format.toLowerCase(Locale.ROOT);
        if (!f.equals("plain") && !f.equals("template")) {
            throw new UsageException("--format must be plain or template, got '" + format + "'");
        }
        if (f.equals("plain") && (template != null || system != null)) {
            throw new UsageException((template != null ? "--template" : "--system") + " needs --format template");
        }
        var rendered = KtsFormatOptions.of(f, template).format(common, command, model, system);
        System.err.println(command + ": prompt format: " + rendered.describe());
        return new MatPrompts(model.tokenizer(), rendered, template);
    }
}
