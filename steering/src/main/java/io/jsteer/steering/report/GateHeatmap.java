package io.jsteer.steering.report;

import io.jsteer.weights.AtomicFileWriter;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.font.FontRenderContext;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * MAT-Steer gates per token as a picture: for each text and attribute, the text's tokens as
 * boxes (so subword boundaries show) wrapped to the picture's width, each filled by its gate
 * (white 0 → red 1) with the gate printed under the token, and a colour bar with the
 * intervention threshold on top. The same drawing goes inline into the HTML page and into
 * {@code STEM.svg} / {@code STEM.png} beside it.
 */
public final class GateHeatmap {

    /** One text: its tokens as printed pieces, and the gates [tokens][attributes]. */
    public record Text(String text, List<String> pieces, double[][] gates) {
        public Text {
            pieces = List.copyOf(pieces);
            if (gates.length != pieces.size()) {
                throw new IllegalArgumentException("gate heatmap: " + pieces.size() + " tokens but " + gates.length + " gate rows");
            }
        }
    }

    static final int WIDTH = 900, MARGIN = 16, LABEL = 110, BOX_H = 34, ROW_GAP = 6, BAR_H = 46;
    static final Color HOT = new Color(220, 30, 30);
    private static final Font TOKEN = new Font(Font.MONOSPACED, Font.PLAIN, 13);
    private static final Font VALUE = new Font(Font.SANS_SERIF, Font.PLAIN, 10);
    private static final Font LABEL_FONT = new Font(Font.SANS_SERIF, Font.BOLD, 13);
    private static final FontRenderContext FRC = new FontRenderContext(null, true, true);

    private final List<String> attributes;
    private final double threshold;

    public GateHeatmap(List<String> attributes, double threshold) {
        this.attributes = List.copyOf(attributes);
        this.threshold = threshold;
    }

    /** A token's piece as drawn: a leading space as '·' (a new word starts), newlines and tabs as escapes. */
    static String shown(String piece) {
        String s = piece.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
        return s.replace(' ', '\u00b7');
    }

    /** The fill of gate g: white at 0, {@link #HOT} at 1, clamped. */
    static Color fill(double g) {
        double t = Math.max(0, Math.min(1, g));
        return new Color((int) Math.round(255 + t * (HOT.getRed() - 255)), (int) Math.round(255 + t * (HOT.getGreen() - 255)),
                (int) Math.round(255 + t * (HOT.getBlue() - 255)));
    }

    /** One placed token box: x, y of its top-left corner in the picture, its width. */
    record Box(int token, double x, double y, double w) {}

    /** The boxes of one (text, attribute) row block starting at y, wrapped to the width; returns them, last one lowest. */
    static List<Box> layout(List<String> pieces, double top) {
        List<Box> out = new ArrayList<>();
        double x = MARGIN + LABEL, y = top;
        for (int i = 0; i < pieces.size(); i++) {
            double w = Math.max(TOKEN.getStringBounds(shown(pieces.get(i)), FRC).getWidth(),
                    VALUE.getStringBounds("0.00", FRC).getWidth()) + 8;
            if (x + w > WIDTH - MARGIN && x > MARGIN + LABEL) {
                x = MARGIN + LABEL;
                y += BOX_H + ROW_GAP;
            }
            out.add(new Box(i, x, y, w));
            x += w;
        }
        return out;
    }

    /** The picture of {@code texts}. */
    public ChartFiles.Picture picture(List<Text> texts) {
        // layout pass: the height follows from the wrapping
        double y = MARGIN + BAR_H + 10;
        List<List<List<Box>>> boxes = new ArrayList<>(); // [text][attribute] → boxes
        List<Double> textTops = new ArrayList<>();
        for (Text t : texts) {
            textTops.add(y);
            y += texts.size() > 1 ? 20 : 0; // the text's number
            List<List<Box>> perAttr = new ArrayList<>();
            for (int a = 0; a < attributes.size(); a++) {
                List<Box> b = layout(t.pieces(), y);
                perAttr.add(b);
                y = (b.isEmpty() ? y : b.getLast().y()) + BOX_H + ROW_GAP + 8;
            }
            boxes.add(perAttr);
            y += 10;
        }
        int height = (int) Math.ceil(y + MARGIN);
        return new ChartFiles.Picture(WIDTH, height, g -> {
            g.setPaint(Color.WHITE);
            g.fill(new Rectangle2D.Double(0, 0, WIDTH, height));
            colourBar(g);
            for (int k = 0; k < texts.size(); k++) {
                Text t = texts.get(k);
                if (texts.size() > 1) {
                    g.setFont(LABEL_FONT);
                    g.setPaint(Color.DARK_GRAY);
                    g.drawString("text " + (k + 1), MARGIN, (float) (textTops.get(k) + 14));
                }
                for (int a = 0; a < attributes.size(); a++) {
                    List<Box> row = boxes.get(k).get(a);
                    g.setFont(LABEL_FONT);
                    g.setPaint(Color.BLACK);
                    if (!row.isEmpty()) {
                        g.drawString(clip(attributes.get(a)), MARGIN, (float) (row.getFirst().y() + 21));
                    }
                    for (Box b : row) {
                        double gate = t.gates()[b.token()][a];
                        Rectangle2D r = new Rectangle2D.Double(b.x(), b.y(), b.w(), BOX_H);
                        g.setPaint(fill(gate));
                        g.fill(r);
                        g.setPaint(new Color(0x999999));
                        g.setStroke(new BasicStroke(gate > threshold ? 2f : 0.8f));
                        if (gate > threshold) {
                            g.setPaint(new Color(0x7a0000));
                        }
                        g.draw(r);
                        g.setPaint(gate > 0.6 ? Color.WHITE : Color.BLACK);
                        g.setFont(TOKEN);
                        g.drawString(shown(t.pieces().get(b.token())), (float) (b.x() + 4), (float) (b.y() + 15));
                        g.setFont(VALUE);
                        g.drawString(String.format(Locale.ROOT, "%.2f", gate), (float) (b.x() + 4), (float) (b.y() + 29));
                    }
                }
            }
        });
    }

    /** A gradient 0 → 1 with ticks and the threshold marked, across the top. */
    private void colourBar(Graphics2D g) {
        double x0 = MARGIN + LABEL, x1 = WIDTH - MARGIN - 290, top = MARGIN + 14, h = 12;
        g.setFont(LABEL_FONT);
        g.setPaint(Color.BLACK);
        g.drawString("gate", MARGIN, (float) (top + 11));
        g.setPaint(new GradientPaint((float) x0, 0, Color.WHITE, (float) x1, 0, HOT));
        g.fill(new Rectangle2D.Double(x0, top, x1 - x0, h));
        g.setPaint(Color.GRAY);
        g.setStroke(new BasicStroke(0.8f));
        g.draw(new Rectangle2D.Double(x0, top, x1 - x0, h));
        g.setFont(VALUE);
        for (double v : new double[] {0, 0.25, 0.5, 0.75, 1}) {
            double x = x0 + v * (x1 - x0);
            g.setPaint(Color.BLACK);
            g.draw(new java.awt.geom.Line2D.Double(x, top + h, x, top + h + 4));
            String s = v == 0 ? "0" : v == 1 ? "1" : Double.toString(v);
            g.drawString(s, (float) (x - VALUE.getStringBounds(s, FRC).getWidth() / 2), (float) (top + h + 15));
        }
        double xt = x0 + threshold * (x1 - x0);
        g.setPaint(new Color(0x7a0000));
        g.setStroke(new BasicStroke(2f));
        g.draw(new java.awt.geom.Line2D.Double(xt, top - 4, xt, top + h + 4));
        g.setFont(VALUE);
        g.drawString(String.format(Locale.ROOT, "threshold %.2f: token intervened (dark border)", threshold),
                (float) (x1 + 10), (float) (top + 10));
        g.setPaint(Color.DARK_GRAY);
        g.drawString("· marks a token that starts with a space", (float) (x1 + 10), (float) (top + 24));
    }

    private static String clip(String name) {
        return name.length() > 14 ? name.substring(0, 13) + "…" : name;
    }

    /**
     * Writes {@code html} (the picture inline, a heading and {@code intro}, which is already HTML)
     * and the picture as {@code STEM.svg} / {@code STEM.png} beside it (STEM = html without .html).
     * Returns the two picture files.
     */
    public List<Path> write(Path html, String introHtml, List<Text> texts, List<String> summaries) throws IOException {
        ChartFiles.Picture p = picture(texts);
        StringBuilder b = new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>MAT-Steer gates</title>"
                + "<style>body{font-family:sans-serif;margin:2em;max-width:" + (WIDTH + 40) + "px}p.s{color:#444}</style></head><body>"
                + "<h2>MAT-Steer gates per token</h2>");
        b.append(introHtml);
        b.append("<figure id=\"gates\">").append(p.svgElement("gates")).append("</figure>");
        for (int k = 0; k < summaries.size(); k++) {
            b.append("<p class=\"s\">").append(texts.size() > 1 ? "text " + (k + 1) + ": " : "")
                    .append(SweepHtmlReport.esc(summaries.get(k))).append("</p>");
        }
        b.append("<p>The picture is also saved beside this page as .svg and .png.</p></body></html>\n");
        byte[] page = b.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFileWriter.write(html, w -> w.bytes(page));
        String stem = html.getFileName().toString().replaceFirst("\\.html?$", "");
        return p.write(html.resolveSibling(stem));
    }
}
