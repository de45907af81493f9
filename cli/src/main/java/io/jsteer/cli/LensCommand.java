package io.jsteer.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsteer.model.InferenceEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.lens.LensResult;
import io.jsteer.steering.lens.LogitLens;
import io.jsteer.steering.report.ChartFiles;
import io.jsteer.steering.report.LensPicture;
import io.jsteer.steering.report.SweepHtmlReport;
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

/** A logit lens of one prompt, unsteered and (with --steer/--ablate/--mat) steered side by side. */
@Command(name = "lens", mixinStandardHelpOptions = true,
        description = {"Logit lens of one prompt: after every block, the residual stream (resid_post) read through the final norm "
                + "and the classifier, i.e. what the model would predict if it stopped there; with the residual norm. stdout: a table "
                + "of the last position (unsteered and steered side by side when steering is given); --html: a heat map of the last "
                + "--window positions, also saved as .svg and .png beside it.",
                "The lens at the last block is the model's real next-token distribution. Runs on --engine cpu or tornado (steering "
                        + "through the engine's interventions, the stream read by observers at every block)."},
        footer = {"", "Examples:", "  jsteer lens --prompt \"Once upon a time, there was a\"",
                "  jsteer lens --prompt \"Tom felt very\" --steer happy.json:4@2 --html lens.html",
                "  jsteer lens --prompt \"Tom felt very\" --steer happy.json:4@2 --json > lens.json"})
final class LensCommand implements Callable<Integer> {

    @Mixin
    CommonOptions common;

    @Mixin
    SteerOptions steering;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "the prompt (BOS is added)")
    String prompt;

    @Option(names = "--prompt-file", paramLabel = "PATH", description = "read the prompt from a file")
    Path promptFile;

    @Option(names = "--top", paramLabel = "K", defaultValue = "3", description = "top tokens per block in the table (default: ${DEFAULT-VALUE})")
    int top;

    @Option(names = "--window", paramLabel = "N", defaultValue = "8",
            description = "the heat map shows the last N positions (each costs a classifier product per block; default: ${DEFAULT-VALUE})")
    int window;

    @Option(names = "--html", paramLabel = "PATH", description = "write a self-contained HTML heat map, and PATH-without-.html.svg/.png")
    Path html;

    @Option(names = "--json", description = "print the lens as JSON instead of the table")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (top < 1 || top > 20) {
            throw new UsageException("--top must be between 1 and 20, got " + top);
        }
        if (window < 1 || window > 64) {
            throw new UsageException("--window must be between 1 and 64, got " + window);
        }
        String text = SamplingOptions.readPrompt(prompt, promptFile);
        if (text.isEmpty()) {
            throw new UsageException("--prompt or --prompt-file is needed (the lens reads one prompt)");
        }
        Engines.requireSupported(common.engine); // steering through setInterventions, residuals read by observers: any engine
        try (LoadedModel model = common.load(); Parallel par = new Parallel(common.threadCount())) {
            Tokenizer tok = model.tokenizer();
            int[] ids = tok.encode(text, true);
            InterventionSet steer = steering.isEmpty() ? null : steering.interventions(model.config());
            LensResult plain, steered = null;
            try (InferenceEngine engine = Engines.create(common.engine, model, ids.length, par)) {
                LogitLens lens = new LogitLens(engine, model.weights(), par);
                plain = lens.run(ids, null, window, top);
                if (steer != null) {
                    System.err.println(SteerOptions.describe(steer));
                    steered = lens.run(ids, steer, window, top);
                }
            }
            if (html != null) {
                List<Path> pics = writeHtml(tok, text, plain, steered, steer);
                System.err.println("wrote " + html + ", " + pics.get(0) + ", " + pics.get(1));
            }
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("model", model.name());
                m.put("prompt", text);
                m.put("steering", steer == null ? null : SteerOptions.describe(steer));
                m.put("pieces", pieces(tok, plain.tokens()));
                m.put("unsteered", plain);
                m.put("steered", steered);
                if (steered != null) {
                    m.put("klPerBlock", klPerBlock(plain, steered));
                }
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
            } else {
                table(out, tok, plain, steered);
            }
        }
        return 0;
    }

    /** KL(unsteered lens ‖ steered lens) at the last position, per block: zero before the first steered block. */
    static double[] klPerBlock(LensResult plain, LensResult steered) {
        List<LensResult.Cell> a = plain.lastPosition(), b = steered.lastPosition();
        double[] kl = new double[a.size()];
        for (int l = 0; l < kl.length; l++) {
            kl[l] = a.get(l).distribution().kl(b.get(l).distribution());
        }
        return kl;
    }

    private static void table(PrintStream out, Tokenizer tok, LensResult plain, LensResult steered) {
        int last = plain.tokens().length - 1;
        out.printf(Locale.ROOT, "logit lens at the last position (%d, input %s): top %d next tokens per block%n",
                plain.first() + last, quote(piece(tok, plain.tokens()[last])), plain.layers().getFirst().getFirst().top().size());
        List<String> left = rows(tok, plain), right = steered == null ? null : rows(tok, steered);
        int w = left.stream().mapToInt(String::length).max().orElse(10);
        double[] kl = steered == null ? null : klPerBlock(plain, steered);
        out.println(steered == null ? String.format(Locale.ROOT, "%-6s %8s  %s", "block", "|x|", "unsteered")
                : String.format(Locale.ROOT, "%-6s %8s  %-" + w + "s | %8s  %-" + w + "s | %s", "block", "|x|", "unsteered", "|x|",
                        "steered", "KL(unst||steer)"));
        for (int l = 0; l < left.size(); l++) {
            String a = String.format(Locale.ROOT, "%-6d %8s  %-" + w + "s", l, SweepHtmlReport.num(plain.lastPosition().get(l).residualNorm()),
                    left.get(l));
            if (steered == null) {
                out.println(a.stripTrailing());
            } else {
                out.printf(Locale.ROOT, "%s | %8s  %-" + w + "s | %s%n", a, SweepHtmlReport.num(steered.lastPosition().get(l).residualNorm()),
                        right.get(l), SweepHtmlReport.num(kl[l]));
            }
        }
        out.println("the last block's row is the model's own next-token distribution");
    }

    private static List<String> rows(Tokenizer tok, LensResult r) {
        List<String> out = new ArrayList<>();
        for (LensResult.Cell c : r.lastPosition()) {
            StringBuilder s = new StringBuilder();
            for (LensResult.Top t : c.top()) {
                s.append(String.format(Locale.ROOT, "%s %.2f  ", quote(piece(tok, t.id())), t.probability()));
            }
            out.add(s.toString().stripTrailing());
        }
        return out;
    }

    private List<Path> writeHtml(Tokenizer tok, String text, LensResult plain, LensResult steered, InterventionSet steer)
            throws java.io.IOException {
        List<String> inputs = pieces(tok, plain.tokens()).stream().map(LensCommand::visible).toList();
        List<LensPicture.Panel> panels = new ArrayList<>();
        panels.add(panel(tok, "unsteered", plain, null));
        if (steered != null) {
            panels.add(panel(tok, "steered", steered, plain));
        }
        String heading = "logit lens: \"" + text + "\"" + (steer == null ? ""
                : "; steered: " + SteerOptions.describe(steer).replace("steering: ", "").replace('\n', ';'));
        ChartFiles.Picture pic = LensPicture.picture(heading, inputs, panels);
        StringBuilder b = new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>jsteer lens</title>"
                + "<style>body{font-family:sans-serif;margin:2em}</style></head><body><h2>Logit lens</h2><p>Prompt: <b>")
                .append(SweepHtmlReport.esc(text)).append("</b>").append(steer == null ? "" : "; steering: "
                        + SweepHtmlReport.esc(SteerOptions.describe(steer).replace('\n', ';')))
                .append(". Each cell: the most probable next token if the model stopped after that block (resid_post through the final "
                        + "norm and classifier) and its probability; the last column is the residual norm at the last position.</p>")
                .append(pic.svgElement("lens"));
        if (steered != null) {
            b.append("<p>KL(unsteered ‖ steered) of the lens at the last position, per block: ");
            double[] kl = klPerBlock(plain, steered);
            for (int l = 0; l < kl.length; l++) {
                b.append("block ").append(l).append(' ').append(SweepHtmlReport.num(kl[l])).append(l + 1 < kl.length ? "; " : ".");
            }
            b.append("</p>");
        }
        b.append("<p>The picture is also saved beside this page as .svg and .png.</p></body></html>\n");
        byte[] page = b.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFileWriter.write(html, w -> w.bytes(page));
        return pic.write(html.resolveSibling(html.getFileName().toString().replaceFirst("\\.html?$", "")));
    }

    private static LensPicture.Panel panel(Tokenizer tok, String title, LensResult r, LensResult reference) {
        int layers = r.layers().size(), n = r.tokens().length;
        String[][] top = new String[layers][n];
        double[][] prob = new double[layers][n];
        double[] norms = new double[layers];
        boolean[][] differs = reference == null ? null : new boolean[layers][n];
        for (int l = 0; l < layers; l++) {
            for (int i = 0; i < n; i++) {
                LensResult.Top t = r.layers().get(l).get(i).top().getFirst();
                top[l][i] = visible(piece(tok, t.id()));
                prob[l][i] = t.probability();
                if (differs != null) {
                    differs[l][i] = reference.layers().get(l).get(i).top().getFirst().id() != t.id();
                }
            }
            norms[l] = r.lastPosition().get(l).residualNorm();
        }
        return new LensPicture.Panel(title, top, prob, norms, differs);
    }

    private static List<String> pieces(Tokenizer tok, int[] ids) {
        List<String> out = new ArrayList<>();
        for (int id : ids) {
            out.add(piece(tok, id));
        }
        return out;
    }

    /** What a token stands for as text; control tokens (BOS) by their vocabulary piece. */
    static String piece(Tokenizer tok, int id) {
        byte[] b = tok.tokenBytes(id);
        return b.length == 0 ? tok.piece(id) : new String(b, StandardCharsets.UTF_8);
    }

    private static String quote(String s) {
        return "'" + s.replace("\n", "\\n") + "'";
    }

    /** A piece for the picture: a leading space as '·', a newline as \n. */
    private static String visible(String s) {
        return s.replace("\n", "\\n").replace(' ', '\u00b7');
    }
}
