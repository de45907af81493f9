package io.jsteer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.tensor.Parallel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Compares jsteer's greedy text with what llama.cpp's llama-simple printed for the same model. */
public final class LlamaCppText {

    private LlamaCppText() {}

    /**
     * llama-simple prints each piece as it is sampled (control tokens as their text, e.g. "<s>")
     * after the prompt "Once upon a time" and stops at end-of-generation; jsteer's greedy tokens,
     * rendered the same way, must give the same bytes. The two engines round differently in the
     * last bits, so on random models, whose logits are nearly flat, a near-tie may break the other
     * way: the first divergence is accepted only when llama.cpp's token is within
     * {@code tiePerPosition} per position of jsteer's best logit. The comparison ends there.
     */
    public static void assertSameText(Path model, Path expectedBytes, int tokens, float tiePerPosition) throws IOException {
        byte[] want = Files.readAllBytes(expectedBytes);
        try (LoadedModel m = ModelLoader.load(model, null); Parallel par = new Parallel(2); CpuEngine e = m.newCpuEngine(64, par)) {
            Tokenizer tok = m.tokenizer();
            int[] prompt = tok.encode("Once upon a time", true);
            float[] logits = e.prefill(prompt, 0);
            int at = 0;
            for (int step = 0; step < tokens; step++) {
                int vocab = m.config().vocabSize();
                int best = Sampler.argmax(logits, vocab);
                byte[] piece = rendered(tok, best);
                boolean done = at == want.length;
                if (done ? best == tok.eos() : best != tok.eos() && startsWith(want, at, piece)) {
                    if (done) {
                        return;
                    }
                    at += piece.length;
                    logits = e.forward(best, prompt.length + step, false);
                    continue;
                }
                // divergence: llama.cpp's token must be a near-tie in jsteer's logits
                float theirs = Float.NEGATIVE_INFINITY;
                for (int t = 0; t < vocab; t++) {
                    boolean fits = done ? t == tok.eos() : t != tok.eos() && rendered(tok, t).length > 0 && startsWith(want, at, rendered(tok, t));
                    if (fits) {
                        theirs = Math.max(theirs, logits[t]);
                    }
                }
                float gap = logits[best] - theirs;
                assertTrue(gap <= tiePerPosition * (1 + step), model.getFileName() + ": at token " + step + " jsteer picks " + best
                        + " by " + gap + " over llama.cpp's choice (more than a rounding tie)");
                return;
            }
            assertEquals(want.length, at, model.getFileName() + ": llama.cpp's text continues after " + tokens + " tokens");
        }
    }

    private static byte[] rendered(Tokenizer tok, int id) {
        return tok.isSpecial(id) ? tok.piece(id).getBytes(StandardCharsets.UTF_8) : tok.tokenBytes(id);
    }

    private static boolean startsWith(byte[] text, int at, byte[] piece) {
        if (at + piece.length > text.length) {
            return false;
        }
        for (int i = 0; i < piece.length; i++) {
            if (text[at + i] != piece[i]) {
                return false;
            }
        }
        return true;
    }
}
