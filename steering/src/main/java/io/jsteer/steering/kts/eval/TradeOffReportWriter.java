package io.jsteer.steering.kts.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsteer.weights.AtomicFileWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import io.jsteer.steering.report.ChartFiles;
import io.jsteer.steering.report.TradeOffChart;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.JFreeChart;

/**
 * The trade-off as {@code NAME.json} and a self-contained {@code NAME.html} with inline SVG plots
 * and the same JSON in a {@code <script type="application/json">} block: each file is whole on
 * its own (written atomically), and the .html is the complete report.
 */
public final class TradeOffReportWriter {

    private TradeOffReportWriter() {}

    public static void write(KtsEvaluation.Report report, Path json, Path html) throws IOException {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        byte[] jsonBytes = m.writeValueAsBytes(report);
        AtomicFileWriter.write(json, out -> out.bytes(jsonBytes));
        // the .html carries the JSON too, so it alone is the whole report whatever a kill between the two writes leaves
        String page = html(report);
        String data = "<script type=\"application/json\" id=\"report-data\">\n"
                + new String(jsonBytes, StandardCharsets.UTF_8).replace("</", "<\\/") + "\n</script>\n";
        int end = page.lastIndexOf("</body>");
        byte[] htmlBytes = (page.substring(0, end) + data + page.substring(end)).getBytes(StandardCharsets.UTF_8);
        AtomicFileWriter.write(html, out -> out.bytes(htmlBytes));
    }

    static String html(KtsEvaluation.Report r) {
        StringBuilder s = new StringBuilder();
        s.append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>KTS trade-off: ").append(esc(r.modelName()))
                .append("</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
                        + "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}</style></head><body>");
        s.append("<h1>KL-then-steer trade-off</h1><p>model ").append(esc(r.modelName()))
                .append(String.format(Locale.ROOT, "; c_max %.4f (%s vectors) at resid_post of blocks %s; %d benign eval sequences, "
                                + "%d targeted prompts; original perplexity %.3f; unsteered parity KL(p_orig ‖ p_KTS) %.5f nat/token; "
                                + "mean vector norm original %.3f, KTS %.3f</p>",
                        r.cMax(), r.normalisedVectors() ? "unit-norm" : "raw", r.steerBlocks(), r.benignSequences(), r.targetedPrompts(), r.originalPerplexity(),
                        r.unsteeredParityKl(), r.originalVectorNorm(), r.ktsVectorNorm()));
        s.append("<h2>Target effect against benign KL</h2>").append(svg(r, true));
        s.append("<h2>Happy share against benign KL</h2>").append(svg(r, false));
        s.append("<h2>Matched target effect</h2><p>For each KTS point, the original model's benign KL at the same Δ log-odds "
                + "(linear interpolation along its curve on the same side of c = 0; empty where the original never reaches "
                + "that effect). Ratio below 1: KTS pays less benign KL for the same effect.</p>"
                + "<table><tr><th>KTS c/c_max</th><th>Δ log-odds</th><th>KTS benign KL</th><th>original KL at that effect</th>"
                + "<th>ratio</th></tr>");
        for (MatchedEffect e : r.matchedEffect()) {
            s.append(String.format(Locale.ROOT, "<tr><td>%.2f</td><td>%.3f</td><td>%.4f</td><td>%s</td><td>%s</td></tr>",
                    e.factor(), e.logOddsChange(), e.benignKl(), Double.isNaN(e.referenceKl()) ? "" : String.format(Locale.ROOT,
                            "%.4f", e.referenceKl()), Double.isNaN(e.ratio()) ? "" : String.format(Locale.ROOT, "%.3f", e.ratio())));
        }
        s.append("</table>");
        s.append("<h2>Figures</h2><table><tr><th>model</th><th>c/c_max</th><th>c</th><th>benign KL</th><th>perplexity</th>"
                + "<th>log-odds</th><th>Δ log-odds</th><th>happy share</th></tr>");
        for (TradeOffPoint p : r.points()) {
            s.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.2f</td><td>%.3f</td><td>%.4f</td><td>%.3f</td>"
                            + "<td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>", p.model(), p.factor(), p.multiplier(),
                    p.benignKl(), p.perplexity(), p.logOdds(), p.logOddsChange(), p.happyShare()));
        }
        return s.append("</table></body></html>\n").toString();
    }

    private static String svg(KtsEvaluation.Report r, boolean logOdds) {
        return picture(r, logOdds).svgElement(logOdds ? "effect" : "happy");
    }

    /** The chart (report.TradeOffChart): positive and negative c as separate curves, points labelled by c / c_max. */
    static ChartFiles.Picture picture(KtsEvaluation.Report r, boolean logOdds) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("original", "original + steer");
        labels.put("kts", "KTS + steer");
        labels.put("original-random", "original + same-norm random vector");
        labels.put("kts-random", "KTS + same-norm random vector");
        List<TradeOffChart.Point> points = r.points().stream()
                .map(p -> new TradeOffChart.Point(p.model(), p.factor(), p.benignKl(), logOdds ? p.logOddsChange() : p.happyShare()))
                .toList();
        JFreeChart chart = TradeOffChart.chart((logOdds ? "Target effect" : "Happy share") + " against benign KL (labels: c / c_max)",
                logOdds ? "Δ log-odds happy vs sad" : "share of samples with a happy word", points, labels,
                List.of("original-random", "kts-random"));
        return ChartFiles.Picture.of(chart, TradeOffChart.WIDTH, TradeOffChart.HEIGHT);
    }

    /** Both charts as {@code STEM-effect.svg/.png} and {@code STEM-happy.svg/.png}; returns the files. */
    public static List<Path> writeCharts(KtsEvaluation.Report r, Path stem) throws IOException {
        List<Path> out = new java.util.ArrayList<>(picture(r, true).write(stem.resolveSibling(stem.getFileName() + "-effect")));
        out.addAll(picture(r, false).write(stem.resolveSibling(stem.getFileName() + "-happy")));
        return out;
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
