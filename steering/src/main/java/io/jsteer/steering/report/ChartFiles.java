package io.jsteer.steering.report;

import io.jsteer.weights.AtomicFileWriter;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Consumer;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.svg.SVGGraphics2D;

/**
 * A picture drawn once on a {@link Graphics2D} and kept three ways: an SVG element for inline use
 * in an HTML report, and {@code STEM.svg} + {@code STEM.png} files for slides. The PNG is drawn at
 * twice the size (a 2× "retina" image) so it stays sharp when a slide scales it up.
 */
public final class ChartFiles {

    /** PNG pixels per SVG unit. */
    public static final int PNG_SCALE = 2;

    private ChartFiles() {}

    /** A picture of a fixed size in SVG units (pixels at 1×). */
    public record Picture(int width, int height, Consumer<Graphics2D> painter) {

        public static Picture of(JFreeChart chart, int width, int height) {
            return new Picture(width, height, g -> chart.draw(g, new Rectangle2D.Double(0, 0, width, height)));
        }

        /** An {@code <svg>} element; {@code id} prefixes its defs so that several can share one page. */
        public String svgElement(String id) {
            SVGGraphics2D g = new SVGGraphics2D(width, height);
            g.setDefsKeyPrefix(id + "_");
            painter.accept(g);
            return g.getSVGElement(id);
        }

        /** A whole SVG document (XML declaration, namespace) for a file. */
        public String svgDocument() {
            SVGGraphics2D g = new SVGGraphics2D(width, height);
            painter.accept(g);
            return g.getSVGDocument();
        }

        public byte[] png() {
            BufferedImage img = new BufferedImage(width * PNG_SCALE, height * PNG_SCALE, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            try {
                g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
                g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
                g.setPaint(java.awt.Color.WHITE);
                g.fillRect(0, 0, img.getWidth(), img.getHeight());
                g.scale(PNG_SCALE, PNG_SCALE);
                painter.accept(g);
            } finally {
                g.dispose();
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try {
                if (!ImageIO.write(img, "png", out)) {
                    throw new IllegalStateException("this JDK has no PNG writer");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toByteArray();
        }

        /** Writes {@code stem.svg} and {@code stem.png} atomically; returns the two paths. */
        public java.util.List<Path> write(Path stem) throws IOException {
            Path svg = sibling(stem, ".svg"), png = sibling(stem, ".png");
            byte[] s = svgDocument().getBytes(StandardCharsets.UTF_8);
            byte[] p = png();
            AtomicFileWriter.write(svg, out -> out.bytes(s));
            AtomicFileWriter.write(png, out -> out.bytes(p));
            return java.util.List.of(svg, png);
        }
    }

    /** {@code dir/name} + extension, e.g. {@code out/sweep-kl} → {@code out/sweep-kl.svg}. */
    public static Path sibling(Path stem, String extension) {
        Path name = stem.getFileName();
        return stem.resolveSibling(name + extension);
    }
}
