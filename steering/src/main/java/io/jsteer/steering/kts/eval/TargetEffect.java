package io.jsteer.steering.kts.eval;

import io.jsteer.model.LogProbs;

import io.jsteer.model.Generator;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.Sampler;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.kts.data.EmotionLexicon;
import java.util.List;

/** The target effect on prompts that end at an emotion slot: next-word log-odds and sampled happy words. */
public final class TargetEffect {

    /** Mean log-odds over the prompts and the share of samples with a happy word. */
    public record Result(double logOdds, double happyShare) {}

    private TargetEffect() {}

    /** The engine already carries whatever steering hooks are wanted. */
    public static Result measure(InferenceEngine engine, Tokenizer tok, List<String> prompts, int sampleTokens, long seed) {
        double logOdds = 0;
        int happy = 0;
        Generator gen = new Generator(engine);
        for (int i = 0; i < prompts.size(); i++) {
            int[] ids = tok.encode(prompts.get(i), true);
            float[] last = engine.prefill(ids, 0).clone();
            double h = logSumExp(EmotionLexicon.HAPPY.stream().mapToDouble(w -> wordLogProb(engine, tok, last, ids.length, w)).toArray());
            double s = logSumExp(EmotionLexicon.SAD.stream().mapToDouble(w -> wordLogProb(engine, tok, last, ids.length, w)).toArray());
            logOdds += h - s;
            int[] sample = gen.generate(ids, sampleTokens, new Sampler(1.0f, 1.0f, seed + i),
                    t -> t == tok.bos() || t == tok.eos(), (a, b) -> { }).generated();
            if (EmotionLexicon.hasHappyWord(tok.decode(sample))) {
                happy++;
            }
        }
        return new Result(logOdds / prompts.size(), happy / (double) prompts.size());
    }

    /**
     * log p(" word" | prompt): the word's tokens (with the leading space the tokenizer's dummy
     * prefix gives) chained after the prompt; positions after the prompt are overwritten per word.
     */
    static double wordLogProb(InferenceEngine engine, Tokenizer tok, float[] promptLogits, int promptLength, String word) {
        int[] ids = tok.encode(word, false);
        double lp = 0;
        float[] logits = promptLogits;
        for (int j = 0; j < ids.length; j++) {
            lp += LogProbs.at(logits, logits.length, ids[j]);
            if (j + 1 < ids.length) {
                logits = engine.forward(ids[j], promptLength + j, false);
            }
        }
        return lp;
    }

    static double logSumExp(double[] xs) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : xs) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (double x : xs) {
            sum += Math.exp(x - max);
        }
        return max + Math.log(sum);
    }
}
