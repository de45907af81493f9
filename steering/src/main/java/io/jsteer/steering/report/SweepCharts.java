package io.jsteer.steering.report;

import io.jsteer.steering.sweep.SweepCell;
import io.jsteer.steering.sweep.SweepResult;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.util.Optional;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

/**
 * The report's charts, drawn by JFreeChart into SVG (JFreeSVG) so that they go inline into the
 * HTML and the file needs nothing from outside. Each chart gets its own id prefix for its
 * {@code <defs>} (clip paths), since several SVGs share one document.
 */
final class SweepCharts {

    static final int WIDTH = 640, HEIGHT = 400;

    /** Distinct colours readable on white (Tableau 10), one per layer in order, repeating. */
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf),
    };

    private SweepCharts() {}

    /** A metric against strength, one line per layer (the baseline at strength 0 on every line). */
    static JFreeChart againstStrength(SweepResult r, String title, String yLabel, ToDoubleFunction<SweepCell> y) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (int layer : r.config().layers()) {
            XYSeries s = new XYSeries("layer " + layer, false, true);
            for (SweepCell c : r.line(layer)) {
                s.add(c.strength(), y.applyAsDouble(c));
            }
            data.addSeries(s);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, "strength", yLabel, data, PlotOrientation.VERTICAL,
                true, false, false);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        ((XYPlot) chart.getPlot()).setRenderer(renderer);
        style(chart);
        return chart;
    }

    /** KL against behaviour, a point per cell coloured by layer; the baseline and the best cell apart. */
    static JFreeChart klAgainstBehaviour(SweepResult r, Optional<SweepCell> best) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (int layer : r.config().layers()) {
            XYSeries s = new XYSeries("layer " + layer, false, true);
            for (SweepCell c : r.cells()) {
                if (c.layer() == layer) {
                    s.add(c.behaviour(), c.klMean());
                }
            }
            data.addSeries(s);
        }
        XYSeries base = new XYSeries("baseline", false, true);
        base.add(r.baseline().behaviour(), r.baseline().klMean());
        data.addSeries(base);
        best.ifPresent(b -> {
            XYSeries s = new XYSeries("best", false, true);
            s.add(b.behaviour(), b.klMean());
            data.addSeries(s);
        });
        JFreeChart chart = ChartFactory.createScatterPlot("KL on benign prompts against " + r.behaviour(), r.behaviour(),
                "mean KL (nats)", data, PlotOrientation.VERTICAL, true, false, false);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
        int layers = r.config().layers().size();
        Shape dot = new Ellipse2D.Double(-4, -4, 8, 8);
        for (int i = 0; i < layers; i++) {
            renderer.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            renderer.setSeriesShape(i, dot);
        }
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
        ((XYPlot) chart.getPlot()).setRenderer(renderer);
        style(chart);
        return chart;
    }

    static String svg(JFreeChart chart, String id) {
        SVGGraphics2D g = new SVGGraphics2D(WIDTH, HEIGHT);
        g.setDefsKeyPrefix(id + "_");
        chart.draw(g, new Rectangle2D.Double(0, 0, WIDTH, HEIGHT));
        return g.getSVGElement(id);
    }

    private static void style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        XYPlot plot = (XYPlot) chart.getPlot();
        plot.setBackgroundPaint(new Color(0xf7f7f7));
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
    }
}
