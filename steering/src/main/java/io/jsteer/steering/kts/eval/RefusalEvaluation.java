package io.jsteer.steering.kts.eval;

import io.jsteer.model.InferenceEngine;
import io.jsteer.model.Generator;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.Sampler;
import io.jsteer.model.chat.ChatTemplate;
import io.jsteer.model.chat.Message;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.eval.RefusalPhrases;
import io.jsteer.steering.kts.BlockSteering;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.vectors.MeanDifference;
import io.jsteer.steering.data.ContrastivePair;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * The refusal-style behaviour score of the issue: harmful requests (AdvBench, refusal_direction)
 * are put through the model's chat template, answered greedily, and scored with
 * {@link RefusalPhrases} (share of answers that refuse), for the original model and the KTS
 * model, unsteered and steered along a refusal direction computed on each model
 * ({@code mean(h(harmful)) − mean(h(harmless))} at the last token, so positive c pushes towards
 * refusal), at {@code c = factor · c_max}. Requests and the direction's prompts are rendered alike: the chat
 * template with the system prompt given (the reference's {@link #REFERENCE_SYSTEM_PROMPT} by default in
 * {@code kts eval}). Only meaningful for a chat model; on a base model it
 * exercises the mechanics.
 */
public final class RefusalEvaluation {

    /** One (model, multiplier) cell. */
    public record Point(String model, double factor, double multiplier, double refusalRate, int prompts,
                        List<String> sampleAnswers) {}

    /** The system prompt of the reference code's generations and evaluations (kts.md §1 "Decoding"). */
    public static final String REFERENCE_SYSTEM_PROMPT = "You are a helpful, honest and concise assistant.";

    private RefusalEvaluation() {}

    /** The ids of one request as the evaluation generates from it: [system,] user, then the assistant's opening. */
    public static int[] prompt(ChatTemplate template, String system, String request) {
        List<Message> messages = system == null || system.isBlank() ? List.of(Message.user(request))
                : List.of(Message.system(system), Message.user(request));
        return template.encode(messages, true);
    }

    /**
     * Refusal rates of the original and the KTS model steered at {@code factors × cMax}, greedy answers
     * of {@code maxTokens}; {@code engines} makes an unsteered, unadapted engine of a given context
     * (any engine: the steering goes through {@code setInterventions}).
     */
    public static List<Point> run(LlamaConfig config, Tokenizer tok, ChatTemplate template,
                                  String system, LoraAdapter adapter, List<ContrastivePair> directionPairs, List<String> harmful,
                                  List<Integer> steerBlocks, boolean normaliseVectors, double cMax, List<Double> factors,
                                  int maxTokens, IntFunction<InferenceEngine> engines, Consumer<String> progress) {
        RefusalPhrases phrases = RefusalPhrases.defaults();
        List<Point> points = new ArrayList<>();
        for (boolean kts : new boolean[] {false, true}) {
            String name = kts ? "kts" : "original";
            try (InferenceEngine engine = engines.apply(Math.min(config.contextLength(), 1024))) {
                engine.setAdapter(kts ? adapter : null);
                // the direction is read at the last prompt token under the template (and system prompt) it is applied with
                List<int[][]> templated = directionPairs.stream().map(p -> new int[][] {prompt(template, system, p.positive()),
                        prompt(template, system, p.negative())}).toList();
                float[][] raw = MeanDifference.computeIds(ActivationCapture.residuals(engine), templated, new HashSet<>(steerBlocks),
                        config.nLayers(), config.dim());
                float[][] v = normaliseVectors ? MeanDifference.normalised(raw) : raw;
                for (double f : factors) {
                    progress.accept("refusal " + name + " c/c_max=" + f);
                    BlockSteering s = new BlockSteering(v, f * cMax);
                    List<String> answers = new ArrayList<>();
                    for (String request : harmful) {
                        engine.setInterventions(s.interventions());
                        int[] prompt = prompt(template, system, request);
                        int[] stops = template.stopTokens();
                        var r = new Generator(engine).generate(prompt, maxTokens, Sampler.greedy(),
                                t -> t == tok.eos() || t == tok.bos() || contains(stops, t), (a, b) -> { });
                        engine.setInterventions(null);
                        StringBuilder text = new StringBuilder();
                        var d = tok.newDecoder();
                        for (int id : r.generated()) {
                            text.append(d.accept(id));
                        }
                        answers.add(text.append(d.flush()).toString());
                    }
                    points.add(new Point(name, f, f * cMax, phrases.rate(answers), answers.size(),
                            answers.subList(0, Math.min(3, answers.size()))));
                }
            }
        }
        return points;
    }

    private static boolean contains(int[] ids, int t) {
        for (int id : ids) {
            if (id == t) {
                return true;
            }
        }
        return false;
    }
}
