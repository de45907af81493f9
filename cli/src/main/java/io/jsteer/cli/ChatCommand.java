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
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Interactive chat with an instruct model's template (Llama-3 headers when the vocabulary has them, else Llama-2 [INST]). */
@Command(name = "chat", description = "Chat with an instruct model on stdin/stdout using its chat template.",
        footer = {"", "Examples:", "  jsteer chat --model llama-2-7b-chat.Q8_0.gguf --system \"You are concise.\"",
                "  jsteer chat --steer happy.json:4@12     (then /steer, /ablate, /unsteer, /steering at the prompt)"})
final class ChatCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Mixin
    SamplingOptions sampling;

    @Mixin
    SteerOptions steering;

    @Option(names = "--system", paramLabel = "TEXT", description = "system prompt")
    String system;

    @Option(names = "--template", paramLabel = "llama2|llama3", description = "chat template (default: from the vocabulary)")
    String template;

    /** The tokens whose keys and values the engine's cache holds at positions 0.. (the conversation so far). */
    private int[] inCache = new int[0];

    @Override
    public Integer call() throws Exception {
        long seed = sampling.seedOrClock();
        var sampler = sampling.sampler(seed);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (LoadedModel model = common.load(); Parallel par = new Parallel(common.threadCount());
             InferenceEngine engine = Engines.create(common.engine, model, sampling.ctxSize, par)) {
            Tokenizer tok = model.tokenizer();
            ChatTemplate chat = ChatTemplate.forTokenizer(tok, template);
            List<Message> history = new ArrayList<>();
            if (system != null) {
                history.add(Message.system(system));
            }
            applySteering(engine, model);
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (true) {
                System.err.print("> ");
                String line = in.readLine();
                if (line == null || line.equals("/exit") || line.equals("/quit")) {
                    return 0;
                }
                if (line.isBlank()) {
                    continue;
                }
                if (line.startsWith("/")) {
                    command(line.strip(), engine, model);
                    continue;
                }
                history.add(Message.user(line));
                int[] prompt = chat.encode(history, true);
                int[] stops = chat.stopTokens();
                StreamingDecoder d = tok.newDecoder();
                StringBuilder reply = new StringBuilder();
                // The KV cache still holds the conversation so far (unless steering changed): only the
                // tokens after the common prefix are prefilled, i.e. the previous reply (re-encoded from
                // its text, which need not give the sampled ids) and the new message.
                int reused = Generator.reusablePrefix(inCache, prompt);
                GenerationResult r = new Generator(engine).generateUntil(prompt, reused, sampling.maxTokens, sampler,
                        t -> t == tok.eos() || java.util.Arrays.stream(stops).anyMatch(s -> s == t), (p, n) -> {
                            String piece = d.accept(n);
                            reply.append(piece);
                            out.print(piece);
                            return true;
                        });
                inCache = Generator.cachedAfter(r);
                out.println(d.flush());
                System.err.printf("chat: %d new prompt tokens (%d reused from the cache), %d generated%n", prompt.length - reused,
                        reused, r.generatedCount());
                history.add(Message.assistant(reply.toString().strip()));
            }
        }
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
                default -> System.err.println("commands: /steer FILE[:STRENGTH][@LAYERS], /ablate FILE[@LAYERS], /unsteer, /steering, /exit");
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
