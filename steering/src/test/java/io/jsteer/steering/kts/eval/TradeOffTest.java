package io.jsteer.steering.kts.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Matched-effect interpolation by hand, and the same-norm random control. */
class TradeOffTest {

    private static TradeOffPoint p(String model, double factor, double kl, double effect) {
        return new TradeOffPoint(model, factor, factor * 2, kl, 1, effect, effect, 0);
    }

    @Test
    void matchedEffectInterpolatesTheReferenceCurveOnTheSameSide() {
        List<TradeOffPoint> points = List.of(
                p("original", -1, 0.8, -1.0), p("original", 0, 0, 0), p("original", 0.5, 0.2, 2.0),
                p("original", 1, 0.8, 4.0), p("original", 1.5, 1.7, 3.5),
                p("kts", -1, 0.5, -0.5), p("kts", 0, 0.03, -0.1), p("kts", 0.5, 0.15, 1.0), p("kts", 1, 0.6, 3.0),
                p("kts", 1.5, 1.3, 5.0));
        List<MatchedEffect> m = MatchedEffect.compute(points, "kts", "original");
        assertEquals(4, m.size(), "c = 0 is not a steered point");
        // -0.5 on the negative side: halfway from (0, 0) to (-1.0, 0.8) -> 0.4
        assertEquals(-1, m.get(0).factor());
        assertEquals(0.4, m.get(0).referenceKl(), 1e-12);
        assertEquals(0.5 / 0.4, m.get(0).ratio(), 1e-12);
        // 1.0: halfway from (0, 0) to (2.0, 0.2) -> 0.1
        assertEquals(0.1, m.get(1).referenceKl(), 1e-12);
        // 3.0: halfway along (2.0, 0.2) -> (4.0, 0.8) -> 0.5; the later turn-back segment (4.0 -> 3.5) is not used
        assertEquals(0.5, m.get(2).referenceKl(), 1e-12);
        assertEquals(1.2, m.get(2).ratio(), 1e-12);
        // 5.0 is beyond everything the original reaches
        assertTrue(Double.isNaN(m.get(3).referenceKl()));
    }

    @Test
    void theRandomControlHasTheVectorsNormInEveryBlockButAnotherDirection() {
        float[][] v = {null, {3, 4, 0, 0}, {0, 0, 1, 0}};
        float[][] r = KtsEvaluation.sameNormRandom(v, 5);
        assertNull(r[0]);
        for (int l = 1; l < 3; l++) {
            double vn = 0, rn = 0, dot = 0;
            for (int i = 0; i < 4; i++) {
                vn += v[l][i] * v[l][i];
                rn += r[l][i] * r[l][i];
                dot += v[l][i] * r[l][i];
            }
            assertEquals(Math.sqrt(vn), Math.sqrt(rn), 1e-5);
            assertTrue(Math.abs(dot / vn) < 0.999, "not the same direction");
        }
        float[][] again = KtsEvaluation.sameNormRandom(v, 5);
        assertEquals(r[1][2], again[1][2], "seeded");
    }

    @Test
    void theHtmlReportCarriesItsJsonSoItIsWholeOnItsOwn(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var report = new KtsEvaluation.Report("m</script>", 1.5, List.of(1, 2), true, 8, 4, 12.5, 0.0, 1.0, 1.1,
                List.of(new TradeOffPoint("original", 1, 1.5, 0.02, 12.6, 0.3, 0.2, 0.55)), List.of());
        TradeOffReportWriter.write(report, dir.resolve("r.json"), dir.resolve("r.html"));
        String html = java.nio.file.Files.readString(dir.resolve("r.html"));
        int start = html.indexOf("<script type=\"application/json\" id=\"report-data\">");
        assertTrue(start > 0, html);
        String embedded = html.substring(html.indexOf('>', start) + 1, html.indexOf("</script>", start)).replace("<\\/", "</");
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertEquals(json.readTree(dir.resolve("r.json").toFile()), json.readTree(embedded));
        assertEquals("m</script>", json.readTree(embedded).get("modelName").asText(), "a name cannot end the script early");
    }
}
