package io.jsteer.steering.mat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.mat.tasks.McItem;
import io.jsteer.steering.mat.tasks.TaskSplits;
import io.jsteer.tensor.Parallel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which tokens become training features (--tokens last|all|answer|diff), on the real tokenizer and model. */
class TrainTokensTest {

    static final McItem ITEM = new McItem("animals", "0", "Q: What did Lily see? A:", List.of("Lily saw a big dog", "Lily saw a red car"),
            List.of(true, false));

    static List<String> pieces(Tokenizer tok, String text, boolean[] keep, int from) {
        int[] ids = tok.encode(text, true);
        List<String> out = new ArrayList<>();
        for (int i = from; i < ids.length; i++) {
            if (keep[i]) {
                out.add(new String(tok.tokenBytes(ids[i]), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    @Test
    void answerAndDiffMasksPickTheAttributeTokens() {
        try (LoadedModel m = Shared.stories()) {
            Tokenizer tok = m.tokenizer();
            int prompt = MatFeatures.promptTokens(tok, ITEM, 1);
            assertEquals(tok.encode(ITEM.prompt(), true).length, prompt);
            // answer: every answer token, no prompt token
            assertEquals(String.join("", pieces(tok, ITEM.text(1), MatFeatures.answerMask(tok, ITEM, 1, TrainTokens.ANSWER), 0)).strip(),
                    "Lily saw a red car");
            // diff, undesirable choice: only the tokens the desirable answer lacks
            String diffNeg = String.join("", pieces(tok, ITEM.text(1), MatFeatures.answerMask(tok, ITEM, 1, TrainTokens.DIFF), 0));
            assertTrue(diffNeg.contains("r") && diffNeg.contains("ar") && !diffNeg.contains("Lily") && !diffNeg.contains("saw"), diffNeg);
            // diff, desirable choice: its own differing tokens plus the whole prompt (gate kept shut there)
            boolean[] pos = MatFeatures.answerMask(tok, ITEM, 0, TrainTokens.DIFF);
            for (int i = 0; i < prompt; i++) {
                assertTrue(pos[i], "prompt token " + i);
            }
            String diffPos = String.join("", pieces(tok, ITEM.text(0), pos, prompt));
            assertTrue(diffPos.contains("big") && diffPos.contains("do") && !diffPos.contains("saw"), diffPos);
        }
    }

    @Test
    void featureRowsFollowTheMode() {
        try (LoadedModel m = Shared.stories(); Parallel par = new Parallel(1); CpuEngine engine = m.newCpuEngine(64, par)) {
            Tokenizer tok = m.tokenizer();
            Site site = Site.parse("attn_heads:2");
            TaskSplits splits = new TaskSplits("animals", List.of(ITEM), List.of(), List.of(), Map.of());
            int n0 = tok.encode(ITEM.text(0), true).length, n1 = tok.encode(ITEM.text(1), true).length;
            int prompt = MatFeatures.promptTokens(tok, ITEM, 1);
            AttributeFeatures last = MatFeatures.extract(engine, tok, site, List.of(splits), "train", TrainTokens.LAST, false).getFirst();
            assertEquals(1, last.positives().length);
            AttributeFeatures all = MatFeatures.extract(engine, tok, site, List.of(splits), "train", TrainTokens.ALL, false).getFirst();
            assertEquals(n0, all.positives().length);
            assertEquals(n1, all.negatives().length);
            assertArrayEquals(last.negatives()[0], all.negatives()[n1 - 1], 1e-5f);
            AttributeFeatures answer = MatFeatures.extract(engine, tok, site, List.of(splits), "train", TrainTokens.ANSWER, false).getFirst();
            assertEquals(n1 - prompt, answer.negatives().length);
            assertArrayEquals(all.negatives()[prompt], answer.negatives()[0], 1e-5f);
            AttributeFeatures diff = MatFeatures.extract(engine, tok, site, List.of(splits), "train", TrainTokens.DIFF, false).getFirst();
            int kept = 0;
            for (boolean b : MatFeatures.answerMask(tok, ITEM, 1, TrainTokens.DIFF)) {
                kept += b ? 1 : 0;
            }
            assertEquals(kept, diff.negatives().length);
            assertTrue(diff.positives().length > prompt, "prompt tokens and the desirable answer's own tokens");
            assertTrue(diff.targetsArePositives());
            // contrast: DIFF's pools, MMD targets = the desirable answer's own differing words ("big dog"), rows in text order
            AttributeFeatures contrast = MatFeatures.extract(engine, tok, site, List.of(splits), "train", TrainTokens.CONTRAST, false)
                    .getFirst();
            assertEquals(diff.positives().length, contrast.positives().length);
            assertArrayEquals(diff.negatives()[kept - 1], contrast.negatives()[kept - 1], 1e-6f);
            boolean[] own = MatFeatures.answerMask(tok, ITEM, 0, TrainTokens.CONTRAST);
            List<Integer> ownPositions = new ArrayList<>();
            for (int i = 0; i < own.length; i++) {
                if (own[i]) {
                    ownPositions.add(i);
                }
            }
            assertTrue(!ownPositions.isEmpty() && ownPositions.getFirst() >= prompt, ownPositions.toString());
            assertEquals(ownPositions.size(), contrast.targets().length);
            for (int k = 0; k < ownPositions.size(); k++) {
                assertArrayEquals(all.positives()[ownPositions.get(k)], contrast.targets()[k], 1e-5f);
            }
            // the CAA vector of contrast features runs from the undesirable words to the desirable ones
            float[] caa = contrast.meanDifference();
            for (int j = 0; j < caa.length; j++) {
                double t = 0, n = 0;
                for (float[] r : contrast.targets()) {
                    t += r[j] / contrast.targets().length;
                }
                for (float[] r : contrast.negatives()) {
                    n += r[j] / contrast.negatives().length;
                }
                assertEquals(t - n, caa[j], 1e-5);
            }
        }
        assertEquals(TrainTokens.CONTRAST, TrainTokens.parse("contrast"));
        assertEquals(TrainTokens.DIFF, TrainTokens.parse("diff"));
        var e = assertThrows(IllegalArgumentException.class, () -> TrainTokens.parse("some"));
        assertTrue(e.getMessage().contains("--tokens"), e.getMessage());
    }

    @Test
    void gatesByRoleSplitPromptAndAnswerTokens() {
        try (LoadedModel m = Shared.stories(); Parallel par = new Parallel(1); CpuEngine engine = m.newCpuEngine(64, par)) {
            Tokenizer tok = m.tokenizer();
            Site site = Site.parse("attn_heads:2");
            MatParameters mat = MatParameters.initial(List.of("a", "b"), m.config().dim(), 3);
            MatEvaluator eval = new MatEvaluator(engine, tok);
            MatEvaluator.GatesByRole roles = eval.gatesByRole(List.of(ITEM), mat, site);
            int prompt = MatFeatures.promptTokens(tok, ITEM, 0);
            double[][] g0 = eval.tokenGates(tok.encode(ITEM.text(0), true), mat, site);
            double[][] g1 = eval.tokenGates(tok.encode(ITEM.text(1), true), mat, site);
            double promptMean = 0, falseMean = 0;
            for (int i = 0; i < prompt; i++) {
                promptMean += (g0[i][1] + g1[i][1]) / (2.0 * prompt);
            }
            for (int i = prompt; i < g1.length; i++) {
                falseMean += g1[i][1] / (g1.length - prompt);
            }
            assertEquals(prompt, roles.prompt().tokensPerText(), 1e-9);
            assertEquals(g1.length - prompt, roles.falseAnswers().tokensPerText(), 1e-9);
            assertEquals(g0.length - prompt, roles.trueAnswers().tokensPerText(), 1e-9);
            assertEquals(promptMean, roles.prompt().meanGate()[1], 1e-6);
            assertEquals(falseMean, roles.falseAnswers().meanGate()[1], 1e-6);
        }
    }
}
