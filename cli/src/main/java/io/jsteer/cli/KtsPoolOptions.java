package io.jsteer.cli;

import io.jsteer.steering.kts.experiments.ConceptFiles;
import io.jsteer.steering.kts.experiments.PromptFormat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Where the KTS concept pool and target come from (files in the reference code's layout, or the
 * built-in stories260K files): shared by kts train, which steers training with the pool, and kts
 * vectors, which reports the same pool's vectors.
 */
final class KtsPoolOptions {

    static final String BUILT_IN = "builtin";

    @Option(names = "--concepts", defaultValue = BUILT_IN, paramLabel = "DIR|builtin",
            description = "concept pool: a directory in the reference layout (concept_lists.json + "
                    + "<prefix>_<concept>_generated_concept_sentences.jsonl), or 'builtin' for the stories260K files "
                    + "(the demo's 20 concepts; default: ${DEFAULT-VALUE})")
    String concepts;
    @Option(names = "--refusal-ab", paramLabel = "FILE", description = "also put these refusal A/B items (CAA layout) in the pool, as the reference does")
    Path refusalAb;
    @Option(names = "--target", defaultValue = BUILT_IN, paramLabel = "FILE|builtin",
            description = "target vector pairs: CAA A/B items or {positive, negative} records; 'builtin' = stories260K happy/sad (default: ${DEFAULT-VALUE})")
    String target;
    @Option(names = "--styles", paramLabel = "wrapped,bare", description = "pool entries per concept: the \"Think about the concept\" "
            + "wrapper, the bare sentences, or both (default: both for a directory, bare for the built-in files)")
    String styles;
    @Option(names = "--system", defaultValue = "", paramLabel = "TEXT", description = "system prompt of template-rendered pairs (default: none, as the reference)")
    String system;

    boolean builtIn() {
        return concepts.equals(BUILT_IN);
    }

    /** Where the pool comes from, for reports. */
    String source() {
        return builtIn() ? "built-in " + ConceptFiles.BUILT_IN : concepts;
    }

    /** The pool entries (test split: sentences 160-199), then the refusal A/B entry if given. */
    List<ConceptFiles.NamedPairs> pool(boolean test, long seed) throws IOException {
        ConceptFiles files = builtIn() ? ConceptFiles.builtIn() : ConceptFiles.directory(Path.of(concepts));
        String st = styles();
        List<String> parts = List.of(st.split(","));
        for (String p : parts) {
            if (!p.equals("wrapped") && !p.equals("bare")) {
                throw new UsageException("--styles must list wrapped and/or bare, got '" + st + "'");
            }
        }
        List<ConceptFiles.NamedPairs> pool = new ArrayList<>(files.pool(test, seed, parts.contains("wrapped"), parts.contains("bare")));
        if (refusalAb != null) {
            pool.add(ConceptFiles.refusalAb(refusalAb, test));
        }
        return pool;
    }

    ConceptFiles.NamedPairs target(boolean test) throws IOException {
        return readTarget(target, test);
    }

    /** A --target value's pairs: the built-in happy/sad file or a target file (kts train, and kts eval/apply rebuilding it). */
    static ConceptFiles.NamedPairs readTarget(String target, boolean test) throws IOException {
        return target.equals(BUILT_IN) ? ConceptFiles.builtIn().builtInTarget() : ConceptFiles.target(Path.of(target), test);
    }

    /** The styles in use (the default depends on the source). */
    String styles() {
        return styles != null ? styles : builtIn() ? "bare" : "wrapped,bare";
    }

    /** These options as a run records them: absolute paths, so that eval and apply find the files from any directory. */
    KtsRunFiles.PoolOptions record(PromptFormat format, String template) {
        return new KtsRunFiles.PoolOptions(builtIn() ? BUILT_IN : absolute(concepts), refusalAb == null ? null : absolute(refusalAb.toString()),
                styles(), target.equals(BUILT_IN) ? BUILT_IN : absolute(target), format.kind().name().toLowerCase(java.util.Locale.ROOT),
                template, system);
    }

    private static String absolute(String path) {
        return Path.of(path).toAbsolutePath().normalize().toString();
    }
}
