/**
 * Sweep reports: {@link io.jsteer.steering.report.SweepJson} (Jackson, atomic write, read back)
 * and {@link io.jsteer.steering.report.SweepHtmlReport}, one self-contained HTML file whose charts
 * are JFreeChart plots rendered to inline SVG by JFreeSVG (needs a JDK with fonts, as any AWT
 * text layout does; it runs headless).
 */
package io.jsteer.steering.report;
