package io.jsteer.cli;

import io.jsteer.model.InferenceEngine;
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
        footer = {"", "Example:", "  jsteer chat --model llama-2-7b-chat.Q8_0.gguf --system \"You are concise.\""})
final class ChatCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--system", paramLabel = "TEXT", description = "system prompt")
    String system;

    @Option(names = "--template", paramLabel = "llama2|llama3", description = "chat template (default: from the vocabulary)")
    String template;

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
                history.add(Message.user(line));
                int[] prompt = chat.encode(history, true);
                int[] stops = chat.stopTokens();
                StreamingDecoder d = tok.newDecoder();
                StringBuilder reply = new StringBuilder();
                // Each turn re-runs the whole conversation: simple, and prefill is batched.
                new Generator(engine).generate(prompt, sampling.maxTokens, sampler,
                        t -> t == tok.eos() || java.util.Arrays.stream(stops).anyMatch(s -> s == t), (p, n) -> {
                            String piece = d.accept(n);
                            reply.append(piece);
                            out.print(piece);
                        });
                out.println(d.flush());
                history.add(Message.assistant(reply.toString().strip()));
            }
        }
    }
}
