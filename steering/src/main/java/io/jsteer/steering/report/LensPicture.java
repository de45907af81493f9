package io.jsteer.steering.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.font.FontRenderContext;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.util.List;
import java.util.Locale;

/**
 * A logit lens as a heat map: one panel per variant (unsteered, steered) side by side; rows are
 * blocks (block 0 at the top, reading down as the stream flows), columns the prompt's last
 * positions (the input token on top), each cell the lens's most probable next token with its
 * probability printed and shading it (white 0 → blue 1); the last column is the residual norm
 * at the last position. In a steered panel, a cell whose top token differs from the unsteered
 * one has an orange border.
 */
public final class LensPicture {

    /**
     * @param title     e.g. "unsteered"
     * @param top       [layer][position] the top token as printed
     * @param prob      [layer][position] its lens probability
     * @param lastNorms [layer] ‖resid_post‖ at the last position
     * @param differs   [layer][position] whether the top token differs from the reference panel's, or null
     */
    public record Panel(String title, String[][] top, double[][] prob, double[] lastNorms, boolean[][] differs) {}

    static final int CELL_W = 66, CELL_H = 30, LABEL_W = 62, NORM_W = 58, MARGIN = 14, HEAD = 112, GAP = 26;
    static final Color COLD = new Color(0x2166ac);
    private static final Font CELL = new Font(Font.MONOSPACED, Font.PLAIN, 11);
    private static final Font SMALL = new Font(Font.SANS_SERIF, Font.PLAIN, 9);
    private static final Font BOLD = new Font(Font.SANS_SERIF, Font.BOLD, 13);
    private static final FontRenderContext FRC = new FontRenderContext(null, true, true);

    private LensPicture() {}

    static Color fill(double p) {
        double t = Math.max(0, Math.min(1, p));
        return new Color((int) Math.round(255 + t * (COLD.getRed() - 255)), (int) Math.round(255 + t * (COLD.getGreen() - 255)),
                (int) Math.round(255 + t * (COLD.getBlue() - 255)));
    }

    /** @param inputs the input token at each position, as printed (column headers) */
    public static ChartFiles.Picture picture(String heading, List<String> inputs, List<Panel> panels) {
        int layers = panels.getFirst().top().length, positions = inputs.size();
        int panelW = LABEL_W + positions * CELL_W + NORM_W;
        int width = MARGIN * 2 + panels.size() * panelW + (panels.size() - 1) * GAP;
        int height = HEAD + layers * CELL_H + MARGIN + 10;
        return new ChartFiles.Picture(width, height, g -> {
            g.setPaint(Color.WHITE);
            g.fill(new Rectangle2D.Double(0, 0, width, height));
            g.setFont(BOLD);
            g.setPaint(Color.BLACK);
            g.drawString(fit(heading, BOLD, width - 2 * MARGIN), MARGIN, MARGIN + 12);
            colourBar(g, panels.stream().anyMatch(p -> p.differs() != null));
            for (int k = 0; k < panels.size(); k++) {
                panel(g, panels.get(k), inputs, MARGIN + k * (panelW + GAP));
            }
        });
    }

    private static void panel(Graphics2D g, Panel p, List<String> inputs, double x0) {
        int layers = p.top().length;
        double top = HEAD;
        g.setFont(BOLD);
        g.setPaint(Color.BLACK);
        g.drawString(p.title(), (float) x0, (float) (top - 30));
        g.setFont(SMALL);
        g.setPaint(Color.DARK_GRAY);
        for (int i = 0; i < inputs.size(); i++) {
            g.drawString(fit(inputs.get(i), SMALL, CELL_W - 4), (float) (x0 + LABEL_W + i * CELL_W + 2), (float) (top - 6));
        }
        g.drawString("input →", (float) x0, (float) (top - 6));
        g.drawString("‖x‖ last", (float) (x0 + LABEL_W + inputs.size() * CELL_W + 6), (float) (top - 6));
        for (int l = 0; l < layers; l++) {
            double y = top + l * CELL_H;
            g.setFont(SMALL);
            g.setPaint(Color.BLACK);
            g.drawString("block " + l, (float) x0, (float) (y + 18));
            for (int i = 0; i < inputs.size(); i++) {
                double x = x0 + LABEL_W + i * CELL_W;
                Rectangle2D r = new Rectangle2D.Double(x, y, CELL_W, CELL_H);
                double prob = p.prob()[l][i];
                g.setPaint(fill(prob));
                g.fill(r);
                boolean changed = p.differs() != null && p.differs()[l][i];
                g.setPaint(changed ? new Color(0xff7f0e) : new Color(0xcccccc));
                g.setStroke(new BasicStroke(changed ? 2.5f : 0.6f));
                g.draw(changed ? new Rectangle2D.Double(x + 1.25, y + 1.25, CELL_W - 2.5, CELL_H - 2.5) : r);
                g.setPaint(prob > 0.55 ? Color.WHITE : Color.BLACK);
                g.setFont(CELL);
                g.drawString(fit(p.top()[l][i], CELL, CELL_W - 6), (float) (x + 3), (float) (y + 13));
                g.setFont(SMALL);
                g.drawString(String.format(Locale.ROOT, "%.2f", prob), (float) (x + 3), (float) (y + 25));
            }
            g.setPaint(Color.BLACK);
            g.setFont(SMALL);
            g.drawString(SweepHtmlReport.num(p.lastNorms()[l]), (float) (x0 + LABEL_W + inputs.size() * CELL_W + 6), (float) (y + 18));
        }
    }

    /** The legend under the heading: the colour scale, and what an orange border means when a panel has them. */
    private static void colourBar(Graphics2D g, boolean borders) {
        String label = "lens probability of the top token";
        double y = MARGIN + 24, x0 = MARGIN + SMALL.getStringBounds(label, FRC).getWidth() + 10, x1 = x0 + 200;
        g.setFont(SMALL);
        g.setPaint(Color.BLACK);
        g.drawString(label, MARGIN, (float) (y + 9));
        g.setPaint(new GradientPaint((float) x0, 0, Color.WHITE, (float) x1, 0, COLD));
        g.fill(new Rectangle2D.Double(x0, y, x1 - x0, 10));
        g.setPaint(Color.GRAY);
        g.setStroke(new BasicStroke(0.6f));
        g.draw(new Rectangle2D.Double(x0, y, x1 - x0, 10));
        g.setPaint(Color.BLACK);
        for (double v : new double[] {0, 0.5, 1}) {
            double x = x0 + v * (x1 - x0);
            g.draw(new Line2D.Double(x, y + 10, x, y + 13));
            String s = v == 0.5 ? "0.5" : v == 0 ? "0" : "1";
            g.drawString(s, (float) (x - SMALL.getStringBounds(s, FRC).getWidth() / 2), (float) (y + 23));
        }
        if (borders) {
            g.setPaint(new Color(0xd95f02));
            g.drawString("orange border: top token differs from the unsteered one", (float) (x1 + 16), (float) (y + 9));
        }
    }

    /** {@code s} cut with an ellipsis so that it fits {@code w} points in {@code font}. */
    static String fit(String s, Font font, double w) {
        if (font.getStringBounds(s, FRC).getWidth() <= w) {
            return s;
        }
        for (int n = s.length() - 1; n > 0; n--) {
            String t = s.substring(0, n) + "…";
            if (font.getStringBounds(t, FRC).getWidth() <= w) {
                return t;
            }
        }
        return "…";
    }
}
