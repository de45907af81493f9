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
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A sweep as one self-contained HTML file: inline SVG charts (behaviour, KL and degeneration
 * against strength per layer; KL against behaviour), a table of every cell with the best one
 * highlighted, sample texts of the baseline and the best cell, and the full result as JSON in a
 * {@code <script type="application/json">} block. Inline CSS, no scripts to run, no external
 * references: it opens offline.
 */
public final class SweepHtmlReport {

    private SweepHtmlReport() {}

    public static void write(SweepResult result, BestCellCriteria criteria, Path file) throws IOException {
        byte[] bytes = render(result, criteria).getBytes(StandardCharsets.UTF_8);
        AtomicFileWriter.write(file, out -> out.bytes(bytes));
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
                .append("pre{white-space:pre-wrap;background:#f7f7f7;padding:6px;max-width:60em}.prompt{color:#888}")
                .append("\n</style>\n</head>\n<body>\n");

        h.append("<h1>Steering sweep</h1>\n<ul>\n")
                .append("<li>model: <b>").append(esc(r.model())).append("</b></li>\n")
                .append("<li>steering: ").append(esc(r.steering())).append("</li>\n")
                .append("<li>behaviour metric: <b>").append(esc(r.behaviour())).append("</b></li>\n")
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
                        + num(b.behaviour()) + ", KL " + num(b.klMean())).orElse("none passes"))
                .append("</b></li>\n</ul>\n");

        h.append("<h2>Charts</h2>\n<div class=\"charts\">\n");
        chart(h, SweepCharts.againstStrength(r, r.behaviour() + " against strength", r.behaviour(), SweepCell::behaviour), "behaviour-vs-strength");
        chart(h, SweepCharts.klAgainstBehaviour(r, best), "kl-vs-behaviour");
        chart(h, SweepCharts.againstStrength(r, "KL on benign prompts against strength", "mean KL (nats)", SweepCell::klMean), "kl-vs-strength");
        if (r.baseline().degeneration() != null) {
            chart(h, SweepCharts.againstStrength(r, "distinct-2 against strength (lower = more repetition)", "distinct-2",
                    c -> c.degeneration().distinct2()), "distinct2-vs-strength");
            chart(h, SweepCharts.againstStrength(r, "compression ratio against strength (lower = more repetition)",
                    "deflated / raw bytes", c -> c.degeneration().compressionRatio()), "compression-vs-strength");
        }
        if (r.baseline().perplexity() != null) {
            chart(h, SweepCharts.againstStrength(r, "perplexity on held-out text against strength", "perplexity",
                    SweepCell::perplexity), "perplexity-vs-strength");
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

    private static void chart(StringBuilder h, org.jfree.chart.JFreeChart chart, String id) {
        h.append("<figure id=\"fig-").append(id).append("\">\n").append(SweepCharts.svg(chart, id)).append("\n</figure>\n");
    }

    private static void table(StringBuilder h, SweepResult r, Optional<SweepCell> best) {
        TreeSet<String> details = new TreeSet<>(r.baseline().behaviourDetails().keySet());
        h.append("<h2>All cells</h2>\n<table id=\"cells\">\n<tr><th>layer</th><th>strength</th><th>")
                .append(esc(r.behaviour())).append("</th>");
        for (String d : details) {
            h.append("<th>").append(esc(d)).append("</th>");
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

    private static void td(StringBuilder h, String v) {
        h.append("<td>").append(esc(v)).append("</td>");
    }

    /** Four significant digits without trailing zeros: 0.0625, 2.5, 4, 1.071. */
    static String num(double v) {
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        return new BigDecimal(v).round(new MathContext(4, RoundingMode.HALF_EVEN)).stripTrailingZeros().toPlainString();
    }

    static String esc(String s) {
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
