package io.jsteer.cli;

import io.jsteer.model.LoadedModel;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.steering.kts.data.DemoCorpus;
import io.jsteer.steering.kts.data.RenderedConcept;
import io.jsteer.steering.kts.experiments.ConceptFiles;
import io.jsteer.steering.kts.experiments.PromptFormat;
import io.jsteer.steering.kts.experiments.PromptPair;
import io.jsteer.steering.vectors.Provenance;
import io.jsteer.steering.vectors.VectorSet;
import io.jsteer.steering.vectors.VectorSetFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import picocli.CommandLine.Option;

/**
 * The target of a KTS run as kts train read it, for kts eval and kts apply: the run's recorded pool
 * options (train.json {@code pool.options}) go through the same readers ({@link KtsPoolOptions#readTarget})
 * and renderers ({@link KtsFormatOptions}, {@code NamedPairs.render}) as in training, so the vector
 * measured and applied is the one the adapter was calibrated with. Also the pool check of
 * {@code kts train --resume}.
 */
final class KtsTarget {

    /** Overrides of the run's target (same names as kts train's options); unset = as the run was trained. */
    static final class Options {
        @Option(names = "--target", paramLabel = "FILE|builtin", description = "target vector pairs instead of the run's "
                + "(CAA A/B items or {positive, negative} records; 'builtin' = stories260K happy/sad; default: the target kts train used)")
        String target;
        @Option(names = "--format", paramLabel = "auto|plain|reference|template",
                description = "how the target pairs are rendered (default: the format kts train used)")
        String format;
        @Option(names = "--template", paramLabel = "NAME|FILE", description = "chat template of --format template (default: the run's)")
        String template;
        @Option(names = "--system", paramLabel = "TEXT", description = "system prompt of template-rendered pairs (default: the run's)")
        String system;

        boolean any() {
            return target != null || format != null || template != null || system != null;
        }
    }

    /** The target's pairs rendered to {first, second} ids, and what they are, for reports. */
    record Rendered(String description, List<int[][]> ids) {}

    /** The demo's happy/sad pairs that runs without a recorded pool were measured with (train's seed + 1). */
    private static final int LEGACY_PAIRS = 32;

    private KtsTarget() {}

    /**
     * The run's target as trained, or as {@code override} changes it; runs whose train.json records
     * no pool options keep the demo's happy/sad pairs in plain prompts, with a note on stderr.
     */
    static Rendered of(KtsRunFiles run, KtsRunFiles.TrainSummary summary, Options override, CommonOptions common, String command,
                       LoadedModel model) throws IOException {
        var tok = model.tokenizer();
        KtsRunFiles.PoolSummary pool = summary.pool();
        KtsRunFiles.PoolOptions recorded = pool == null ? null : pool.options();
        if (recorded == null && !override.any()) {
            long seed = summary.config().seed() + 1;
            System.err.println(command + ": note: " + run.summary() + (pool == null ? " has no pool section (a run from before "
                    + "the pool came from files)" : " does not record the pool's options") + "; target: the demo's " + LEGACY_PAIRS
                    + " happy/sad pairs in plain prompts (seed " + seed + "), as such runs were always measured; --target chooses another");
            List<PromptPair> pairs = DemoCorpus.happySadPairs(LEGACY_PAIRS, seed).stream()
                    .map(p -> PromptPair.prompts(p.positive(), p.negative())).toList();
            return new Rendered("happy/sad (demo, plain prompts)", PromptFormat.plain().render(tok, pairs));
        }
        // an override changes only what it names; a run without a record starts from the built-in target in plain prompts
        String target = override.target != null ? override.target : recorded != null ? recorded.target() : KtsPoolOptions.BUILT_IN;
        String format = override.format != null ? override.format : recorded != null ? recorded.format() : "plain";
        String template = override.template != null ? override.template : recorded != null ? recorded.template() : null;
        String system = override.system != null ? override.system : recorded != null ? recorded.system() : "";
        PromptFormat f = KtsFormatOptions.of(format, template).format(common, command, model, system);
        ConceptFiles.NamedPairs pairs = KtsPoolOptions.readTarget(target, false);
        RenderedConcept rendered = pairs.render(f, tok, Integer.MAX_VALUE);
        boolean asTrained = !override.any();
        if (asTrained && pool.targetSha256() != null && !pool.targetSha256().equals(sha256(List.of(rendered)))) {
            throw new IllegalArgumentException(run.summary() + ": pool.targetSha256: the target rebuilt from " + target + " ("
                    + rendered.pairs().size() + " pairs) differs from the one kts train used (" + pool.targetPairs()
                    + " pairs): the file changed since; pass --target to measure with it anyway");
        }
        String description = pairs.name() + " (" + rendered.pairs().size() + " pairs from " + target + ", " + f.describe() + ")";
        System.err.println(command + ": target: " + description + (asTrained ? ", as kts train used it" : ", given on the command line"));
        return new Rendered(description, rendered.pairs());
    }

    /** Writes a target vector ([nLayers][dim], null rows unsteered) as a vector set at resid_post, for jsteer run --steer. */
    static void writeVector(Path path, float[][] v, String modelName, String description) throws IOException {
        TreeMap<Integer, float[]> rows = new TreeMap<>();
        for (int l = 0; l < v.length; l++) {
            if (v[l] != null) {
                rows.put(l, v[l]);
            }
        }
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        VectorSetFiles.write(path, new VectorSet(SiteKind.RESID_POST, rows,
                Provenance.of(modelName, "", "kts-target-mean-difference", "last", List.of()).with("target", description)));
    }

    /** SHA-256 of rendered entries (names and ids, in order): what a resume and a rebuilt target are compared by. */
    static String sha256(List<RenderedConcept> entries) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4);
        for (RenderedConcept c : entries) {
            md.update(c.name().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            md.update((byte) 0);
            for (int[][] pair : c.pairs()) {
                for (int[] side : pair) {
                    for (int id : side) {
                        md.update(b.clear().putInt(id).array());
                    }
                    md.update(b.clear().putInt(-1).array()); // end of a side
                }
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /**
     * {@code kts train --resume}: the pool, target and format now must be those the run started with
     * (RUN/pool.json, or train.json's pool); the first field that differs is named.
     */
    static void checkResume(KtsRunFiles run, KtsRunFiles.PoolSummary now) throws IOException {
        Path where = run.pool();
        KtsRunFiles.PoolSummary was = null;
        if (Files.isRegularFile(where)) {
            was = KtsRunFiles.JSON.readValue(io.jsteer.weights.InputFiles.readText("", where, io.jsteer.weights.InputFiles.TEXT_LIMIT),
                    KtsRunFiles.PoolSummary.class);
        } else if (Files.isRegularFile(run.summary())) {
            where = run.summary();
            was = run.readSummary().pool();
        }
        if (was == null || was.options() == null) {
            System.err.println("jsteer kts train: note: --resume: " + run.dir() + " records no pool options (a run from before they "
                    + "were recorded): the pool and target are not checked against the checkpoint");
            return;
        }
        KtsRunFiles.PoolOptions a = was.options(), b = now.options();
        List<Object[]> fields = new ArrayList<>(List.of(
                new Object[] {"--concepts", a.concepts(), b.concepts()}, new Object[] {"--refusal-ab", a.refusalAb(), b.refusalAb()},
                new Object[] {"--styles", a.styles(), b.styles()}, new Object[] {"--target", a.target(), b.target()},
                new Object[] {"--format", a.format(), b.format()}, new Object[] {"--template", a.template(), b.template()},
                new Object[] {"--system", a.system(), b.system()}, new Object[] {"pool entries", was.entries(), now.entries()},
                new Object[] {"pairs per entry", was.pairs(), now.pairs()},
                new Object[] {"target pairs", was.targetPairs(), now.targetPairs()},
                new Object[] {"the pool's rendered pairs (sha256; the files changed, or --seed)", was.poolSha256(), now.poolSha256()},
                new Object[] {"the target's rendered pairs (sha256; the file changed)", was.targetSha256(), now.targetSha256()}));
        for (Object[] f : fields) {
            if (!Objects.equals(f[1], f[2])) {
                throw new IllegalArgumentException("--resume: " + where + " records " + f[0] + " " + shown(f[1]) + ", now " + shown(f[2])
                        + "; resume with the pool, target and format the run started with (or train into a new --out)");
            }
        }
    }

    private static String shown(Object value) {
        return value == null ? "(none)" : value instanceof String s ? "'" + s + "'" : value.toString();
    }
}
