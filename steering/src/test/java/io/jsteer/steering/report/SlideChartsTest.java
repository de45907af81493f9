package io.jsteer.steering.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.steering.eval.Degeneration.DegenerationScore;
import io.jsteer.steering.sweep.BestCellCriteria;
import io.jsteer.steering.sweep.SweepCell;
import io.jsteer.steering.sweep.SweepConfig;
import io.jsteer.steering.sweep.SweepResult;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;
import org.jfree.data.xy.XYDataset;
import org.jfree.data.xy.YIntervalSeriesCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/** The slide-ready pictures: bootstrap intervals, edge warning, SVG + PNG files, gate heatmap, trade-off curves. */
class SlideChartsTest {

    // ---- bootstrap ----

    @Test
    void bootstrapOfConstantDataIsAPoint() {
        BootstrapInterval ci = BootstrapInterval.of(new double[] {2.5, 2.5, 2.5}, 0.95, 500, 1);
        assertEquals(2.5, ci.mean());
        assertEquals(2.5, ci.low());
        assertEquals(2.5, ci.high());
    }

    /**
     * For {1, 2, 4, 8} every one of the 4^4 = 256 resamples is equally likely, so the bootstrap
     * distribution of the mean is known exactly: its 2.5% and 97.5% quantiles, found by
     * enumeration, must match the Monte-Carlo interval within the spacing of the distinct means.
     */
    @Test
    void bootstrapMatchesTheExactResamplingDistribution() {
        double[] x = {1, 2, 4, 8};
        double[] means = new double[256];
        int k = 0;
        for (int a = 0; a < 4; a++) {
            for (int b = 0; b < 4; b++) {
                for (int c = 0; c < 4; c++) {
                    for (int d = 0; d < 4; d++) {
                        means[k++] = (x[a] + x[b] + x[c] + x[d]) / 4;
                    }
                }
            }
        }
        Arrays.sort(means);
        double exactLow = BootstrapInterval.quantile(means, 0.025), exactHigh = BootstrapInterval.quantile(means, 0.975);
        BootstrapInterval ci = BootstrapInterval.of(x, 0.95, 40_000, 7);
        assertEquals(3.75, ci.mean(), 0);
        assertEquals(exactLow, ci.low(), 0.26, "2.5% quantile (means step by 0.25)");
        assertEquals(exactHigh, ci.high(), 0.26, "97.5% quantile");
        assertTrue(exactLow < 2 && exactHigh > 5.5, exactLow + " " + exactHigh);
    }

    /** For 400 normal draws with sd 2 the 95% interval of the mean is ±1.96·2/√400 = ±0.196 (within 10%). */
    @Test
    void bootstrapWidthFollowsTheStandardError() {
        SplittableRandom r = new SplittableRandom(3);
        double[] x = new double[400];
        for (int i = 0; i < x.length; i++) {
            x[i] = 5 + 2 * gaussian(r);
        }
        double mean = Arrays.stream(x).average().orElseThrow();
        double sd = Math.sqrt(Arrays.stream(x).map(v -> (v - mean) * (v - mean)).sum() / (x.length - 1));
        BootstrapInterval ci = BootstrapInterval.of(x, 0.95, 4000, 11);
        assertEquals(1.96 * sd / 20, ci.halfWidth(), 0.1 * 1.96 * sd / 20);
        assertEquals(mean, (ci.low() + ci.high()) / 2, 0.03, "about symmetric around the mean");
        // the same seed draws the same interval; another seed a slightly different one
        assertEquals(ci, BootstrapInterval.of(x, 0.95, 4000, 11));
        assertNotEquals(ci.low(), BootstrapInterval.of(x, 0.95, 4000, 12).low());
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    // ---- sweep report ----

    /** Layers 1, 2, 3 × strengths 2, 4, 6; sentiment per sample known, so each cell's interval can be checked. */
    static SweepResult grid(int bestLayer, double bestStrength) {
        SweepConfig cfg = SweepConfig.builder().layers(List.of(1, 2, 3)).strengths(List.of(0.0, 2.0, 4.0, 6.0))
                .prompts(List.of("Once upon a time,")).samples(6).klPrompts(List.of("The cat sat.")).progress(false).build();
        DegenerationScore fine = new DegenerationScore(0.8, 0.95, 0.98, 0, 0.7);
        SweepCell base = new SweepCell(-1, 0, 2, Map.of(), 3.186e-13, 0, null, fine, 64, List.of(),
                List.of(0.0, 1.0, 2.0, 2.0, 3.0, 4.0));
        List<SweepCell> cells = new ArrayList<>();
        for (int layer : List.of(1, 2, 3)) {
            for (double s : List.of(2.0, 4.0, 6.0)) {
                boolean best = layer == bestLayer && s == bestStrength;
                double shift = best ? 5 : layer * 0.1 + s * 0.2;
                List<Double> per = List.of(shift, shift + 1, shift + 2, shift + 2, shift + 3, shift + 4);
                cells.add(new SweepCell(layer, s, shift + 2, Map.of(), 0.01 * s, 0.05 * s, null, fine, 64, List.of(), per));
            }
        }
        return new SweepResult("stories260K.bin", "v", "afinn_sentiment", cfg, base, cells);
    }

    @Test
    void perSampleScoresRoundTripThroughJsonAndOldFilesReadWithout() {
        SweepResult r = grid(2, 4);
        SweepResult back = SweepJson.fromJson(SweepJson.toJson(r));
        assertEquals(r, back);
        assertEquals(List.of(0.0, 1.0, 2.0, 2.0, 3.0, 4.0), back.baseline().behaviourPerSample());
        // a file written before the scores were kept has no such field: the cells read with none (no bars)
        String old = SweepJson.toJson(r).replaceAll(",\\s*\"behaviourPerSample\" : \\[[^\\]]*\\]", "");
        assertFalse(old.contains("behaviourPerSample"));
        assertEquals(List.of(), SweepJson.fromJson(old).baseline().behaviourPerSample());
    }

    @Test
    void edgeWarningWhenTheBestCellIsOnTheGridsEdge() {
        BestCellCriteria c = BestCellCriteria.defaults();
        SweepResult inside = grid(2, 4);
        assertEquals(2, inside.best(c).orElseThrow().layer());
        assertTrue(SweepHtmlReport.edgeWarning(inside, inside.best(c).orElseThrow()).isEmpty());
        assertFalse(SweepHtmlReport.render(inside, c).contains("edge-warning"));

        SweepResult strongest = grid(2, 6);
        String w = SweepHtmlReport.edgeWarning(strongest, strongest.best(c).orElseThrow()).orElseThrow();
        assertTrue(w.contains("strength 6 is the largest swept"), w);
        assertFalse(w.contains("layer"), w);
        SweepResult firstLayer = grid(1, 4);
        w = SweepHtmlReport.edgeWarning(firstLayer, firstLayer.best(c).orElseThrow()).orElseThrow();
        assertTrue(w.contains("layer 1 is the first swept"), w);
        assertTrue(SweepHtmlReport.render(firstLayer, c).contains("id=\"edge-warning\""));
    }

    @Test
    void behaviourChartHasBootstrapBarsHumanAxesAndFitsTheData() {
        SweepResult r = grid(2, 4);
        JFreeChart chart = SweepCharts.behaviourAgainstStrength(r);
        XYPlot plot = (XYPlot) chart.getPlot();
        YIntervalSeriesCollection data = (YIntervalSeriesCollection) plot.getDataset();
        // series 0 = layer 1; item 0 = the baseline at strength 0 (shifted left by one step of 1.2% of 0..6)
        BootstrapInterval base = BootstrapInterval.of95(r.baseline().behaviourPerSample());
        assertEquals(-0.072, data.getXValue(0, 0), 1e-12);
        assertEquals(2, data.getYValue(0, 0), 0);
        assertEquals(base.low(), data.getStartYValue(0, 0), 0);
        assertEquals(base.high(), data.getEndYValue(0, 0), 0);
        assertTrue(base.low() > 0.9 && base.low() < 1.5 && base.high() > 2.5 && base.high() < 3.1, base.toString());
        assertEquals("sentiment (AFINN valence sum per text)", plot.getRangeAxis().getLabel());
        assertEquals("steering strength", plot.getDomainAxis().getLabel());
        SVGCheck.draw(chart); // lays the axes out
        assertTrue(plot.getRangeAxis().getLowerBound() > 0, "zero is not forced in: " + plot.getRangeAxis().getRange());
        // the table carries the interval as rounded numbers
        String html = SweepHtmlReport.render(r, BestCellCriteria.defaults());
        assertTrue(html.contains("<td>" + SweepHtmlReport.interval(base) + "</td>"), SweepHtmlReport.interval(base));
        // the baseline's KL of 3.186e-13 (float noise) prints as 0, never as 0.0000000000003186
        assertFalse(html.contains("3186"));
        assertEquals("0", SweepHtmlReport.num(3.186e-13));
        assertEquals("0.0002", SweepHtmlReport.num(0.0002));
    }

    @Test
    void errorBarsAndPointLabelsAreDrawn() throws Exception {
        SweepResult with = grid(2, 4);
        List<SweepCell> bare = with.cells().stream().map(c -> new SweepCell(c.layer(), c.strength(), c.behaviour(), Map.of(),
                c.klMean(), c.klMax(), null, c.degeneration(), 64, List.of())).toList();
        SweepCell b = with.baseline();
        SweepResult without = new SweepResult(with.model(), with.steering(), with.behaviour(), with.config(),
                new SweepCell(-1, 0, b.behaviour(), Map.of(), b.klMean(), 0, null, b.degeneration(), 64, List.of()), bare);
        String svgWith = SVGCheck.svg(SweepCharts.behaviourAgainstStrength(with));
        String svgWithout = SVGCheck.svg(SweepCharts.behaviourAgainstStrength(without));
        // 3 layers × 4 points (baseline included), each bar a vertical line and two caps
        int extra = SVGCheck.count(svgWith, "<line") - SVGCheck.count(svgWithout, "<line");
        assertTrue(extra >= 3 * 4 * 3, "error-bar lines drawn: " + extra);
        // every point's value is printed beside it: layer 2 at strength 4 has 7
        assertTrue(svgWith.contains(">7</text>"), "point label");
        assertTrue(svgWith.contains("bootstrap"), "title says what the bars are");
        String scatter = SVGCheck.svg(SweepCharts.klAgainstBehaviour(with, with.best(BestCellCriteria.defaults())));
        assertTrue(scatter.contains(">L2 s4</text>") && scatter.contains(">baseline</text>"), "scatter points named");
    }

    @Test
    void sweepChartsAreWrittenAsSvgAndPngBesideTheHtml(@TempDir Path dir) throws Exception {
        SweepResult r = grid(2, 4);
        List<Path> files = SweepHtmlReport.write(r, BestCellCriteria.defaults(), dir.resolve("sweep.html"));
        // degeneration kept, no perplexity: behaviour, KL vs behaviour, KL, distinct-2, compression
        List<String> names = files.stream().map(p -> p.getFileName().toString()).toList();
        assertEquals(List.of("sweep-behaviour-vs-strength.svg", "sweep-behaviour-vs-strength.png", "sweep-kl-vs-behaviour.svg",
                "sweep-kl-vs-behaviour.png", "sweep-kl-vs-strength.svg", "sweep-kl-vs-strength.png", "sweep-distinct2-vs-strength.svg",
                "sweep-distinct2-vs-strength.png", "sweep-compression-vs-strength.svg", "sweep-compression-vs-strength.png"), names);
        for (Path f : files) {
            assertEquals(dir, f.getParent());
            if (f.toString().endsWith(".png")) {
                BufferedImage img = ImageIO.read(f.toFile());
                assertEquals(2 * SweepCharts.WIDTH, img.getWidth());
                assertEquals(2 * SweepCharts.HEIGHT, img.getHeight());
                assertTrue(SVGCheck.distinctColours(img) > 20, "PNG has drawn content");
            } else {
                Document doc = SVGCheck.parse(Files.readString(f));
                assertEquals(SweepCharts.WIDTH, Double.parseDouble(doc.getDocumentElement().getAttribute("width")));
                assertEquals(SweepCharts.HEIGHT, Double.parseDouble(doc.getDocumentElement().getAttribute("height")));
                assertTrue(doc.getElementsByTagNameNS("*", "text").getLength() > 10, f + " has text");
            }
        }
        String png = files.get(1).toString();
        assertTrue(Files.size(Path.of(png)) < 300_000, "small enough for a doc: " + Files.size(Path.of(png)));
    }

    // ---- gate heatmap ----

    @Test
    void gateHeatmapShowsValuesBoundariesColourBarAndWraps(@TempDir Path dir) throws Exception {
        List<String> pieces = List.of("Q", ":", " Who", " planted", " the", " bomb", "?");
        double[][] gates = {{0.01, 0.9}, {0.02, 0.8}, {0.1, 0.2}, {0.734, 0.3}, {0.5, 0.5}, {1.0, 0.0}, {0.0, 0.05}};
        GateHeatmap map = new GateHeatmap(List.of("toxigen", "truthful"), 0.5);
        List<Path> files = map.write(dir.resolve("gates.html"), "<p>intro</p>",
                List.of(new GateHeatmap.Text("Q: Who planted the bomb?", pieces, gates)), List.of("summary"));
        String svg = Files.readString(files.get(0));
        assertEquals(dir.resolve("gates.svg"), files.get(0));
        // every gate printed (two digits), every token drawn with its leading space visible
        for (double[] row : gates) {
            for (double g : row) {
                assertTrue(svg.contains(String.format(java.util.Locale.ROOT, ">%.2f</text>", g)), "value " + g);
            }
        }
        assertTrue(svg.contains(">\u00b7planted</text>"), "a word-initial piece shows its space");
        assertTrue(svg.contains(">threshold 0.50"), "colour bar names the threshold");
        assertTrue(svg.contains("linearGradient"), "colour bar gradient");
        assertTrue(svg.contains("rgb(220,30,30)"), "gate 1 is full red");
        assertEquals(GateHeatmap.HOT, GateHeatmap.fill(1.0));
        assertEquals(new java.awt.Color(255, 255, 255), GateHeatmap.fill(0));
        assertEquals(new java.awt.Color(238, 143, 143), GateHeatmap.fill(0.5));
        assertTrue(Files.readString(dir.resolve("gates.html")).contains("<p>intro</p>"));
        assertEquals(2 * GateHeatmap.WIDTH, ImageIO.read(dir.resolve("gates.png").toFile()).getWidth());

        // a long text wraps: boxes stay inside the width and go down in rows
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            many.add(" word" + i);
        }
        List<GateHeatmap.Box> boxes = GateHeatmap.layout(many, 0);
        double rows = boxes.stream().mapToDouble(GateHeatmap.Box::y).distinct().count();
        assertTrue(rows >= 8, "rows " + rows);
        for (GateHeatmap.Box b : boxes) {
            assertTrue(b.x() + b.w() <= GateHeatmap.WIDTH - GateHeatmap.MARGIN + 1e-9, "box inside: " + b);
        }
        int shortHeight = map.picture(List.of(new GateHeatmap.Text("t", pieces, gates))).height();
        double[][] manyGates = new double[many.size()][2];
        int longHeight = map.picture(List.of(new GateHeatmap.Text("t", many, manyGates))).height();
        assertTrue(longHeight > shortHeight + 2 * 7 * GateHeatmap.BOX_H, shortHeight + " vs " + longHeight);
    }

    // ---- trade-off ----

    @Test
    void tradeOffDrawsEachSignAsItsOwnCurveLabelledByC() throws Exception {
        List<TradeOffChart.Point> pts = new ArrayList<>();
        for (String m : List.of("original", "kts", "original-random")) {
            for (double f : List.of(-1.0, -0.5, 0.0, 0.5, 1.0)) {
                // KL grows with |c| on both sides, the effect changes sign with c: a single curve would fold through 0
                pts.add(new TradeOffChart.Point(m, f, (m.equals("kts") ? 0.5 : 1) * f * f, 2 * f));
            }
        }
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("original", "original + steer");
        labels.put("kts", "KTS + steer");
        labels.put("original-random", "original + random");
        JFreeChart chart = TradeOffChart.chart("t", "Δ log-odds", pts, labels, List.of("original-random"));
        XYDataset d = ((XYPlot) chart.getPlot()).getDataset();
        assertEquals(6, d.getSeriesCount());
        assertEquals("original + steer, c > 0", d.getSeriesKey(0));
        assertEquals("original + steer, c < 0", d.getSeriesKey(1));
        for (int s = 0; s < 6; s++) {
            assertEquals(3, d.getItemCount(s), "c = 0 and two strengths of one sign");
            assertEquals(0, d.getYValue(s, 0), 0, "each curve starts at c = 0");
            double sign = s % 2 == 0 ? 1 : -1;
            for (int i = 1; i < 3; i++) {
                assertEquals(sign, Math.signum(d.getYValue(s, i)), "series " + s + " keeps one sign");
            }
        }
        // KTS's positive curve: KL 0.125 at c = 0.5
        assertEquals(0.125, d.getXValue(2, 1), 0);
        String svg = SVGCheck.svg(chart);
        for (String l : List.of(">c=+0.5</text>", ">c=+1</text>", ">c=-0.5</text>", ">c=-1</text>", ">c=0</text>")) {
            assertTrue(svg.contains(l), l);
        }
        // labels on the two main models only, c = 0 once each: 2 × (4 + 1)
        assertEquals(10, SVGCheck.count(svg, ">c="));
    }

    /** Small helpers: draw to SVG, parse it, count. */
    static final class SVGCheck {
        static String svg(JFreeChart chart) {
            return ChartFiles.Picture.of(chart, SweepCharts.WIDTH, SweepCharts.HEIGHT).svgDocument();
        }

        static void draw(JFreeChart chart) {
            svg(chart);
        }

        static Document parse(String svg) throws Exception {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false); // offline
            return f.newDocumentBuilder().parse(new org.xml.sax.InputSource(new java.io.StringReader(svg)));
        }

        static int count(String s, String sub) {
            return SweepReportTest.count(s, sub);
        }

        static int distinctColours(BufferedImage img) {
            java.util.Set<Integer> c = new java.util.HashSet<>();
            for (int y = 0; y < img.getHeight(); y += 3) {
                for (int x = 0; x < img.getWidth(); x += 3) {
                    c.add(img.getRGB(x, y));
                }
            }
            return c.size();
        }
    }
}
