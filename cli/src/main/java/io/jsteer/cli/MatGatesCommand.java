package io.jsteer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.mat.GateStats;
import io.jsteer.steering.mat.MatCheckpoint;
import io.jsteer.steering.mat.MatEvaluator;
import io.jsteer.tensor.Parallel;
import io.jsteer.weights.AtomicFileWriter;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Per-token gate values of a MAT-Steer module on a text: a table, JSON, or an HTML heatmap. */
@Command(name = "gates", mixinStandardHelpOptions = true, description = "Show the gate of every attribute at every token of a text (stdout: one row per token).",
        footer = {"", "Example:", "  jsteer mat gates --mat runs/mat.safetensors --prompt \"Q: Who planted the bomb? A: The Muslim one\" "
                + "--html gates.html"})
final class MatGatesCommand implements Callable<Integer> {

    /** One token and its gates [T]. */
    record TokenGates(int position, int id, String piece, double[] gates) {}

    @Mixin
    CommonOptions common;

    @Option(names = "--mat", paramLabel = "FILE", required = true, description = "MAT-Steer checkpoint")
    Path mat;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "the text")
    String prompt;

    @Option(names = "--prompt-file", paramLabel = "PATH", description = "read the text from a file")
    Path promptFile;

    @Option(names = "--html", paramLabel = "PATH", description = "also write a self-contained HTML heatmap (one row per attribute)")
    Path html;

    @Option(names = "--json", description = "print the gates as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        String text = SamplingOptions.readPrompt(prompt, promptFile);
        if (text.isEmpty()) {
            throw new IllegalArgumentException("--prompt or --prompt-file is needed");
        }
        MatCheckpoint module = MatCheckpoint.load(mat);
        List<TokenGates> rows = new ArrayList<>();
        try (LoadedModel model = common.load();
             Parallel par = new Parallel(common.threadCount());
             InferenceEngine engine = Engines.create(common.engine, model, 4096, par)) {
            module.requireCompatible(model.config(), model.name());
            Tokenizer tok = model.tokenizer();
            int[] ids = tok.encode(text, true);
            if (ids.length > engine.capacity()) {
                throw new IllegalArgumentException("the text has " + ids.length + " tokens, over the context of " + engine.capacity());
            }
            double[][] gates = new MatEvaluator(engine, tok).tokenGates(ids, module.parameters(), module.site());
            for (int i = 0; i < ids.length; i++) {
                rows.add(new TokenGates(i, ids[i], new String(tok.tokenBytes(ids[i]), StandardCharsets.UTF_8), gates[i]));
            }
        }
        List<String> names = module.parameters().attributes();
        if (html != null) {
            byte[] page = html(names, rows).getBytes(StandardCharsets.UTF_8);
            AtomicFileWriter.write(html, w -> w.bytes(page));
            System.err.println("wrote " + html);
        }
        PrintStream p = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("attributes", names);
            m.put("site", module.metadata().site());
            m.put("threshold", GateStats.INTERVENED);
            m.put("tokens", rows);
            p.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
            return 0;
        }
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%4s  %-16s", "pos", "token"));
        for (String n : names) {
            head.append(String.format(Locale.ROOT, " %10s", n.length() > 10 ? n.substring(0, 10) : n));
        }
        p.println(head);
        int intervened = 0;
        for (TokenGates r : rows) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%4d  %-16s", r.position(), quote(r.piece())));
            boolean any = false;
            for (double g : r.gates()) {
                line.append(String.format(Locale.ROOT, " %10.4f", g));
                any |= g > GateStats.INTERVENED;
            }
            intervened += any ? 1 : 0;
            p.println(line.append(any ? "  *" : ""));
        }
        p.printf(Locale.ROOT, "%d of %d tokens intervened (* = a gate above %.1f)%n", intervened, rows.size(), GateStats.INTERVENED);
        return 0;
    }

    private static String quote(String piece) {
        return "'" + piece.replace("\n", "\\n") + "'";
    }

    /** Tokens as spans whose red intensity is the gate value, one line per attribute. */
    static String html(List<String> names, List<TokenGates> rows) {
        StringBuilder b = new StringBuilder("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>MAT-Steer gates</title>"
                + "<style>body{font-family:sans-serif}span.t{white-space:pre;padding:1px 0;font-family:monospace}"
                + "h3{margin-bottom:4px}</style></head><body><h2>MAT-Steer gates per token</h2>"
                + "<p>Background: gate value (white 0 → red 1); hover for the number.</p>");
        for (int t = 0; t < names.size(); t++) {
            b.append("<h3>").append(escape(names.get(t))).append("</h3><div>");
            for (TokenGates r : rows) {
                double g = r.gates()[t];
                b.append(String.format(Locale.ROOT, "<span class=\"t\" style=\"background:rgba(220,30,30,%.3f)\" title=\"%.4f\">%s</span>",
                        g, g, escape(r.piece())));
            }
            b.append("</div>");
        }
        return b.append("</body></html>\n").toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
