package io.jsteer.steering.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A steering trade-off: an effect against the benign KL it costs, one model per colour. Positive
 * and negative strengths are separate curves (solid and dashed), each starting at c = 0, so a
 * curve never folds back through the origin; each point of the main models is labelled by its
 * c / c_max. Control models (random vectors) are drawn thin and grey without labels.
 */
public final class TradeOffChart {

    /** One measured point: which model, its strength as c / c_max, and the two plotted values. */
    public record Point(String model, double factor, double kl, double effect) {}

    public static final int WIDTH = 760, HEIGHT = 460;

    private TradeOffChart() {}

    /**
     * @param labels  series title of each model, in drawing order (e.g. {@code kts} → {@code KTS + steer})
     * @param control which models are controls (grey, unlabelled)
     */
    public static JFreeChart chart(String title, String effectAxis, List<Point> points, Map<String, String> labels,
                                   List<String> control) {
        XYSeriesCollection data = new XYSeriesCollection();
        List<List<Point>> order = new ArrayList<>(); // [series][item] → point, for the labels
        List<String> seriesModel = new ArrayList<>();
        List<Boolean> negative = new ArrayList<>();
        for (Map.Entry<String, String> m : labels.entrySet()) {
            for (boolean neg : new boolean[] {false, true}) {
                List<Point> side = points.stream().filter(p -> p.model().equals(m.getKey()))
                        .filter(p -> neg ? p.factor() <= 0 : p.factor() >= 0)
                        .sorted(Comparator.comparingDouble(p -> Math.abs(p.factor()))).toList();
                if (side.stream().noneMatch(p -> p.factor() != 0)) {
                    continue;
                }
                XYSeries s = new XYSeries(m.getValue() + (neg ? ", c < 0" : ", c > 0"), false, true);
                side.forEach(p -> s.add(p.kl(), p.effect()));
                data.addSeries(s);
                order.add(side);
                seriesModel.add(m.getKey());
                negative.add(neg);
            }
        }
        XYPlot plot = new XYPlot(data, SweepCharts.axis("benign KL(p_orig ‖ p_steered), nats per token"),
                SweepCharts.axis(effectAxis), null);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        List<String> models = new ArrayList<>(labels.keySet());
        for (int i = 0; i < data.getSeriesCount(); i++) {
            boolean ctl = control.contains(seriesModel.get(i));
            Color c = ctl ? new Color(0x999999) : SweepCharts.PALETTE[models.indexOf(seriesModel.get(i)) % SweepCharts.PALETTE.length];
            r.setSeriesPaint(i, c);
            float w = ctl ? 1.2f : 2.2f;
            r.setSeriesStroke(i, negative.get(i)
                    ? new BasicStroke(w, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {6f, 4f}, 0f)
                    : new BasicStroke(w));
            r.setSeriesShape(i, negative.get(i) ? new Rectangle2D.Double(-3.5, -3.5, 7, 7) : new Ellipse2D.Double(-4, -4, 8, 8));
        }
        SweepCharts.labelPoints(r, (d, series, item) -> {
            Point p = order.get(series).get(item);
            // c = 0 sits on both curves of a model: label it once, on the positive one
            if (control.contains(p.model()) || (p.factor() == 0 && negative.get(series))) {
                return null;
            }
            return p.factor() == 0 ? "c=0" : "c=" + String.format(java.util.Locale.ROOT, "%+g", p.factor()).replaceFirst("\\.?0+$", "");
        });
        plot.setRenderer(r);
        JFreeChart chart = SweepCharts.chart(title, plot);
        SweepCharts.subtitle(chart, "solid: c > 0, dashed: c < 0, both from c = 0; labels: c / c_max; grey: random-vector controls");
        return chart;
    }
}
