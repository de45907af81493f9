package io.jsteer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SamplerTest {

    @Test
    void greedyPicksTheFirstMaximum() {
        assertEquals(2, Sampler.greedy().sample(new float[] {1, 3, 5, 5, -1}, 5));
    }

    @Test
    void samplingFollowsTheSoftmaxAndIsReproducible() {
        float[] logits = {0f, (float) Math.log(3), -30f};
        Sampler s = new Sampler(1f, 1f, 7);
        int[] counts = new int[3];
        for (int i = 0; i < 20000; i++) {
            counts[s.sample(logits, 3)]++;
        }
        // p = (0.25, 0.75, ~0): 20000 draws put 5000 ± 4σ(≈245) on token 0
        assertTrue(Math.abs(counts[0] - 5000) < 245, "token 0 drawn " + counts[0] + " times");
        assertEquals(0, counts[2]);
        Sampler a = new Sampler(0.8f, 0.9f, 42), b = new Sampler(0.8f, 0.9f, 42);
        float[] wide = new float[100];
        for (int i = 0; i < 100; i++) wide[i] = (float) Math.sin(i);
        for (int i = 0; i < 200; i++) {
            assertEquals(a.sample(wide, 100), b.sample(wide, 100));
        }
    }

    @Test
    void topPKeepsOnlyTheNucleus() {
        // p ≈ (0.6, 0.3, 0.05, 0.05): top-p 0.8 keeps tokens 0 and 1 only
        float[] logits = {(float) Math.log(0.6), (float) Math.log(0.3), (float) Math.log(0.05), (float) Math.log(0.05)};
        Sampler s = new Sampler(1f, 0.8f, 1);
        int[] counts = new int[4];
        for (int i = 0; i < 9000; i++) {
            counts[s.sample(logits, 4)]++;
        }
        assertEquals(0, counts[2] + counts[3]);
        assertTrue(Math.abs(counts[0] - 6000) < 300, "token 0 drawn " + counts[0] + " times (expect 2/3 of 9000)");
    }

    private static final int DRAWS = 20000;

    /** How often each token is drawn in {@link #DRAWS} draws from fresh samplers primed with {@code history}. */
    private static int[] counts(Sampler.Params params, float[] logits, int[] history) {
        int[] counts = new int[logits.length];
        Sampler s = new Sampler(params, 11);
        for (int i = 0; i < DRAWS; i++) {
            if (history.length > 0) { // a fresh history each draw: the sampler also remembers what it drew
                s = new Sampler(params, 11 + i);
                s.prime(history);
            }
            counts[s.sample(logits, logits.length)]++;
        }
        return counts;
    }

    /** {@code DRAWS · p} within 4.5 binomial standard deviations. */
    private static void assertShare(double p, int count) {
        double sd = Math.sqrt(DRAWS * p * (1 - p));
        assertTrue(Math.abs(count - DRAWS * p) <= 4.5 * sd + 1, "drawn " + count + " times, expected " + DRAWS * p + " ± " + 4.5 * sd);
    }

    private static float[] logs(double... p) {
        float[] out = new float[p.length];
        for (int i = 0; i < p.length; i++) out[i] = (float) Math.log(p[i]);
        return out;
    }

    @Test
    void topKKeepsTheKMostProbableRenormalised() {
        int[] c = counts(Sampler.Params.DEFAULT.withTopK(2), logs(0.4, 0.3, 0.2, 0.1), new int[0]);
        assertEquals(0, c[2] + c[3]);
        assertShare(0.4 / 0.7, c[0]);
        // top-k 1 is greedy
        int[] one = counts(Sampler.Params.DEFAULT.withTopK(1), logs(0.2, 0.5, 0.3), new int[0]);
        assertEquals(DRAWS, one[1]);
    }

    @Test
    void minPDropsTokensBelowAFractionOfTheTopOne() {
        // p = (0.5, 0.3, 0.15, 0.05), min-p 0.2: the cut is 0.1, token 3 goes, the rest share 0.95
        int[] c = counts(Sampler.Params.DEFAULT.withMinP(0.2f), logs(0.5, 0.3, 0.15, 0.05), new int[0]);
        assertEquals(0, c[3]);
        assertShare(0.15 / 0.95, c[2]);
        assertShare(0.5 / 0.95, c[0]);
    }

    @Test
    void topPAfterTopKActsOnWhatTopKLeft() {
        // top-k 3 leaves (0.4, 0.3, 0.2) = 0.9; top-p 0.75 of that (0.675) needs tokens 0 and 1
        int[] c = counts(Sampler.Params.DEFAULT.withTopK(3).withTopP(0.75f), logs(0.4, 0.3, 0.2, 0.1), new int[0]);
        assertEquals(0, c[2] + c[3]);
        assertShare(0.4 / 0.7, c[0]);
    }

    @Test
    void frequencyPenaltyCountsOccurrencesPresencePenaltyDoesNot() {
        float[] logits = {1f, 1f};
        int[] seen = {0, 0, 0};
        // frequency 0.5 × 3 occurrences: logit 1 − 1.5 = −0.5 against 1 → p0 = 1 / (1 + e^1.5)
        assertShare(1 / (1 + Math.exp(1.5)), counts(Sampler.Params.DEFAULT.withPenalties(1f, 0f, 0.5f, 64), logits, seen)[0]);
        // presence 0.5 once: logit 0.5 against 1 → p0 = 1 / (1 + e^0.5)
        assertShare(1 / (1 + Math.exp(0.5)), counts(Sampler.Params.DEFAULT.withPenalties(1f, 0.5f, 0f, 64), logits, seen)[0]);
        // both at once add up: 1 − 0.5 − 1.5 = −1 → p0 = 1 / (1 + e^2)
        assertShare(1 / (1 + Math.exp(2)), counts(Sampler.Params.DEFAULT.withPenalties(1f, 0.5f, 0.5f, 64), logits, seen)[0]);
        // a negative presence penalty encourages repeats
        assertShare(1 / (1 + Math.exp(-1)), counts(Sampler.Params.DEFAULT.withPenalties(1f, -1f, 0f, 64), logits, seen)[0]);
    }

    @Test
    void repeatPenaltyDividesPositiveLogitsAndMultipliesNegativeOnes() {
        // {2, 1.5} with token 0 seen, penalty 2: 2 / 2 = 1 < 1.5, so greedy now picks token 1
        Sampler.Params greedy = Sampler.Params.DEFAULT.withTemperature(0f).withPenalties(2f, 0f, 0f, 64);
        Sampler s = new Sampler(greedy, 0);
        s.prime(new int[] {0});
        assertEquals(1, s.sample(new float[] {2f, 1.5f}, 2));
        // {-1, -1.5} with token 0 seen: −1 × 2 = −2 < −1.5, token 1 again
        s = new Sampler(greedy, 0);
        s.prime(new int[] {0});
        assertEquals(1, s.sample(new float[] {-1f, -1.5f}, 2));
        // sampled: {ln 0.5, ln 0.5} → token 0's logit −0.693 × 2 → p0 = 0.25 / (0.25 + 0.5)
        assertShare(1 / 3.0, counts(Sampler.Params.DEFAULT.withPenalties(2f, 0f, 0f, 64), logs(0.5, 0.5), new int[] {0})[0]);
    }

    @Test
    void penaltiesLookOnlyAtTheWindowAndAtWhatTheSamplerDrew() {
        float[] logits = {1f, 1f, 0.5f};
        // window 2 over [0, 1, 1]: token 0 is out of it, only token 1 is penalised
        Sampler s = new Sampler(Sampler.Params.DEFAULT.withTemperature(0f).withPenalties(1f, 1f, 0f, 2), 0);
        s.prime(new int[] {0, 1, 1});
        assertEquals(0, s.sample(logits, 3));
        // window 0 turns penalties off; −1 looks at everything
        s = new Sampler(Sampler.Params.DEFAULT.withTemperature(0f).withPenalties(1f, 1f, 0f, 0), 0);
        s.prime(new int[] {0, 1});
        assertEquals(0, s.sample(logits, 3));
        s = new Sampler(Sampler.Params.DEFAULT.withTemperature(0f).withPenalties(1f, 1f, 0f, -1), 0);
        s.prime(new int[] {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
        assertEquals(2, s.sample(logits, 3));
        // greedy with a presence penalty never repeats while something else is left: its own picks count
        s = new Sampler(Sampler.Params.DEFAULT.withTemperature(0f).withPenalties(1f, 10f, 0f, 64), 0);
        float[] flat = {3f, 2f, 1f, 0f};
        assertEquals(0, s.sample(flat, 4));
        assertEquals(1, s.sample(flat, 4));
        assertEquals(2, s.sample(flat, 4));
        assertEquals(3, s.sample(flat, 4));
    }

    @Test
    void logitBiasShiftsTheDistributionAndTheGreedyChoice() {
        // {0, 0} with + ln 3 on token 1: p1 = 3/4
        int[] c = counts(Sampler.Params.DEFAULT.withLogitBias(Map.of(1, (float) Math.log(3))), new float[] {0f, 0f}, new int[0]);
        assertShare(0.75, c[1]);
        // −100 all but bans a token; ids beyond the vocabulary are ignored
        c = counts(Sampler.Params.DEFAULT.withLogitBias(Map.of(0, -100f, 99, 5f)), new float[] {5f, 0f, 0f}, new int[0]);
        assertEquals(0, c[0]);
        assertShare(0.5, c[1]);
        Sampler g = new Sampler(Sampler.Params.DEFAULT.withTemperature(0f).withLogitBias(Map.of(2, 3f)), 0);
        assertEquals(2, g.sample(new float[] {2f, 1f, 0f}, 3));
        // the caller's logits are left as they were
        float[] logits = {2f, 1f, 0f};
        g.sample(logits, 3);
        assertEquals(0f, logits[2]);
    }

    @Test
    void theSeedFixesTheDrawsAndAnotherSeedChangesThem() {
        float[] wide = new float[50];
        for (int i = 0; i < 50; i++) wide[i] = (float) Math.cos(i);
        Sampler.Params p = Sampler.Params.DEFAULT.withTopK(20).withMinP(0.01f).withPenalties(1.1f, 0.2f, 0.1f, 8);
        Sampler a = new Sampler(p, 5), b = new Sampler(p, 5), c = new Sampler(p, 6);
        int same = 0;
        for (int i = 0; i < 100; i++) {
            int x = a.sample(wide, 50);
            assertEquals(x, b.sample(wide, 50));
            same += x == c.sample(wide, 50) ? 1 : 0;
        }
        assertTrue(same < 50, same + " of 100 draws agree across seeds");
    }

    @Test
    void logprobsAreTheModelsLogSoftmaxWithTheTopAlternatives() {
        float[] logits = {0.5f, 2f, -1f, 1.5f, 2f};
        Sampler s = new Sampler(Sampler.Params.DEFAULT.withTemperature(0f).withTopLogprobs(3).withLogitBias(Map.of(2, 10f)), 0);
        int t = s.sample(logits, 5);
        assertEquals(2, t); // the bias chose it ...
        double z = 0;
        for (float l : logits) z += Math.exp(l);
        Sampler.TokenLogprob lp = s.lastLogprob();
        assertEquals(2, lp.token());
        assertEquals(-1 - Math.log(z), lp.logprob(), 1e-5); // ... but the log-probability is the model's own
        assertEquals(3, lp.topIds().length);
        assertEquals(1, lp.topIds()[0]); // ties keep the lower id first
        assertEquals(4, lp.topIds()[1]);
        assertEquals(3, lp.topIds()[2]);
        assertEquals(1.5 - Math.log(z), lp.topLogprobs()[2], 1e-5);
        assertEquals(null, Sampler.greedy().lastLogprob());
        Sampler none = new Sampler(Sampler.Params.DEFAULT.withTopLogprobs(0), 1);
        none.sample(logits, 5);
        assertEquals(0, none.lastLogprob().topIds().length);
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Sampler(-1f, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(Float.NaN, 1f, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1f, 0f, 0));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(1f, 1.5f, 0));
        assertThrows(IllegalArgumentException.class, () -> Sampler.Params.DEFAULT.withTopK(-1));
        assertThrows(IllegalArgumentException.class, () -> Sampler.Params.DEFAULT.withMinP(1.5f));
        assertThrows(IllegalArgumentException.class, () -> Sampler.Params.DEFAULT.withPenalties(0f, 0f, 0f, 64));
        assertThrows(IllegalArgumentException.class, () -> Sampler.Params.DEFAULT.withPenalties(1f, Float.NaN, 0f, 64));
        assertThrows(IllegalArgumentException.class, () -> Sampler.Params.DEFAULT.withPenalties(1f, 0f, 0f, -2));
        assertThrows(IllegalArgumentException.class, () -> Sampler.Params.DEFAULT.withLogitBias(Map.of(-1, 1f)));
    }
}
