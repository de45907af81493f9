package io.jsteer.steering.report;

import io.jsteer.steering.sweep.SweepCell;
import io.jsteer.steering.sweep.SweepResult;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * The sweep report's charts (JFreeChart). Made for slides: human axis titles, axes fitted to the
 * data rather than forced through zero (small effects stay visible), numbers rounded to four
 * significant digits, every point labelled, and 95% bootstrap intervals as error bars where the
 * cells kept their per-sample scores. Points of different layers at one strength are shifted
 * sideways a little so their bars do not hide each other.
 */
final class SweepCharts {

    static final int WIDTH = 720, HEIGHT = 440;

    /** Distinct colours readable on white (Tableau 10), one per layer in order, repeating. */
    static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf),
    };

    private SweepCharts() {}

    /** The behaviour against strength, one line per layer, with its 95% bootstrap interval as error bars. */
    static JFreeChart behaviourAgainstStrength(SweepResult r) {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        List<Integer> layers = r.config().layers();
        double shift = sideShift(r);
        for (int k = 0; k < layers.size(); k++) {
            int layer = layers.get(k);
            YIntervalSeries s = new YIntervalSeries("layer " + layer, false, true);
            double dx = (k - (layers.size() - 1) / 2.0) * shift;
            for (SweepCell c : r.line(layer)) {
                double y = c.behaviour();
                if (c.behaviourPerSample().size() > 1) {
                    BootstrapInterval ci = BootstrapInterval.of95(c.behaviourPerSample());
                    s.add(c.strength() + dx, y, ci.low(), ci.high());
                } else {
                    s.add(c.strength() + dx, y, y, y);
                }
            }
            data.addSeries(s);
        }
        String name = MetricNames.human(r.behaviour());
        boolean bars = r.baseline().behaviourPerSample().size() > 1;
        XYPlot plot = new XYPlot(data, axis("steering strength"), axis(name), null);
        XYErrorRenderer renderer = new XYErrorRenderer();
        renderer.setDrawXError(false);
        renderer.setDrawYError(bars);
        renderer.setErrorStroke(new BasicStroke(1.2f));
        renderer.setCapLength(6);
        renderer.setDefaultLinesVisible(true);
        seriesStyle(renderer, layers.size());
        // labels right of the points, clear of the vertical bars; the shared baseline once (first layer's line)
        labelPoints(renderer, (d, series, item) -> series > 0 && r.line(layers.get(series)).get(item).unsteered() ? null
                : SweepHtmlReport.num(d.getYValue(series, item)));
        renderer.setDefaultPositiveItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE3, TextAnchor.CENTER_LEFT));
        renderer.setDefaultNegativeItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE3, TextAnchor.CENTER_LEFT));
        plot.setRenderer(renderer);
        JFreeChart chart = chart("Behaviour against steering strength", plot);
        subtitle(chart, bars ? "bars: 95% bootstrap interval of the mean over " + r.baseline().behaviourPerSample().size()
                + " samples per cell; points of different layers shifted sideways a little" : "no per-sample scores kept: no intervals");
        return chart;
    }

    /** Another measurement against strength, one line per layer, points labelled by value. */
    static JFreeChart againstStrength(SweepResult r, String title, String yLabel, ToDoubleFunction<SweepCell> y) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (int layer : r.config().layers()) {
            XYSeries s = new XYSeries("layer " + layer, false, true);
            for (SweepCell c : r.line(layer)) {
                s.add(c.strength(), y.applyAsDouble(c));
            }
            data.addSeries(s);
        }
        XYPlot plot = new XYPlot(data, axis("steering strength"), axis(yLabel), null);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        seriesStyle(renderer, data.getSeriesCount());
        List<Integer> layers = r.config().layers();
        // the baseline is on every line: label it once
        labelPoints(renderer, (d, series, item) -> series > 0 && r.line(layers.get(series)).get(item).unsteered() ? null
                : SweepHtmlReport.num(d.getYValue(series, item)));
        plot.setRenderer(renderer);
        return chart(title, plot);
    }

    /** KL against behaviour, a point per cell coloured by layer and labelled by its strength; baseline and best apart. */
    static JFreeChart klAgainstBehaviour(SweepResult r, Optional<SweepCell> best) {
        XYSeriesCollection data = new XYSeriesCollection();
        List<List<SweepCell>> order = new ArrayList<>(); // [series][item] → the cell, for the labels
        for (int layer : r.config().layers()) {
            XYSeries s = new XYSeries("layer " + layer, false, true);
            List<SweepCell> cells = new ArrayList<>();
            for (SweepCell c : r.cells()) {
                if (c.layer() == layer) {
                    s.add(c.behaviour(), c.klMean());
                    cells.add(c);
                }
            }
            data.addSeries(s);
            order.add(cells);
        }
        XYSeries base = new XYSeries("baseline", false, true);
        base.add(r.baseline().behaviour(), r.baseline().klMean());
        data.addSeries(base);
        order.add(List.of(r.baseline()));
        best.ifPresent(b -> {
            XYSeries s = new XYSeries("best", false, true);
            s.add(b.behaviour(), b.klMean());
            data.addSeries(s);
            order.add(List.of());
        });
        XYPlot plot = new XYPlot(data, axis(MetricNames.human(r.behaviour())), axis("mean KL on benign prompts (nats)"), null);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
        int layers = r.config().layers().size();
        seriesStyle(renderer, layers);
        // the baseline as a black square, the best cell as a large open ring drawn over its point
        renderer.setSeriesPaint(layers, Color.BLACK);
        renderer.setSeriesShape(layers, new Rectangle2D.Double(-5, -5, 10, 10));
        if (best.isPresent()) {
            renderer.setSeriesPaint(layers + 1, Color.BLACK);
            renderer.setSeriesShape(layers + 1, new Ellipse2D.Double(-9, -9, 18, 18));
            renderer.setSeriesShapesFilled(layers + 1, false);
            renderer.setSeriesOutlineStroke(layers + 1, new BasicStroke(2.5f));
            renderer.setUseOutlinePaint(false);
            renderer.setDrawOutlines(true);
        }
        labelPoints(renderer, (d, series, item) -> {
            if (series >= order.size() || order.get(series).isEmpty()) {
                return null;
            }
            SweepCell c = order.get(series).get(item);
            return c.unsteered() ? "baseline" : "L" + c.layer() + " s" + SweepHtmlReport.num(c.strength());
        });
        plot.setRenderer(renderer);
        JFreeChart chart = chart("Side effect (KL) against behaviour", plot);
        subtitle(chart, "each point a cell, labelled L<layer> s<strength>; square: unsteered; ring: the best cell");
        return chart;
    }

    /** A sideways shift between layers' points at one strength: 1.2% of the strength range per layer. */
    private static double sideShift(SweepResult r) {
        List<Double> s = r.config().strengths();
        double lo = Math.min(0, s.stream().mapToDouble(Double::doubleValue).min().orElse(0));
        double hi = Math.max(0, s.stream().mapToDouble(Double::doubleValue).max().orElse(0));
        return r.config().layers().size() > 1 ? 0.012 * (hi - lo) : 0;
    }

    /** A number axis that fits the data (zero not forced in) with rounded tick labels. */
    static NumberAxis axis(String label) {
        NumberAxis a = new NumberAxis(label);
        a.setAutoRangeIncludesZero(false);
        a.setNumberFormatOverride(new RoundedFormat());
        a.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        a.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        return a;
    }

    static JFreeChart chart(String title, XYPlot plot) {
        plot.setOrientation(PlotOrientation.VERTICAL);
        plot.setBackgroundPaint(new Color(0xfafafa));
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        JFreeChart chart = new JFreeChart(title, new Font(Font.SANS_SERIF, Font.BOLD, 15), plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    static void subtitle(JFreeChart chart, String text) {
        org.jfree.chart.title.TextTitle t = new org.jfree.chart.title.TextTitle(text, new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        t.setPaint(Color.DARK_GRAY);
        chart.addSubtitle(0, t);
    }

    private static void seriesStyle(XYLineAndShapeRenderer renderer, int n) {
        Shape dot = new Ellipse2D.Double(-4, -4, 8, 8);
        for (int i = 0; i < n; i++) {
            renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            renderer.setSeriesStroke(i, new BasicStroke(2f));
            renderer.setSeriesShape(i, dot);
        }
    }

    static void labelPoints(XYLineAndShapeRenderer renderer, org.jfree.chart.labels.XYItemLabelGenerator labels) {
        renderer.setDefaultItemLabelGenerator(labels);
        renderer.setDefaultItemLabelsVisible(true);
        renderer.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        renderer.setDefaultPositiveItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE12, TextAnchor.BOTTOM_CENTER));
        renderer.setDefaultNegativeItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE12, TextAnchor.BOTTOM_CENTER));
    }

    /** Axis ticks at four significant digits, trailing zeros dropped ({@link SweepHtmlReport#num}). */
    static final class RoundedFormat extends NumberFormat {
        @Override
        public StringBuffer format(double number, StringBuffer toAppendTo, FieldPosition pos) {
            return toAppendTo.append(Math.abs(number) < 1e-12 ? "0" : SweepHtmlReport.num(number));
        }

        @Override
        public StringBuffer format(long number, StringBuffer toAppendTo, FieldPosition pos) {
            return toAppendTo.append(number);
        }

        @Override
        public Number parse(String source, ParsePosition parsePosition) {
            throw new UnsupportedOperationException("display only");
        }
    }
}
