/**
 * Reports and their pictures. {@link io.jsteer.steering.report.SweepJson} (Jackson, atomic write,
 * read back) and {@link io.jsteer.steering.report.SweepHtmlReport}, one self-contained HTML file
 * whose charts are JFreeChart plots rendered to inline SVG by JFreeSVG, with 95%
 * {@link io.jsteer.steering.report.BootstrapInterval bootstrap intervals} over the samples; the
 * MAT-Steer {@link io.jsteer.steering.report.GateHeatmap gate heatmap}, the
 * {@link io.jsteer.steering.report.LensPicture logit-lens heat map} and the KTS
 * {@link io.jsteer.steering.report.TradeOffChart trade-off chart}. Every picture is drawn once on a
 * Graphics2D and kept as inline SVG, a {@code .svg} file and a 2× {@code .png} file
 * ({@link io.jsteer.steering.report.ChartFiles}). Needs a JDK with fonts, as any AWT text layout
 * does; it runs headless.
 */
package io.jsteer.steering.report;
