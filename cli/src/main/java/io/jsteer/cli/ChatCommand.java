package io.jsteer.cli;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.GenerationResult;
import io.jsteer.model.Generator;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.chat.ChatTemplate;
import io.jsteer.model.chat.Message;
import io.jsteer.model.tokenizer.StreamingDecoder;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.tensor.Parallel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Interactive chat with an instruct model's own chat template (or a built-in fallback, said on stderr). */
@Command(name = "chat", description = "Chat with an instruct model on stdin/stdout using its chat template.",
        footer = {"", "Examples:", "  jsteer chat --model llama-2-7b-chat.Q8_0.gguf --system \"You are concise.\"",
                "  jsteer chat --steer happy.json:4@12     (then /steer, /ablate, /unsteer, /steering at the prompt)",
                "  jsteer chat --model qwen2.5-0.5b-instruct-q8_0.gguf --template chatml   (force a built-in template)"})
final class ChatCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    SteerOptions steering;

    @Option(names = "--system", paramLabel = "TEXT", description = "system prompt")
    String system;

    @Option(names = "--template", paramLabel = "NAME|FILE", description = "chat template: auto (default: the model's own, "
            + "else a built-in one for its vocabulary), model, llama3, chatml, llama2, or a .jinja file")
    String template;

    /** The tokens whose keys and values the engine's cache holds at positions 0.. (the conversation so far). */
    private int[] inCache = new int[0];

    @Override
    public Integer call() throws Exception {
        long seed = sampling.seedOrClock();
        var sampler = sampling.sampler(seed);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (LoadedModel model = common.load(); Parallel par = new Parallel(common.threadCount());
             InferenceEngine engine = Engines.create(common.engine, model, sampling.ctxSize, par);
             ReplyInterrupt interrupt = new ReplyInterrupt(System::nanoTime, () -> System.exit(130), System.err).install();
             ChatInput input = onTerminal() ? ChatInput.terminal(historyFile(), interrupt) : ChatInput.plain(System.in, System.err)) {
            Tokenizer tok = model.tokenizer();
            ChatTemplate chat = common.chatTemplate("jsteer chat", model, template).template();
            System.err.printf("jsteer chat: %s, context %d tokens. /help lists the commands; Ctrl-C stops a reply, "
                    + "twice quickly quits.%s%n", model.name(), engine.capacity(),
                    input.editing() ? " Line editing and history (arrow keys): on." : "");
            List<Message> history = new ArrayList<>();
            if (system != null) {
                history.add(Message.system(system));
            }
            applySteering(engine, model);
            while (true) {
                String line = input.read();
                if (line == null || line.equals("/exit") || line.equals("/quit")) {
                    return 0;
                }
                String typed = TERMINAL_ESCAPES.matcher(line).replaceAll("");
                if (!typed.equals(line)) {
                    // without line editing, arrow keys arrive as escape codes; they are no text for the model
                    System.err.println("chat: removed the terminal escape codes (arrow keys) from the line"
                            + (input.editing() ? "" : "; line editing needs a terminal on stdin and stdout"));
                    line = typed;
                }
                if (line.isBlank()) {
                    continue;
                }
                if (line.startsWith("/")) {
                    command(line.strip(), engine, model);
                    continue;
                }
                history.add(Message.user(line));
                int[] prompt = fitToContext(chat, history, engine.capacity());
                if (prompt == null) {
                    history.removeLast();
                    continue;
                }
                int[] stops = chat.stopTokens();
                StreamingDecoder d = tok.newDecoder();
                StringBuilder reply = new StringBuilder();
                // The KV cache still holds the conversation so far (unless steering changed): only the
                // tokens after the common prefix are prefilled, i.e. the previous reply (re-encoded from
                // its text, which need not give the sampled ids) and the new message.
                int reused = engine.reusable(Generator.reusablePrefix(inCache, prompt)); // 0 when a sliding-window ring lost it
                interrupt.startReply();
                GenerationResult r = new Generator(engine).generateUntil(prompt, reused, sampling.maxTokens, sampler,
                        t -> t == tok.eos() || java.util.Arrays.stream(stops).anyMatch(s -> s == t), (p, n) -> {
                            String piece = d.accept(n);
                            reply.append(piece);
                            out.print(piece);
                            return !interrupt.replyStopped();
                        });
                boolean stopped = interrupt.endReply();
                inCache = Generator.cachedAfter(r);
                out.println(d.flush());
                if (stopped) {
                    System.err.println("chat: reply stopped (Ctrl-C); the part so far stays in the conversation");
                }
                System.err.printf("chat: %d new prompt tokens (%d reused from the cache), %d generated%n", prompt.length - reused,
                        reused, r.generatedCount());
                history.add(Message.assistant(reply.toString().strip()));
            }
        }
    }

    /** Both stdin and stdout are a terminal: a person types, so line editing helps (and JLine can work). */
    private static boolean onTerminal() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    /** $XDG_CACHE_HOME/jsteer/chat_history (or ~/.cache/...), beside the models 'jsteer pull' keeps. */
    private static java.nio.file.Path historyFile() throws java.io.IOException {
        java.nio.file.Path dir = ModelLocator.userCache(System.getenv(), java.nio.file.Path.of(System.getProperty("user.home"))).getParent();
        java.nio.file.Files.createDirectories(dir);
        return dir.resolve("chat_history");
    }

    /** CSI and SS3 sequences, which arrow, Home/End and function keys send. */
    private static final java.util.regex.Pattern TERMINAL_ESCAPES = java.util.regex.Pattern.compile("\u001B(\\[[0-9;]*[A-Za-z~]|O[A-Za-z])");

    /**
     * The prompt for the conversation, with the oldest turns dropped (never the system prompt or
     * the new message) until it leaves room for a reply of --max-tokens, or a quarter of the
     * context if that is less; null when the new message alone does not fit.
     */
    private int[] fitToContext(ChatTemplate chat, List<Message> history, int capacity) {
        int reserve = Math.max(1, Math.min(sampling.maxTokens, capacity / 4));
        int first = !history.isEmpty() && history.getFirst().role().equals(Message.SYSTEM) ? 1 : 0;
        int[] prompt = chat.encode(history, true);
        int dropped = 0;
        while (prompt.length + reserve > capacity && history.size() - first > 1) {
            // a whole turn: the user's message and the reply to it, so the roles still alternate
            history.remove(first);
            dropped++;
            if (history.size() - first > 1 && history.get(first).role().equals(Message.ASSISTANT)) {
                history.remove(first);
                dropped++;
            }
            prompt = chat.encode(history, true);
        }
        if (dropped > 0) {
            System.err.printf("chat: context full (%d tokens): dropped the %d oldest message(s)%s; the prompt is %d tokens now%n",
                    capacity, dropped, first == 1 ? ", kept the system prompt" : "", prompt.length);
        }
        if (prompt.length >= capacity) {
            System.err.printf("jsteer: error: this message makes a prompt of %d tokens%s but the context holds %d; "
                    + "write a shorter one or raise --ctx-size%n", prompt.length, first == 1 ? " with the system prompt" : "", capacity);
            return null;
        }
        return prompt;
    }

    /**
     * Live steering: {@code /steer FILE[:STRENGTH][@LAYERS]} adds a vector set, {@code /ablate
     * FILE[@LAYERS]} a direction to project out, {@code /unsteer} removes all, {@code /steering}
     * shows what is active. The next reply uses the new set: a change drops the cached conversation, so
     * the whole conversation is re-run under it.
     */
    private void command(String line, InferenceEngine engine, LoadedModel model) {
        String[] parts = line.split("\\s+", 2);
        try {
            switch (parts[0]) {
                case "/steer", "/ablate" -> {
                    if (parts.length < 2) {
                        throw new IllegalArgumentException(parts[0] + " needs FILE[:STRENGTH][@LAYERS]");
                    }
                    (parts[0].equals("/steer") ? steering.steer : steering.ablate).add(parts[1].strip());
                    try {
                        applySteering(engine, model);
                    } catch (RuntimeException e) {
                        (parts[0].equals("/steer") ? steering.steer : steering.ablate).removeLast();
                        throw e;
                    }
                }
                case "/unsteer" -> {
                    steering.steer.clear();
                    steering.ablate.clear();
                    applySteering(engine, model);
                    System.err.println("steering: none");
                }
                case "/steering" -> System.err.println(steering.isEmpty() ? "steering: none"
                        : SteerOptions.describe(steering.interventions(model.config())));
                default -> System.err.println((parts[0].equals("/help") ? "" : "unknown command " + parts[0] + "; ")
                        + "commands: /steer FILE[:STRENGTH][:raw][@LAYERS] (STRENGTH = length added along the unit direction), /ablate FILE[@LAYERS], "
                        + "/unsteer, /steering, /help, /exit");
            }
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            System.err.println("jsteer: error: " + e.getMessage());
        }
    }

    private void applySteering(InferenceEngine engine, LoadedModel model) {
        inCache = new int[0]; // cached keys and values were computed under the old steering
        if (steering.isEmpty()) {
            engine.setInterventions(null);
            return;
        }
        var set = steering.interventions(model.config());
        System.err.println(SteerOptions.describe(set));
        engine.setInterventions(set);
    }
}
