package io.jsteer.steering.report;

import io.jsteer.steering.eval.Degeneration.DegenerationScore;
import io.jsteer.steering.sweep.BestCellCriteria;
import io.jsteer.steering.sweep.SweepCell;
import io.jsteer.steering.sweep.SweepResult;
import io.jsteer.weights.AtomicFileWriter;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jfree.chart.JFreeChart;
import java.util.TreeSet;

/**
 * A sweep as one self-contained HTML file (each chart also as .svg and .png beside it): inline SVG charts (behaviour, KL and degeneration
 * against strength per layer; KL against behaviour), a table of every cell with the best one
 * highlighted, sample texts of the baseline and the best cell, and the full result as JSON in a
 * {@code <script type="application/json">} block. Inline CSS, no scripts to run, no external
 * references: it opens offline.
 */
public final class SweepHtmlReport {

    private SweepHtmlReport() {}

    /**
     * Writes {@code file} (e.g. {@code out/sweep.html}) and each chart beside it as
     * {@code out/sweep-ID.svg} and {@code out/sweep-ID.png}; returns the chart files.
     */
    public static List<Path> write(SweepResult result, BestCellCriteria criteria, Path file) throws IOException {
        byte[] bytes = render(result, criteria).getBytes(StandardCharsets.UTF_8);
        AtomicFileWriter.write(file, out -> out.bytes(bytes));
        String stem = file.getFileName().toString().replaceFirst("\\.html?$", "");
        List<Path> written = new ArrayList<>();
        for (Map.Entry<String, JFreeChart> c : charts(result, result.best(criteria)).entrySet()) {
            written.addAll(ChartFiles.Picture.of(c.getValue(), SweepCharts.WIDTH, SweepCharts.HEIGHT)
                    .write(file.resolveSibling(stem + "-" + c.getKey())));
        }
        return written;
    }

    /** The charts by id, in the order the page shows them. */
    static Map<String, JFreeChart> charts(SweepResult r, Optional<SweepCell> best) {
        Map<String, JFreeChart> m = new LinkedHashMap<>();
        m.put("behaviour-vs-strength", SweepCharts.behaviourAgainstStrength(r));
        m.put("kl-vs-behaviour", SweepCharts.klAgainstBehaviour(r, best));
        m.put("kl-vs-strength", SweepCharts.againstStrength(r, "Side effect (KL on benign prompts) against strength",
                "mean KL on benign prompts (nats)", SweepCell::klMean));
        if (r.baseline().degeneration() != null) {
            m.put("distinct2-vs-strength", SweepCharts.againstStrength(r, "distinct-2 against strength (lower = more repetition)",
                    "distinct-2 (share of unique word pairs)", c -> c.degeneration().distinct2()));
            m.put("compression-vs-strength", SweepCharts.againstStrength(r,
                    "compression ratio against strength (lower = more repetition)", "deflated / raw bytes",
                    c -> c.degeneration().compressionRatio()));
        }
        if (r.baseline().perplexity() != null) {
            m.put("perplexity-vs-strength", SweepCharts.againstStrength(r, "perplexity on held-out text against strength",
                    "perplexity", SweepCell::perplexity));
        }
        return m;
    }

    /**
     * A warning when the best cell lies on the edge of the swept grid, where a better cell may lie
     * just outside it: at the largest (or, for negative strengths, the most negative) strength, or
     * at the first or last of several layers swept.
     */
    public static Optional<String> edgeWarning(SweepResult r, SweepCell best) {
        List<String> edges = new ArrayList<>();
        List<Double> side = r.config().steeredStrengths().stream().filter(s -> Math.signum(s) == Math.signum(best.strength())).toList();
        if (side.size() > 0 && Math.abs(best.strength()) >= side.stream().mapToDouble(Math::abs).max().orElseThrow()) {
            edges.add("its strength " + num(best.strength()) + " is the " + (best.strength() > 0 ? "largest" : "most negative")
                    + " swept (try " + (best.strength() > 0 ? "larger" : "more negative") + " --strengths)");
        }
        List<Integer> layers = r.config().layers();
        int lo = layers.stream().mapToInt(Integer::intValue).min().orElseThrow();
        int hi = layers.stream().mapToInt(Integer::intValue).max().orElseThrow();
        if (layers.size() > 1 && (best.layer() == lo || best.layer() == hi)) {
            edges.add("its layer " + best.layer() + " is the " + (best.layer() == lo ? "first" : "last") + " swept (try "
                    + (best.layer() == lo ? "earlier" : "later") + " --layers, if the model has them)");
        }
        return edges.isEmpty() ? Optional.empty()
                : Optional.of("the best cell is at the edge of the grid: " + String.join("; ", edges)
                        + "; the optimum may lie outside it");
    }

    public static String render(SweepResult r, BestCellCriteria criteria) {
        Optional<SweepCell> best = r.best(criteria);
        StringBuilder h = new StringBuilder(256 * 1024);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>jsteer sweep: ")
                .append(esc(r.model())).append(" / ").append(esc(r.behaviour())).append("</title>\n<style>\n")
                .append("body{font-family:sans-serif;margin:2em;color:#222}")
                .append("table{border-collapse:collapse;font-size:13px}")
                .append("th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}")
                .append("th{background:#eee}tr.best td{background:#ffe08a;font-weight:bold}")
                .append("tr.baseline td{background:#e8f0ff}td.l{text-align:left}")
                .append(".charts{display:flex;flex-wrap:wrap;gap:12px}")
                .append(".warn{background:#fff3cd;border:1px solid #e0b000;padding:6px 10px;max-width:60em}")
                .append("pre{white-space:pre-wrap;background:#f7f7f7;padding:6px;max-width:60em}.prompt{color:#888}")
                .append("\n</style>\n</head>\n<body>\n");

        h.append("<h1>Steering sweep</h1>\n<ul>\n")
                .append("<li>model: <b>").append(esc(r.model())).append("</b></li>\n")
                .append("<li>steering: ").append(esc(r.steering())).append("</li>\n")
                .append("<li>behaviour metric: <b>").append(esc(MetricNames.human(r.behaviour()))).append("</b> (")
                .append(esc(r.behaviour())).append("); &plusmn; is half the 95% bootstrap interval over the samples</li>\n")
                .append("<li>layers ").append(r.config().layers()).append(", strengths ").append(r.config().strengths())
                .append("; ").append(r.config().samples()).append(" samples per cell of at most ").append(r.config().maxTokens())
                .append(" tokens, temperature ").append(num(r.config().temperature())).append(", top-p ")
                .append(num(r.config().topP())).append(", seed ").append(r.config().seed()).append("</li>\n")
                .append("<li>KL: mean over every position of ").append(r.config().klPrompts().size())
                .append(" benign prompts of KL(p<sub>base</sub> &#8214; p<sub>steered</sub>), nats</li>\n")
                .append("<li>best cell: highest ").append(criteria.higherIsBetter() ? "" : "(here: lowest) ")
                .append("behaviour with mean KL &le; ").append(num(criteria.maxKl())).append(" and distinct-2 &ge; ")
                .append(num(criteria.minDistinct2Ratio())).append(" &times; the baseline's: <b>")
                .append(best.map(b -> "layer " + b.layer() + ", strength " + num(b.strength()) + ", " + r.behaviour() + " "
                        + num(b.behaviour()) + ci(b) + ", KL " + num(b.klMean())).orElse("none passes"))
                .append("</b></li>\n</ul>\n");
        best.flatMap(b -> edgeWarning(r, b)).ifPresent(w ->
                h.append("<p class=\"warn\" id=\"edge-warning\">&#9888; ").append(esc(w)).append(".</p>\n"));

        h.append("<h2>Charts</h2>\n<p>Each chart is also saved beside this page as .svg and .png.</p>\n<div class=\"charts\">\n");
        for (Map.Entry<String, JFreeChart> c : charts(r, best).entrySet()) {
            chart(h, c.getValue(), c.getKey());
        }
        h.append("</div>\n");

        table(h, r, best);

        h.append("<h2>Sample texts</h2>\n<h3>baseline (no steering)</h3>\n");
        samples(h, r.baseline(), r.config().prompts());
        if (best.isPresent()) {
            h.append("<h3>best cell: layer ").append(best.get().layer()).append(", strength ").append(num(best.get().strength()))
                    .append("</h3>\n");
            samples(h, best.get(), r.config().prompts());
        }

        h.append("<h2>Data</h2>\n<p>The full result as JSON (the same as the sweep's .json file).</p>\n")
                .append("<script type=\"application/json\" id=\"sweep-data\">\n")
                .append(SweepJson.toJson(r).replace("</", "<\\/"))
                .append("\n</script>\n</body>\n</html>\n");
        return h.toString();
    }

    private static void chart(StringBuilder h, JFreeChart chart, String id) {
        h.append("<figure id=\"fig-").append(id).append("\">\n")
                .append(ChartFiles.Picture.of(chart, SweepCharts.WIDTH, SweepCharts.HEIGHT).svgElement(id)).append("\n</figure>\n");
    }

    private static void table(StringBuilder h, SweepResult r, Optional<SweepCell> best) {
        TreeSet<String> details = new TreeSet<>(r.baseline().behaviourDetails().keySet());
        h.append("<h2>All cells</h2>\n<table id=\"cells\">\n<tr><th>layer</th><th>strength</th><th>")
                .append(esc(MetricNames.human(r.behaviour()))).append("</th><th>95% interval</th>");
        for (String d : details) {
            h.append("<th>").append(esc(MetricNames.human(d))).append("</th>");
        }
        h.append("<th>KL mean</th><th>KL max</th><th>perplexity</th><th>distinct-1</th><th>distinct-2</th><th>distinct-3</th>")
                .append("<th>repeated suffix</th><th>compression</th><th>mean tokens</th></tr>\n");
        row(h, r.baseline(), details, "baseline");
        for (SweepCell c : r.cells()) {
            row(h, c, details, best.isPresent() && best.get() == c ? "best" : null);
        }
        h.append("</table>\n");
    }

    private static void row(StringBuilder h, SweepCell c, TreeSet<String> details, String cls) {
        h.append(cls == null ? "<tr>" : "<tr class=\"" + cls + "\">");
        td(h, c.unsteered() ? "none" : Integer.toString(c.layer()));
        td(h, num(c.strength()));
        td(h, num(c.behaviour()));
        td(h, c.behaviourPerSample().size() > 1 ? interval(BootstrapInterval.of95(c.behaviourPerSample())) : "");
        for (String d : details) {
            Double v = c.behaviourDetails().get(d);
            td(h, v == null ? "" : num(v));
        }
        td(h, num(c.klMean()));
        td(h, num(c.klMax()));
        td(h, c.perplexity() == null ? "" : num(c.perplexity()));
        DegenerationScore g = c.degeneration();
        for (Double v : g == null ? java.util.Collections.<Double>nCopies(5, null)
                : List.of(g.distinct1(), g.distinct2(), g.distinct3(), g.repeatedSuffixFraction(), g.compressionRatio())) {
            td(h, v == null ? "" : num(v));
        }
        td(h, num(c.meanTokens()));
        h.append("</tr>\n");
    }

    /** Sample i continues prompt i mod #prompts; the prompt is shown in grey before it. */
    private static void samples(StringBuilder h, SweepCell c, List<String> prompts) {
        if (c.samples().isEmpty()) {
            h.append("<p>(no texts kept)</p>\n");
        }
        for (int i = 0; i < c.samples().size(); i++) {
            h.append("<pre>");
            if (!prompts.isEmpty()) {
                h.append("<span class=\"prompt\">").append(esc(prompts.get(i % prompts.size()))).append("</span> ");
            }
            h.append(esc(c.samples().get(i))).append("</pre>\n");
        }
    }

    /** " ± 0.31" after a behaviour value, when the cell kept its samples. */
    private static String ci(SweepCell c) {
        return c.behaviourPerSample().size() > 1 ? " ± " + num(BootstrapInterval.of95(c.behaviourPerSample()).halfWidth()) : "";
    }

    public static String interval(BootstrapInterval ci) {
        return "[" + num(ci.low()) + ", " + num(ci.high()) + "]";
    }

    private static void td(StringBuilder h, String v) {
        h.append("<td>").append(esc(v)).append("</td>");
    }

    /**
     * Four significant digits without trailing zeros: 0.0625, 2.5, 4, 1.071. Magnitudes below
     * 1e-7 print as 0: they are float32 rounding noise (e.g. the baseline's KL against itself,
     * 3e-13), not measurements.
     */
    public static String num(double v) {
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        if (Math.abs(v) < 1e-7) {
            return "0";
        }
        return new BigDecimal(v).round(new MathContext(4, RoundingMode.HALF_EVEN)).stripTrailingZeros().toPlainString();
    }

    public static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }
}
