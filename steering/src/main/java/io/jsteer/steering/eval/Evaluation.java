package io.jsteer.steering.eval;

import io.jsteer.steering.data.AbItem;
import io.jsteer.model.GenerationResult;
import io.jsteer.model.Generator;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.Sampler;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.tokenizer.Tokenizer;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The metrics of {@code jsteer eval}, unsteered and steered side by side: A/B behaviour score,
 * perplexity, sentiment / refusal rate / degeneration of sampled text, KL against the unsteered
 * model. The work is cut into independent {@link Unit}s (one A/B item, one held-out text, one
 * sample, one KL prompt), each of which runs from position 0 on any engine over the same model;
 * {@link #table} adds their {@link Outcome}s up in the order of {@link #units}. One machine runs
 * every unit in turn; a cluster runs them anywhere and sorts the outcomes back: both get the
 * same figures, bit for bit, because the sums are taken in the same order.
 */
public final class Evaluation {

    /** Row names of the table. */
    public static final String UNSTEERED = "unsteered", STEERED = "steered";

    /**
     * What to measure. Serializable, so that it can be sent to other machines.
     *
     * @param ab          A/B items (empty: no A/B score)
     * @param texts       held-out texts for perplexity (empty: none)
     * @param prompts     prompts for samples and KL (empty: none)
     * @param samples     samples per condition, sample i from prompt i mod prompts
     * @param maxTokens   tokens per sample at most
     * @param temperature 0 = greedy
     * @param seed        sample i is drawn with seed + i in both conditions
     */
    public record Spec(List<AbItem> ab, List<String> texts, List<String> prompts, int samples, int maxTokens,
                       float temperature, long seed) implements Serializable {

        public Spec {
            ab = List.copyOf(ab);
            texts = List.copyOf(texts);
            prompts = List.copyOf(prompts);
            if (ab.isEmpty() && texts.isEmpty() && prompts.isEmpty()) {
                throw new IllegalArgumentException("nothing to measure: give A/B items, held-out texts and/or prompts");
            }
            if (samples < 0 || maxTokens < 1) {
                throw new IllegalArgumentException("samples must be 0 or more and maxTokens at least 1, got " + samples
                        + " and " + maxTokens);
            }
        }

        /** Whether samples are drawn (then the table needs an AFINN lexicon). */
        public boolean samplesText() {
            return !prompts.isEmpty() && samples > 0;
        }
    }

    public enum Kind { AB, TEXT, SAMPLE, KL }

    /**
     * One piece of work.
     *
     * @param steered under the steering (KL units always are)
     * @param kind    what is measured
     * @param index   the item, text, sample or KL prompt
     */
    public record Unit(boolean steered, Kind kind, int index) implements Serializable {}

    /**
     * What one unit gives.
     *
     * @param values AB: {p(matching), logit difference}; TEXT: NLL per predicted token; KL: KL per
     *               position; SAMPLE: {generated tokens}
     * @param text   SAMPLE: the generated text; null otherwise
     */
    public record Outcome(Unit unit, double[] values, String text) implements Serializable {}

    private Evaluation() {}

    /** Every unit, in the order the table adds them: unsteered then (with steering) steered, then KL. */
    public static List<Unit> units(Spec spec, boolean withSteering) {
        List<Unit> out = new ArrayList<>();
        for (boolean steered : withSteering ? new boolean[] {false, true} : new boolean[] {false}) {
            for (int i = 0; i < spec.ab().size(); i++) {
                out.add(new Unit(steered, Kind.AB, i));
            }
            for (int i = 0; i < spec.texts().size(); i++) {
                out.add(new Unit(steered, Kind.TEXT, i));
            }
            if (spec.samplesText()) {
                for (int i = 0; i < spec.samples(); i++) {
                    out.add(new Unit(steered, Kind.SAMPLE, i));
                }
            }
        }
        if (withSteering) {
            for (int i = 0; i < spec.prompts().size(); i++) {
                out.add(new Unit(true, Kind.KL, i));
            }
        }
        return out;
    }

    /**
     * Runs one unit on {@code engine}, with {@code steering} set when the unit is steered (KL units
     * measure the steered model against the unsteered one). Leaves the engine unsteered.
     */
    public static Outcome run(InferenceEngine engine, Tokenizer tok, Spec spec, InterventionSet steering, Unit u) {
        if (u.steered() && steering == null) {
            throw new IllegalArgumentException("unit " + u + " is steered but no steering was given");
        }
        InterventionSet h = u.steered() ? steering : null;
        try {
            return switch (u.kind()) {
                case AB -> {
                    engine.setInterventions(h);
                    AbBehaviourScore.ItemScore s = new AbBehaviourScore(engine, tok).score(spec.ab().get(u.index()));
                    yield new Outcome(u, new double[] {s.matchingProbability(), s.logitDifference()}, null);
                }
                case TEXT -> {
                    engine.setInterventions(h);
                    yield new Outcome(u, new Perplexity(engine).nll(u.index(), tok.encode(spec.texts().get(u.index()), true)), null);
                }
                case SAMPLE -> {
                    engine.setInterventions(h);
                    int[] ids = tok.encode(spec.prompts().get(u.index() % spec.prompts().size()), true);
                    Sampler sampler = spec.temperature() == 0 ? Sampler.greedy() : new Sampler(spec.temperature(), 1f, spec.seed() + u.index());
                    GenerationResult g = new Generator(engine).generate(ids, spec.maxTokens(), sampler,
                            t -> t == tok.eos() || t == tok.bos(), (a, b) -> {});
                    yield new Outcome(u, new double[] {g.generatedCount()}, tok.decode(g.generated()));
                }
                case KL -> {
                    NextTokenKl kl = new NextTokenKl(engine, List.of(tok.encode(spec.prompts().get(u.index()), true)));
                    yield new Outcome(u, kl.perPosition(h).getFirst(), null);
                }
            };
        } finally {
            engine.setInterventions(null);
        }
    }

    /** Every unit run here, in order (the single-machine path); {@code step} is called after each. */
    public static List<Outcome> runAll(InferenceEngine engine, Tokenizer tok, Spec spec, InterventionSet steering,
                                       java.util.function.Consumer<Unit> step) {
        List<Outcome> out = new ArrayList<>();
        for (Unit u : units(spec, steering != null)) {
            out.add(run(engine, tok, spec, steering, u));
            step.accept(u);
        }
        return out;
    }

    /**
     * condition → metric → value from the outcomes of every unit of {@link #units}, in that order.
     *
     * @param lexicon for the sentiment of samples; may be null when the spec draws none
     */
    public static Map<String, Map<String, Object>> table(Spec spec, List<Outcome> outcomes, AfinnLexicon lexicon) {
        boolean withSteering = outcomes.stream().anyMatch(o -> o.unit().steered());
        List<Unit> expected = units(spec, withSteering);
        if (outcomes.size() != expected.size()) {
            throw new IllegalArgumentException("evaluation: " + outcomes.size() + " outcomes for " + expected.size() + " units");
        }
        for (int i = 0; i < expected.size(); i++) {
            if (!outcomes.get(i).unit().equals(expected.get(i))) {
                throw new IllegalArgumentException("evaluation: outcome " + i + " is for " + outcomes.get(i).unit()
                        + ", expected " + expected.get(i) + " (outcomes must be in the order of units())");
            }
        }
        Map<String, Map<String, Object>> table = new LinkedHashMap<>();
        for (boolean steered : withSteering ? new boolean[] {false, true} : new boolean[] {false}) {
            Map<String, Object> row = new LinkedHashMap<>();
            List<Outcome> mine = outcomes.stream().filter(o -> o.unit().steered() == steered && o.unit().kind() != Kind.KL).toList();
            if (!spec.ab().isEmpty()) {
                double p = 0, d = 0;
                for (Outcome o : of(mine, Kind.AB)) {
                    p += o.values()[0];
                    d += o.values()[1];
                }
                row.put("ab_matching_probability", p / spec.ab().size());
                row.put("ab_logit_difference", d / spec.ab().size());
            }
            if (!spec.texts().isEmpty()) {
                row.put("perplexity", Perplexity.of(of(mine, Kind.TEXT).stream().map(Outcome::values).toList()).perplexity());
            }
            if (spec.samplesText()) {
                if (lexicon == null) {
                    throw new IllegalArgumentException("evaluation: sampled texts need an AFINN lexicon for their sentiment");
                }
                List<String> generated = of(mine, Kind.SAMPLE).stream().map(Outcome::text).toList();
                row.put("afinn_per_text", new AfinnSentiment(lexicon).score(generated).meanSum());
                row.put("refusal_rate", RefusalPhrases.defaults().rate(generated));
                Degeneration.DegenerationScore deg = Degeneration.mean(generated);
                row.put("distinct2", deg.distinct2());
                row.put("compression_ratio", deg.compressionRatio());
            }
            table.put(steered ? STEERED : UNSTEERED, row);
        }
        if (withSteering && !spec.prompts().isEmpty()) {
            table.get(STEERED).put("kl_vs_unsteered", NextTokenKl.of(of(outcomes, Kind.KL).stream().map(Outcome::values).toList()).mean());
            table.get(UNSTEERED).put("kl_vs_unsteered", 0.0);
        }
        return table;
    }

    private static List<Outcome> of(List<Outcome> outcomes, Kind kind) {
        return outcomes.stream().filter(o -> o.unit().kind() == kind).toList();
    }
}
