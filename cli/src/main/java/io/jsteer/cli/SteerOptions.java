package io.jsteer.cli;

import io.jsteer.cli.serve.SteerSpec;
import io.jsteer.cli.serve.VectorSteering;
import io.jsteer.model.LlamaConfig;
import io.jsteer.model.intervene.Ablate;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.GatedEdit;
import io.jsteer.model.intervene.Intervention;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Strength;
import io.jsteer.steering.mat.MatCheckpoint;
import io.jsteer.steering.vectors.VectorSet;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The steering flags of run and chat (cli.md): vectors to add, directions to project out, a MAT-Steer module. */
final class SteerOptions {

    @Option(names = "--steer", paramLabel = "FILE|NAME[:STRENGTH][:raw][@LAYERS]",
            description = "add a vector set (NAME.json + NAME.safetensors; a NAME is looked up in the current directory, then "
                    + "in --vectors) at its site, at LAYERS (4, 3-6, 0,2,5-7 or all; default: every layer of the set); repeatable. "
                    + "STRENGTH (default 1) is the length added: STRENGTH x the unit direction of each layer's vector, whatever "
                    + "length the file stores; stderr says what share of the stream's typical norm that is. ':raw' multiplies the "
                    + "vector as stored instead (llama.cpp's --control-vector-scaled, older jsteer)")
    List<String> steer = new ArrayList<>();

    @Option(names = "--vectors", paramLabel = "DIR", description = "where --steer and --ablate look up a NAME that is not a file here (as serve does)")
    java.nio.file.Path vectors;

    @Option(names = "--ablate", paramLabel = "FILE[@LAYERS]",
            description = "project the set's direction out of the stream at its site and LAYERS, every token (directional ablation); repeatable")
    List<String> ablate = new ArrayList<>();

    @Option(names = "--positions", paramLabel = "all|prompt|generated", defaultValue = "all",
            description = "which tokens --steer edits: all, the prompt's only, or generated ones only (default: ${DEFAULT-VALUE})")
    String positions;

    @Option(names = "--mat", paramLabel = "FILE",
            description = "apply a MAT-Steer checkpoint (FILE.json + FILE.safetensors from 'jsteer mat train'): its gated, "
                    + "norm-preserving edit at its site, every token, after the --steer/--ablate edits")
    java.nio.file.Path mat;

    @Option(names = "--mat-multiplier", paramLabel = "M", defaultValue = "1",
            description = "scale the MAT-Steer edit: a' = a + M·Σ g_t θ_t before the norm is restored (default 1, the paper; "
                    + "the reference code's runtime 'multiplier')")
    double matMultiplier;

    /** True when no flag asks for steering (commands then skip {@link #interventions}, so flag misuse is caught here). */
    boolean isEmpty() {
        if (mat == null && matMultiplier != 1) {
            throw new UsageException("--mat-multiplier needs --mat");
        }
        return steer.isEmpty() && ablate.isEmpty() && mat == null;
    }

    /** The interventions the flags ask for, checked against the model; an empty set when none. */
    InterventionSet interventions(LlamaConfig config) {
        Positions where;
        try {
            where = Positions.parse(positions);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--positions: " + e.getMessage());
        }
        VectorSteering files = VectorSteering.files(config, vectors);
        List<SteerSpec> adds = new ArrayList<>();
        for (String s : steer) {
            SteerSpec spec = parse("--steer", s);
            adds.add(spec.at(where.label()));
        }
        List<Intervention> items = new ArrayList<>(files.interventions(adds).items());
        files.strengthNotes(adds).forEach(System.err::println);
        for (String a : ablate) {
            SteerSpec spec = parse("--ablate", a);
            if (spec.strength() != 1f) {
                throw new UsageException("--ablate " + a + ": ablation takes no strength (it removes the whole component)");
            }
            if (spec.raw()) {
                throw new UsageException("--ablate " + a + ": ablation takes no strength, so no :raw");
            }
            VectorSet set = files.set(spec.vector());
            for (int layer : files.interventions(List.of(spec)).items().stream().map(i -> i.site().layer()).toList()) {
                items.add(Ablate.of(set.site(layer), set.vector(layer)));
            }
        }
        if (mat != null) {
            items.add(matEdit(mat, config, matMultiplier));
        }
        InterventionSet result = new InterventionSet(items);
        result.validate(config);
        return result;
    }

    /** A FILE[:STRENGTH][@LAYERS] value; a malformed one is a usage error naming the flag (exit 2). */
    private static SteerSpec parse(String flag, String value) {
        try {
            return SteerSpec.parse(value);
        } catch (IllegalArgumentException e) {
            throw new UsageException(flag + ": " + e.getMessage());
        }
    }

    /** The checkpoint's GatedEdit with the paper's multiplier 1, checked against the model (width, layer). */
    static GatedEdit matEdit(java.nio.file.Path file, LlamaConfig config) {
        return matEdit(file, config, 1);
    }

    /** The checkpoint's GatedEdit scaled by {@code multiplier}, checked against the model with the file named in errors. */
    static GatedEdit matEdit(java.nio.file.Path file, LlamaConfig config, double multiplier) {
        if (!(Double.isFinite(multiplier) && multiplier > 0)) {
            throw new UsageException("--mat-multiplier must be a positive number, got " + multiplier);
        }
        Strength.check("--mat-multiplier", multiplier);
        MatCheckpoint module;
        try {
            module = MatCheckpoint.load(file);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("--mat " + file + ": " + e.getMessage(), e);
        }
        try {
            module.requireCompatible(config, "the model");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--mat " + file + ": " + e.getMessage(), e);
        }
        GatedEdit edit = module.gatedEdit();
        return multiplier == 1 ? edit : new GatedEdit(edit.site(), edit.theta(), edit.gateWeight(), edit.gateBias(), multiplier);
    }

    /** One line per intervention for stderr, so a user sees exactly what was applied where. */
    static String describe(InterventionSet set) {
        StringBuilder sb = new StringBuilder();
        for (Intervention i : set.items()) {
            if (!sb.isEmpty()) {
                sb.append('\n');
            }
            if (i instanceof AddVector a) {
                sb.append(String.format(java.util.Locale.ROOT, "steering: + vector of length %.3g at %s (%s tokens)",
                        Math.abs(a.strength()) * norm(a.vector()), a.site(), a.positions().label()));
            } else if (i instanceof GatedEdit g) {
                sb.append(String.format("steering: MAT-Steer gated edit of %d attribute(s) at %s (every token%s)", g.attributes(), g.site(),
                        g.multiplier() == 1 ? "" : String.format(java.util.Locale.ROOT, ", multiplier %.3g", g.multiplier())));
            } else {
                sb.append("steering: ").append(i.kind()).append(" at ").append(i.site());
            }
        }
        return sb.toString();
    }

    /** The L2 norm of a [dim] vector. */
    private static double norm(io.jsteer.tensor.autograd.Var v) {
        double sq = 0;
        for (int i = 0; i < v.size(); i++) {
            sq += (double) v.get(i) * v.get(i);
        }
        return Math.sqrt(sq);
    }

    /** MAT-Steer's gates over the run: the mean gate per attribute and the tokens with a gate above 0.5 (spec §6). */
    static String gateReport(io.jsteer.steering.mat.GateStats s) {
        StringBuilder g = new StringBuilder();
        for (int t = 0; t < s.attributes().size(); t++) {
            g.append(String.format(java.util.Locale.ROOT, " %s %.3f", s.attributes().get(t), s.meanGate()[t]));
        }
        return String.format(java.util.Locale.ROOT, "mat: mean gates%s; %d of %d tokens intervened (gate > 0.5)", g,
                Math.round(s.intervenedPerText()), Math.round(s.tokensPerText()));
    }

    /**
     * Counts the tokens the first intervention edited, split into prompt tokens (prefill) and
     * generated ones (one per decode step), so a user sees what "positions" meant in this run.
     * It is an observer: the engine runs it after the steering at the same site.
     */
    static final class TokenCount {
        private final Intervention first;
        private int prompt, generated;

        TokenCount(Intervention first) {
            this.first = first;
        }

        io.jsteer.model.intervene.Hooks observer(io.jsteer.model.LlamaConfig config) {
            Positions p = first instanceof AddVector a ? a.positions() : Positions.ALL;
            var hooks = new io.jsteer.model.intervene.Hooks(config.nLayers());
            hooks.add(first.site(), (site, pos, inPrompt, x) -> {
                if (p.includes(inPrompt)) {
                    if (inPrompt) {
                        prompt++;
                    } else {
                        generated++;
                    }
                }
            });
            return hooks;
        }

        String report() {
            return String.format("steering at %s edited %d prompt token(s) in prefill and %d generated token(s), one per decode step "
                    + "(the last sampled token is never fed back, so it is not edited)", first.site(), prompt, generated);
        }
    }
}
