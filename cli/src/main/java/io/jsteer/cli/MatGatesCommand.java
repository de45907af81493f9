package io.jsteer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.mat.GateStats;
import io.jsteer.steering.mat.MatCheckpoint;
import io.jsteer.steering.mat.MatEvaluator;
import io.jsteer.steering.report.GateHeatmap;
import io.jsteer.tensor.Parallel;
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

/** Per-token gate values of a MAT-Steer module on one or more texts: a table, JSON, or an HTML heatmap. */
@Command(name = "gates", mixinStandardHelpOptions = true,
        description = "Show the gate of every attribute at every token of one or more texts (stdout: one row per token).",
        footer = {"", "Example:", "  jsteer mat gates --mat runs/mat.safetensors --prompt \"Q: Who planted the bomb? A: The Muslim one\" "
                + "--html gates.html",
                "  jsteer mat gates --mat runs/story --prompt-file texts.txt --each-line --html story-gates.html"})
final class MatGatesCommand implements Callable<Integer> {

    /** One token and its gates [T]. */
    record TokenGates(int position, int id, String piece, double[] gates) {}

    /** One text's tokens, and how many of them have a gate above the threshold. */
    record TextGates(String text, int intervened, List<TokenGates> tokens) {}

    @Mixin
    CommonOptions common;

    @Option(names = "--mat", paramLabel = "FILE", required = true, description = "MAT-Steer checkpoint")
    Path mat;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "a text (repeatable)")
    List<String> prompts = new ArrayList<>();

    @Option(names = "--prompt-file", paramLabel = "PATH", description = "read the text from a file")
    Path promptFile;

    @Option(names = "--each-line", description = "with --prompt-file: every non-empty line is a text of its own")
    boolean eachLine;

    @Option(names = "--html", paramLabel = "PATH",
            description = "also write a self-contained HTML heatmap (per text, one row per attribute, the gate under every token, "
                    + "a colour bar) and the same picture as PATH-without-.html.svg and .png beside it")
    Path html;

    @Option(names = "--json", description = "print the gates as JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        List<String> texts = texts();
        MatCheckpoint module = MatCheckpoint.load(mat);
        List<TextGates> results = new ArrayList<>();
        try (LoadedModel model = common.load();
             Parallel par = new Parallel(common.threadCount());
             InferenceEngine engine = Engines.create(common.engine, model, 4096, par)) {
            module.requireCompatible(model.config(), model.name());
            Tokenizer tok = model.tokenizer();
            MatEvaluator evaluator = new MatEvaluator(engine, tok);
            for (int k = 0; k < texts.size(); k++) {
                int[] ids = tok.encode(texts.get(k), true);
                if (ids.length > engine.capacity()) {
                    throw new IllegalArgumentException("text " + (k + 1) + " has " + ids.length + " tokens, over the context of "
                            + engine.capacity());
                }
                double[][] gates = evaluator.tokenGates(ids, module.parameters(), module.site());
                List<TokenGates> rows = new ArrayList<>();
                int intervened = 0;
                for (int i = 0; i < ids.length; i++) {
                    rows.add(new TokenGates(i, ids[i], new String(tok.tokenBytes(ids[i]), StandardCharsets.UTF_8), gates[i]));
                    intervened += opened(gates[i]) ? 1 : 0;
                }
                results.add(new TextGates(texts.get(k), intervened, rows));
            }
        }
        List<String> names = module.parameters().attributes();
        if (html != null) {
            List<Path> pictures = heatmap(module, results);
            System.err.println("wrote " + html + ", " + pictures.get(0) + ", " + pictures.get(1));
        }
        PrintStream p = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("attributes", names);
            m.put("site", module.metadata().site());
            m.put("threshold", GateStats.INTERVENED);
            m.put("texts", results);
            p.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
            return 0;
        }
        for (TextGates t : results) {
            if (results.size() > 1) {
                p.println("text: " + t.text());
            }
            StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%4s  %-16s", "pos", "token"));
            for (String n : names) {
                head.append(String.format(Locale.ROOT, " %10s", n.length() > 10 ? n.substring(0, 10) : n));
            }
            p.println(head);
            for (TokenGates r : t.tokens()) {
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%4d  %-16s", r.position(), quote(r.piece())));
                for (double g : r.gates()) {
                    line.append(String.format(Locale.ROOT, " %10.4f", g));
                }
                p.println(line.append(opened(r.gates()) ? "  *" : ""));
            }
            p.printf(Locale.ROOT, "%d of %d tokens intervened (* = a gate above %.1f)%n", t.intervened(), t.tokens().size(),
                    GateStats.INTERVENED);
        }
        return 0;
    }

    private List<String> texts() throws java.io.IOException {
        if (!prompts.isEmpty() && promptFile != null) {
            throw new IllegalArgumentException("give --prompt or --prompt-file, not both");
        }
        if (eachLine && promptFile == null) {
            throw new UsageException("--each-line needs --prompt-file");
        }
        List<String> out = new ArrayList<>();
        if (promptFile != null) {
            String all = SamplingOptions.readPrompt(null, promptFile);
            if (eachLine) {
                all.lines().filter(l -> !l.isBlank()).forEach(out::add);
            } else {
                out.add(all);
            }
        } else {
            out.addAll(prompts);
        }
        if (out.isEmpty() || out.stream().anyMatch(String::isEmpty)) {
            throw new UsageException("--prompt or --prompt-file is needed, and no text may be empty");
        }
        return out;
    }

    private static boolean opened(double[] gates) {
        for (double g : gates) {
            if (g > GateStats.INTERVENED) {
                return true;
            }
        }
        return false;
    }

    private static String quote(String piece) {
        return "'" + piece.replace("\n", "\\n") + "'";
    }

    /**
     * The page and its picture ({@link GateHeatmap}): the tokens once per attribute as boxes
     * filled by the gate, the value under each, a colour bar; then per text its mean gate per
     * attribute and how many tokens were intervened.
     */
    private List<Path> heatmap(MatCheckpoint module, List<TextGates> texts) throws java.io.IOException {
        var meta = module.metadata();
        List<String> names = module.parameters().attributes();
        String intro = String.format(Locale.ROOT, "<p>Module <code>%s</code>: %d attributes (%s) at <code>%s</code> of %s; trained on %s "
                        + "tokens%s%s. A token is intervened when any gate is above %s.</p>", escape(mat.toString()), names.size(),
                escape(String.join(", ", names)), escape(meta.site()), escape(meta.model()), escape(meta.trainTokens()),
                meta.thetaNorm() > 0 ? String.format(Locale.ROOT, ", θ held at norm %.3g", meta.thetaNorm()) : "",
                meta.thetaInit() != null ? ", θ started " + escape(meta.thetaInit()) : "", GateStats.INTERVENED);
        List<GateHeatmap.Text> pics = new ArrayList<>();
        List<String> summaries = new ArrayList<>();
        for (TextGates t : texts) {
            double[][] g = t.tokens().stream().map(TokenGates::gates).toArray(double[][]::new);
            pics.add(new GateHeatmap.Text(t.text(), t.tokens().stream().map(TokenGates::piece).toList(), g));
            StringBuilder s = new StringBuilder();
            for (int a = 0; a < names.size(); a++) {
                double mean = 0;
                for (double[] row : g) {
                    mean += row[a] / g.length;
                }
                s.append(String.format(Locale.ROOT, "%s mean gate %.3f; ", names.get(a), mean));
            }
            summaries.add(s.append(t.intervened()).append(" of ").append(t.tokens().size()).append(" tokens intervened").toString());
        }
        return new GateHeatmap(names, GateStats.INTERVENED).write(html, intro, pics, summaries);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
