package io.jsteer.steering.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.steering.eval.Degeneration.DegenerationScore;
import io.jsteer.steering.sweep.BestCellCriteria;
import io.jsteer.steering.sweep.SweepCell;
import io.jsteer.steering.sweep.SweepConfig;
import io.jsteer.steering.sweep.SweepResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepReportTest {

    /** A hand-made result: layers 1 and 3, strengths 2 and 4, sentiment rising, KL growing. */
    static SweepResult result() {
        SweepConfig cfg = SweepConfig.builder().layers(List.of(1, 3)).strengths(List.of(0.0, 2.0, 4.0))
                .prompts(List.of("Once upon a time,")).samples(4).klPrompts(List.of("The cat sat.")).progress(false)
                .perplexityTexts(List.of("Tom ran.")).build();
        SweepCell base = new SweepCell(-1, 0, 2.5, Map.of("afinn_per_word", 0.05), 0, 0, 5.25,
                new DegenerationScore(0.8, 0.95, 0.98, 0.0, 0.7), 64, List.of("Tim & <Sue> went \"home\"."));
        List<SweepCell> cells = new ArrayList<>();
        cells.add(new SweepCell(1, 2, 3.125, Map.of("afinn_per_word", 0.0625), 0.0625, 0.5, 5.5,
                new DegenerationScore(0.8, 0.94, 0.97, 0.0, 0.71), 63.5, List.of("happy text")));
        cells.add(new SweepCell(1, 4, 4.375, Map.of("afinn_per_word", 0.0875), 0.8125, 2.0, 7.75,
                new DegenerationScore(0.7, 0.9, 0.93, 0.1, 0.65), 62, List.of("very happy text")));
        cells.add(new SweepCell(3, 2, 3.875, Map.of("afinn_per_word", 0.07), 0.1875, 0.9, 6.0,
                new DegenerationScore(0.75, 0.93, 0.95, 0.0, 0.7), 64, List.of()));
        cells.add(new SweepCell(3, 4, 6.625, Map.of("afinn_per_word", 0.1), 2.5, 6.0, 30.0,
                new DegenerationScore(0.4, 0.5, 0.6, 0.5, 0.3), 64, List.of("happy happy happy")));
        return new SweepResult("stories260K.bin", "resid_post add v", "afinn_sentiment", cfg, base, cells);
    }

    @Test
    void jsonRoundTrip(@TempDir Path dir) throws Exception {
        SweepResult r = result();
        Path f = dir.resolve("out/sweep.json");
        SweepJson.write(r, f);
        assertEquals(r, SweepJson.read(f));
        assertEquals(r, SweepJson.fromJson(SweepJson.toJson(r)));
        // no temp file is left beside it
        try (var files = Files.list(f.getParent())) {
            assertEquals(List.of(f), files.toList());
        }
        String json = Files.readString(f);
        assertTrue(json.contains("\"klMean\" : 0.8125"), json);
        assertTrue(json.contains("\"perplexity\" : 30.0"), json);
    }

    @Test
    void jsonWithoutPerplexityOrTextsRoundTrips() {
        SweepResult r = result();
        SweepCell c = new SweepCell(1, 2, 0.75, Map.of(), 0.25, 0.5, null, null, 0, List.of());
        SweepResult noText = new SweepResult(r.model(), r.steering(), "ab_matching_probability", r.config(), c, List.of(c));
        assertEquals(noText, SweepJson.fromJson(SweepJson.toJson(noText)));
        assertThrows(IllegalArgumentException.class, () -> SweepJson.fromJson("{\"model\": [1]}"));
    }

    @Test
    void htmlHoldsChartsTableAndDataAndNothingExternal(@TempDir Path dir) throws Exception {
        SweepResult r = result();
        Path f = dir.resolve("report.html");
        SweepHtmlReport.write(r, BestCellCriteria.defaults(), f);
        String html = Files.readString(f);

        // six charts, each an inline SVG with its figure id
        assertEquals(6, count(html, "<svg"));
        for (String id : List.of("behaviour-vs-strength", "kl-vs-behaviour", "kl-vs-strength", "distinct2-vs-strength",
                "compression-vs-strength", "perplexity-vs-strength")) {
            assertTrue(html.contains("id=\"fig-" + id + "\""), id);
        }
        assertTrue(html.contains("layer 1") && html.contains("layer 3"), "legend names the layers");
        // each chart is well-formed SVG with drawn content
        Matcher svg = Pattern.compile("<svg.*?</svg>", Pattern.DOTALL).matcher(html);
        var factory = javax.xml.parsers.DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        while (svg.find()) {
            var doc = factory.newDocumentBuilder().parse(new org.xml.sax.InputSource(new java.io.StringReader(svg.group())));
            assertEquals("svg", doc.getDocumentElement().getLocalName());
            assertTrue(doc.getElementsByTagNameNS("*", "path").getLength() > 10, "chart has drawn paths");
        }

        // the table: every cell's behaviour and KL as printed numbers
        for (String v : List.of("3.125", "4.375", "3.875", "6.625", "0.0625", "0.8125", "0.1875", "2.5")) {
            assertTrue(html.contains("<td>" + v + "</td>"), v);
        }
        // best: highest sentiment with KL <= 1 and distinct-2 >= 0.8 × 0.95 → layer 1, strength 4
        // (layer 3 strength 4 has more sentiment but KL 2.5 and distinct-2 0.5)
        Matcher best = Pattern.compile("<tr class=\"best\">(.*?)</tr>").matcher(html);
        assertTrue(best.find());
        assertTrue(best.group(1).startsWith("<td>1</td><td>4</td><td>4.375</td>"), best.group(1));
        assertFalse(best.find(), "one best row");

        // texts are escaped, the JSON data block parses back to the result
        assertTrue(html.contains("<span class=\"prompt\">Once upon a time,</span> Tim &amp; &lt;Sue&gt; went &quot;home&quot;."));
        Matcher data = Pattern.compile("<script type=\"application/json\" id=\"sweep-data\">\\n(.*?)\\n</script>", Pattern.DOTALL)
                .matcher(html);
        assertTrue(data.find());
        assertEquals(r, SweepJson.fromJson(data.group(1).replace("<\\/", "</")));

        // offline: nothing is loaded from anywhere; the only URLs are XML namespace names
        assertFalse(Pattern.compile("(?i)(src|href)\\s*=\\s*[\"']?\\s*(https?:|//)").matcher(html).find());
        assertFalse(Pattern.compile("(?i)url\\(\\s*[\"']?\\s*(https?:|//)").matcher(html).find());
        assertFalse(html.contains("@import"));
        assertFalse(html.contains("<script src") || html.contains("<link"));
        Matcher urls = Pattern.compile("https?://[^\"'\\s)<>]*").matcher(html);
        while (urls.find()) {
            String before = html.substring(Math.max(0, urls.start() - 40), urls.start());
            assertTrue(before.matches("(?s).*xmlns(:\\w+)?=[\"']$"), "URL outside a namespace declaration: " + before + urls.group());
        }
    }

    @Test
    void noPassingCellIsSaidSo() {
        String html = SweepHtmlReport.render(result(), new BestCellCriteria(0.01, 0.8, true));
        assertTrue(html.contains("none passes"));
        assertFalse(html.contains("class=\"best\""));
    }

    static int count(String s, String sub) {
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) {
            n++;
        }
        return n;
    }
}
