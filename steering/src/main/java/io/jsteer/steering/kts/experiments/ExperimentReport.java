package io.jsteer.steering.kts.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsteer.weights.AtomicFileWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The files of an experiment: {@code BASE.json} (every number) and {@code BASE.html} (a title,
 * notes and tables, self-contained), both written atomically; the same tables as text for stdout.
 */
public final class ExperimentReport {

    /** One table: a title, column headers and rows of cells. */
    public record Table(String title, List<String> headers, List<List<String>> rows) {}

    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ExperimentReport() {}

    public static void write(Path base, Object json, String title, List<String> notes, List<Table> tables) throws IOException {
        byte[] j = JSON.writeValueAsBytes(json);
        AtomicFileWriter.write(Path.of(base + ".json"), out -> out.bytes(j));
        byte[] h = html(title, notes, tables).getBytes(StandardCharsets.UTF_8);
        AtomicFileWriter.write(Path.of(base + ".html"), out -> out.bytes(h));
    }

    static String html(String title, List<String> notes, List<Table> tables) {
        StringBuilder sb = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").append(esc(title))
                .append("</title>\n<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
                        + "td,th{border:1px solid #bbb;padding:3px 8px;text-align:right}th{background:#eee}"
                        + "td:first-child,th:first-child{text-align:left}</style></head><body>\n<h1>").append(esc(title)).append("</h1>\n");
        for (String n : notes) {
            sb.append("<p>").append(esc(n)).append("</p>\n");
        }
        for (Table t : tables) {
            sb.append("<h2>").append(esc(t.title())).append("</h2>\n<table><tr>");
            for (String h : t.headers()) {
                sb.append("<th>").append(esc(h)).append("</th>");
            }
            sb.append("</tr>\n");
            for (List<String> row : t.rows()) {
                sb.append("<tr>");
                for (String c : row) {
                    sb.append("<td>").append(esc(c)).append("</td>");
                }
                sb.append("</tr>\n");
            }
            sb.append("</table>\n");
        }
        return sb.append("</body></html>\n").toString();
    }

    /** The tables as aligned text (stdout). */
    public static String text(List<Table> tables) {
        StringBuilder sb = new StringBuilder();
        for (Table t : tables) {
            int[] w = new int[t.headers().size()];
            for (int i = 0; i < w.length; i++) {
                w[i] = t.headers().get(i).length();
                for (List<String> r : t.rows()) {
                    w[i] = Math.max(w[i], r.get(i).length());
                }
            }
            sb.append(t.title()).append('\n');
            appendRow(sb, t.headers(), w);
            for (List<String> r : t.rows()) {
                appendRow(sb, r, w);
            }
        }
        return sb.toString();
    }

    private static void appendRow(StringBuilder sb, List<String> cells, int[] w) {
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i);
            sb.append(i == 0 ? String.format("%-" + w[i] + "s", c) : String.format("  %" + w[i] + "s", c));
        }
        sb.append('\n');
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** A share as text with 3 decimals, or "-" for NaN. */
    public static String f3(double x) {
        return Double.isNaN(x) ? "-" : String.format("%.3f", x);
    }
}
