package io.jsteer.steering.mat;

import io.jsteer.model.Generator;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.Sampler;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.capture.ActivationCapture;
import io.jsteer.steering.capture.CapturePrompt;
import io.jsteer.steering.capture.InMemoryActivations;
import io.jsteer.steering.capture.PositionMode;
import io.jsteer.steering.kts.experiments.JailbreakExperiment;
import io.jsteer.steering.kts.experiments.JudgeClient;
import io.jsteer.steering.mat.tasks.HelpSteer;
import io.jsteer.weights.ProgressBars;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * MAT-Steer's generative evaluation (spec §4, the paper's Fig. 3): greedy responses to the test
 * prompts ({@code "Q: {prompt} A:"}) from the unsteered model ({@code base}), the ungated sum of
 * the module's CAA vectors ({@code caa-sum}: every attribute's mean difference added at every
 * token, the vector baseline a MAT checkpoint carries) and the module ({@code mat}); every arm is
 * applied through {@link InferenceEngine#setInterventions}. With a judge, each response gets 0–4
 * scores on the five HelpSteer attributes, and MAT wins against a baseline on a prompt when its mean
 * score is higher (ties and losses counted apart; a prompt where either verdict is unreadable is
 * left out of that comparison and counted). Without one, the report says so and gives what needs
 * no judge: response lengths and the module's mean gate per attribute over each arm's response
 * tokens.
 */
public final class HelpSteerGeneration {

    public static final List<String> ARMS = List.of("base", "caa-sum", "mat");

    /** One arm's offline figures and, with a judge, its mean attribute scores over parsed verdicts. */
    public record Arm(String arm, double meanResponseTokens, Map<String, Double> meanGate, int judged, int unjudged,
                      Map<String, Double> meanJudgeScore) {}

    /** MAT against one baseline over the prompts both responses were scored on. */
    public record WinRate(String baseline, int compared, int wins, int ties, int losses, int excluded, Double winRate) {}

    /** One prompt's responses (and scores when judged; null where unreadable or not asked). */
    public record Response(String prompt, Map<String, String> responses, Map<String, int[]> scores) {}

    public record Report(String setting, String site, List<String> attributes, int prompts, int maxTokens, boolean judged,
                         List<Arm> arms, List<WinRate> winRates, JudgeClient.Summary judge, List<String> notes,
                         List<Response> responses) {

        /** The readable tables. */
        public List<String> lines() {
            List<String> out = new ArrayList<>();
            out.add(String.format(Locale.ROOT, "MAT-Steer generation on %d HelpSteer test prompts (site %s, greedy, at most %d tokens)",
                    prompts, site, maxTokens));
            StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-8s %8s", "arm", "tokens"));
            for (String a : attributes) {
                head.append(String.format(Locale.ROOT, " %12s", "gate " + a.substring(0, Math.min(7, a.length()))));
            }
            out.add(head.append(judged ? "  judged  mean score 0-4" : "").toString());
            for (Arm a : arms) {
                StringBuilder l = new StringBuilder(String.format(Locale.ROOT, "%-8s %8.1f", a.arm(), a.meanResponseTokens()));
                for (String at : attributes) {
                    l.append(String.format(Locale.ROOT, " %12.4f", a.meanGate().get(at)));
                }
                if (judged) {
                    double mean = a.meanJudgeScore().values().stream().mapToDouble(d -> d == null ? Double.NaN : d).average().orElse(Double.NaN);
                    l.append(String.format(Locale.ROOT, "  %3d/%-3d %s", a.judged(), a.judged() + a.unjudged(),
                            a.judged() == 0 ? "-" : String.format(Locale.ROOT, "%.3f", mean)));
                }
                out.add(l.toString());
            }
            if (judged) {
                out.add("MAT-Steer win rate (higher mean attribute score; parsed verdicts only)");
                out.add(String.format(Locale.ROOT, "%-10s %8s %5s %5s %6s %9s %9s", "vs", "compared", "wins", "ties", "losses", "excluded", "win rate"));
                for (WinRate w : winRates) {
                    out.add(String.format(Locale.ROOT, "%-10s %8d %5d %5d %6d %9d %9s", w.baseline(), w.compared(), w.wins(), w.ties(),
                            w.losses(), w.excluded(), w.winRate() == null ? "-" : String.format(Locale.ROOT, "%.3f", w.winRate())));
                }
                JudgeClient.Count c = judge.counts().get(JudgeClient.Kind.ATTRIBUTES);
                out.add(String.format(Locale.ROOT, "Judge verdicts (%s): asked %d, parsed %d, unparseable %d (of which refused by the judge %d)",
                        JailbreakExperiment.judgeName(judge), c.asked(), c.parsed(), c.unparseable(), c.rejected()));
            }
            out.addAll(notes);
            return out;
        }
    }

    private final InferenceEngine engine;
    private final Tokenizer tokenizer;
    private final MatPrompts rendering;

    /** Plain prompts (the paper's "Q: {prompt} A:"). */
    public HelpSteerGeneration(InferenceEngine engine, Tokenizer tokenizer) {
        this(engine, MatPrompts.plain(tokenizer));
    }

    /** Prompts rendered by {@code prompts} (template: the prompt is the user turn, generation stops at the template's stop tokens too). */
    public HelpSteerGeneration(InferenceEngine engine, MatPrompts prompts) {
        this.engine = engine;
        this.tokenizer = prompts.tokenizer();
        this.rendering = prompts;
    }

    /**
     * @param prompts   the test split's distinct prompts (the first rows of each)
     * @param judge     null: offline
     */
    public Report run(MatCheckpoint module, List<HelpSteer.Row> prompts, int maxTokens, JudgeClient judge, boolean progress)
            throws IOException {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be at least 1, got " + maxTokens);
        }
        if (module.baselineVectors() == null) {
            throw new IllegalArgumentException("the module has no caa_vectors (the caa-sum baseline needs them; retrain with mat train)");
        }
        MatParameters mat = module.parameters();
        Site site = Site.parse(module.metadata().site());
        float[] sum = new float[mat.dim()];
        for (float[] v : module.baselineVectors()) {
            for (int i = 0; i < sum.length; i++) {
                sum[i] += v[i];
            }
        }
        Map<String, InterventionSet> arms = new LinkedHashMap<>();
        arms.put("base", null);
        arms.put("caa-sum", InterventionSet.of(AddVector.of(site, sum, 1, Positions.ALL)));
        arms.put("mat", InterventionSet.of(mat.toGatedEdit(site)));
        arms.values().stream().filter(s -> s != null).forEach(s -> s.validate(engine.config()));

        List<Response> responses = new ArrayList<>();
        Map<String, double[]> gateSums = new LinkedHashMap<>();
        Map<String, long[]> tokenCounts = new LinkedHashMap<>();
        for (String a : ARMS) {
            gateSums.put(a, new double[mat.attributeCount()]);
            tokenCounts.put(a, new long[2]); // {response tokens, responses}
        }
        int skipped = 0;
        java.util.Set<Integer> stops = java.util.Arrays.stream(rendering.format().stops(tokenizer)).boxed()
                .collect(java.util.stream.Collectors.toSet()); // plain: EOS and BOS
        try (ProgressBar bar = progress ? ProgressBars.build(new ProgressBarBuilder().setTaskName("mat generate")
                .setInitialMax((long) prompts.size() * ARMS.size())) : null) {
            for (HelpSteer.Row row : prompts) {
                int[] prompt = rendering.request(row.prompt());
                if (prompt.length + maxTokens > engine.capacity()) {
                    skipped++; // the prompt and its response would not fit the context
                    continue;
                }
                Map<String, String> texts = new LinkedHashMap<>();
                for (var e : arms.entrySet()) {
                    engine.setInterventions(e.getValue());
                    int[] generated;
                    try {
                        generated = new Generator(engine).generate(prompt, maxTokens, Sampler.greedy(),
                                t -> stops.contains(t), (p, t) -> { }).generated();
                    } finally {
                        engine.setInterventions(null);
                    }
                    texts.put(e.getKey(), decode(generated));
                    tokenCounts.get(e.getKey())[0] += generated.length;
                    tokenCounts.get(e.getKey())[1]++;
                    addGates(mat, site, prompt, generated, gateSums.get(e.getKey()));
                    if (bar != null) {
                        bar.step();
                    }
                }
                responses.add(new Response(row.prompt(), texts, new LinkedHashMap<>()));
            }
        }
        List<String> notes = new ArrayList<>();
        if (skipped > 0) {
            notes.add(skipped + " of " + prompts.size() + " prompts skipped: prompt + " + maxTokens + " tokens exceed the context ("
                    + engine.capacity() + ")");
        }
        if (judge != null) {
            for (Response r : responses) {
                for (String a : ARMS) {
                    Optional<int[]> s = judge.attributeScores(r.prompt(), r.responses().get(a), HelpSteer.ATTRIBUTES);
                    r.scores().put(a, s.orElse(null));
                }
            }
        }
        List<Arm> armFigures = new ArrayList<>();
        for (String a : ARMS) {
            long[] n = tokenCounts.get(a);
            Map<String, Double> gates = new LinkedHashMap<>();
            for (int t = 0; t < mat.attributeCount(); t++) {
                gates.put(mat.attributes().get(t), n[0] == 0 ? null : gateSums.get(a)[t] / n[0]);
            }
            int judged = 0;
            double[] scoreSums = new double[HelpSteer.ATTRIBUTES.size()];
            for (Response r : responses) {
                int[] s = r.scores().get(a);
                if (s != null) {
                    judged++;
                    for (int t = 0; t < s.length; t++) {
                        scoreSums[t] += s[t];
                    }
                }
            }
            Map<String, Double> scores = new LinkedHashMap<>();
            if (judge != null) {
                for (int t = 0; t < scoreSums.length; t++) {
                    scores.put(HelpSteer.ATTRIBUTES.get(t), judged == 0 ? null : scoreSums[t] / judged);
                }
            }
            armFigures.add(new Arm(a, n[1] == 0 ? 0 : n[0] / (double) n[1], gates, judged,
                    judge == null ? 0 : responses.size() - judged, scores));
        }
        List<WinRate> wins = new ArrayList<>();
        if (judge != null) {
            for (String b : ARMS.subList(0, ARMS.size() - 1)) {
                wins.add(winRate(responses, b));
            }
            notes.add(JailbreakExperiment.judgeNote(judge.summary()));
        } else {
            notes.add("no judge was used (give --judge URL for win rates): the figures above are response lengths and the "
                    + "module's mean gate per attribute over each arm's response tokens");
        }
        return new Report("helpsteer", site.toString(), mat.attributes(), responses.size(), maxTokens, judge != null, armFigures, wins,
                judge == null ? null : judge.summary(), notes, responses);
    }

    /** MAT against {@code baseline}: a win when MAT's mean attribute score is higher. */
    static WinRate winRate(List<Response> responses, String baseline) {
        int wins = 0, ties = 0, losses = 0, excluded = 0;
        for (Response r : responses) {
            int[] m = r.scores().get("mat"), b = r.scores().get(baseline);
            if (m == null || b == null) {
                excluded++;
                continue;
            }
            int cmp = Integer.compare(Arrays.stream(m).sum(), Arrays.stream(b).sum()); // same count: sums order as means
            if (cmp > 0) {
                wins++;
            } else if (cmp == 0) {
                ties++;
            } else {
                losses++;
            }
        }
        int compared = wins + ties + losses;
        return new WinRate(baseline, compared, wins, ties, losses, excluded, compared == 0 ? null : wins / (double) compared);
    }

    /**
     * Adds the module's gates over the generated tokens. The gates read the unedited activation at
     * the site, which depends only on the blocks below the edit, so an unsteered pass over the same
     * tokens gives the values the steered generation saw (up to float rounding) without a listener.
     */
    private void addGates(MatParameters mat, Site site, int[] prompt, int[] generated, double[] sums) {
        double[][] g = responseGates(mat, site, prompt, generated);
        for (double[] row : g) {
            for (int t = 0; t < row.length; t++) {
                sums[t] += row[t];
            }
        }
    }

    /** [generated][T] the module's gates at each generated token (read from an unsteered pass; see {@link #addGates}). */
    double[][] responseGates(MatParameters mat, Site site, int[] prompt, int[] generated) {
        if (generated.length == 0) {
            return new double[0][];
        }
        List<double[]> out = new ArrayList<>();
        int[] ids = new int[prompt.length + generated.length];
        System.arraycopy(prompt, 0, ids, 0, prompt.length);
        System.arraycopy(generated, 0, ids, prompt.length, generated.length);
        InMemoryActivations captured = new InMemoryActivations(List.of(site), engine.config().dim());
        new ActivationCapture(engine, List.of(site), PositionMode.ALL).run(List.of(CapturePrompt.of(ids, 1)), captured, null, false);
        float[] x = new float[captured.dim()];
        for (int r = 0; r < captured.rows(); r++) {
            if (captured.info(r).position() >= prompt.length) {
                captured.copy(site, r, x);
                double[] g = new double[mat.attributeCount()];
                mat.gates(x, g);
                out.add(g);
            }
        }
        return out.toArray(double[][]::new);
    }

    private String decode(int[] ids) {
        var d = tokenizer.newDecoder();
        StringBuilder text = new StringBuilder();
        for (int id : ids) {
            text.append(d.accept(id));
        }
        return text.append(d.flush()).toString().strip();
    }
}
