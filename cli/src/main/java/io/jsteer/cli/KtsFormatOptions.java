package io.jsteer.cli;

import io.jsteer.model.LoadedModel;
import io.jsteer.steering.kts.experiments.PromptFormat;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * How KTS contrast prompts become token ids ({@code --format}, {@code --template}): shared by
 * kts train and the experiments (vectors, suggest, jailbreak), so a pool reads the same way in
 * training as in the experiments that compare its vectors.
 */
final class KtsFormatOptions {

    @Option(names = "--format", defaultValue = "auto", paramLabel = "auto|plain|reference|template",
            description = "how prompts are rendered: the model's chat template, the reference's \"[INST] ...\\nAnswer: [/INST] ...\" "
                    + "string, or plain text; auto = template for chat models, plain otherwise (default: ${DEFAULT-VALUE})")
    String format;
    @Option(names = "--template", paramLabel = "NAME|FILE", description = "chat template: auto, model, llama3, chatml, llama2 or a .jinja file")
    String template;

    /** Options as given on a command line: {@code format} auto, plain, reference or template; {@code template} may be null. */
    static KtsFormatOptions of(String format, String template) {
        KtsFormatOptions o = new KtsFormatOptions();
        o.format = format;
        o.template = template;
        return o;
    }

    /** The prompt format; {@code system} is the system prompt of template-rendered prompts. */
    PromptFormat format(CommonOptions common, String command, LoadedModel model, String system) {
        String f = format.toLowerCase(Locale.ROOT);
        if (f.equals("auto")) {
            var choice = common.chatTemplate(command, model, template);
            boolean chat = choice.description().startsWith("the model's own") || model.tokenizer().tokenId("<|start_header_id|>").isPresent()
                    || model.name().toLowerCase(Locale.ROOT).matches(".*(chat|instruct).*") || template != null;
            System.err.println(command + ": prompt format: " + (chat ? "template" : "plain (" + model.name()
                    + " is not a chat model; --format template forces the chat template)"));
            return chat ? PromptFormat.template(choice.template(), system) : PromptFormat.plain();
        }
        PromptFormat.Kind kind;
        try {
            kind = PromptFormat.parseKind("--format", f);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--format must be auto, plain, reference or template, got '" + format + "'");
        }
        return switch (kind) {
            case PLAIN -> PromptFormat.plain();
            case REFERENCE -> PromptFormat.reference();
            case TEMPLATE -> PromptFormat.template(common.chatTemplate(command, model, template).template(), system);
        };
    }
}
