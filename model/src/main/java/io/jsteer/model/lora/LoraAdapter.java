package io.jsteer.model.lora;

import io.jsteer.model.LlamaConfig;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Storage;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A LoRA adapter set: for every block and every targeted projection {@code y = W x} a low-rank
 * side path {@code y += s · B (A x)} with {@code A [rank, in]}, {@code B [out, rank]} and
 * {@code s = alpha / rank}. The base weights are untouched. A and B are trainable {@link Var}s;
 * the inference path ({@code CpuEngine.setAdapter}) reads their current values, so it sees the
 * adapter as trained so far without any copy.
 *
 * <p>{@link #initialize} follows PEFT: A ~ U(−1/√in, 1/√in) (kaiming-uniform with a = √5), B = 0,
 * so a new adapter leaves the model unchanged and the first gradients reach B.
 */
public final class LoraAdapter {

    private final int layers;
    private final int rank;
    private final double alpha;
    private final Set<LoraTarget> targets;
    /** [layer][target.ordinal()], null where the target is not adapted. */
    private final Var[][] a, b;

    private LoraAdapter(int layers, int rank, double alpha, Set<LoraTarget> targets, Var[][] a, Var[][] b) {
        this.layers = layers;
        this.rank = rank;
        this.alpha = alpha;
        this.targets = Collections.unmodifiableSet(EnumSet.copyOf(targets));
        this.a = a;
        this.b = b;
    }

    /**
     * A new adapter for every block of {@code c}: A ~ U(±1/√in), B = 0.
     *
     * @param targets the projections to adapt (e.g. {@code EnumSet.allOf(LoraTarget.class)})
     */
    public static LoraAdapter initialize(LlamaConfig c, int rank, double alpha, Set<LoraTarget> targets, long seed,
                                         Precision precision) {
        check(rank, alpha, targets);
        SplittableRandom random = new SplittableRandom(seed);
        int n = LoraTarget.values().length;
        Var[][] a = new Var[c.nLayers()][n], b = new Var[c.nLayers()][n];
        for (int l = 0; l < c.nLayers(); l++) {
            for (LoraTarget t : EnumSet.copyOf(targets)) {
                int in = t.inFeatures(c), out = t.outFeatures(c);
                double bound = 1 / Math.sqrt(in);
                double[] values = new double[rank * in];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (2 * random.nextDouble() - 1) * bound;
                }
                a[l][t.ordinal()] = Var.param(precision, values, rank, in).named("blk." + l + "." + t.label() + ".lora_a");
                b[l][t.ordinal()] = Var.zerosParam(precision, out, rank).named("blk." + l + "." + t.label() + ".lora_b");
            }
        }
        return new LoraAdapter(c.nLayers(), rank, alpha, targets, a, b);
    }

    /** A float32 adapter of {@link #initialize(LlamaConfig, int, double, Set, long, Precision)}. */
    public static LoraAdapter initialize(LlamaConfig c, int rank, double alpha, Set<LoraTarget> targets, long seed) {
        return initialize(c, rank, alpha, targets, seed, Precision.F32);
    }

    /**
     * An adapter from given matrices (e.g. read from a file), checked against {@code c}.
     *
     * @param a per layer, per target ordinal: {@code [rank, in]} or null when not targeted
     * @param b per layer, per target ordinal: {@code [out, rank]} or null when not targeted
     */
    public static LoraAdapter of(LlamaConfig c, int rank, double alpha, Set<LoraTarget> targets, Var[][] a, Var[][] b) {
        check(rank, alpha, targets);
        LoraAdapter adapter = new LoraAdapter(a.length, rank, alpha, targets, a, b);
        adapter.validate(c);
        return adapter;
    }

    private static void check(int rank, double alpha, Set<LoraTarget> targets) {
        if (rank < 1) {
            throw new IllegalArgumentException("LoRA rank must be at least 1, got " + rank);
        }
        if (!(alpha > 0) || !Double.isFinite(alpha)) {
            throw new IllegalArgumentException("LoRA alpha must be positive, got " + alpha);
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("a LoRA adapter needs at least one target projection");
        }
    }

    /** Checks the block count and every matrix's shape against the model, naming the first mismatch. */
    public void validate(LlamaConfig c) {
        if (layers != c.nLayers() || a.length != b.length) {
            throw new IllegalArgumentException("the adapter has " + layers + " blocks, the model has " + c.nLayers());
        }
        for (int l = 0; l < layers; l++) {
            if (a[l].length != LoraTarget.values().length || b[l].length != LoraTarget.values().length) {
                throw new IllegalArgumentException("block " + l + ": one slot per LoRA target expected");
            }
            for (LoraTarget t : LoraTarget.values()) {
                Var ma = a[l][t.ordinal()], mb = b[l][t.ordinal()];
                String name = "blk." + l + "." + t.label();
                if (!targets.contains(t)) {
                    if (ma != null || mb != null) {
                        throw new IllegalArgumentException(name + " has matrices but " + t.label() + " is not a target");
                    }
                    continue;
                }
                if (ma == null || mb == null) {
                    throw new IllegalArgumentException(name + ".lora_" + (ma == null ? "a" : "b") + " is missing");
                }
                shape(name + ".lora_a", ma, rank, t.inFeatures(c));
                shape(name + ".lora_b", mb, t.outFeatures(c), rank);
                if (ma.precision() != mb.precision() || ma.precision() != a[0][firstTarget().ordinal()].precision()) {
                    throw new IllegalArgumentException(name + ": all adapter matrices must have one precision");
                }
            }
        }
    }

    private static void shape(String name, Var m, int rows, int cols) {
        if (m.rank() != 2 || m.dim(0) != rows || m.dim(1) != cols) {
            throw new IllegalArgumentException(name + " has shape " + Arrays.toString(m.shape()) + ", the model needs ["
                    + rows + ", " + cols + "]");
        }
    }

    private LoraTarget firstTarget() {
        return targets.iterator().next();
    }

    public int layers() { return layers; }

    public int rank() { return rank; }

    public double alpha() { return alpha; }

    /** {@code alpha / rank}. */
    public double scale() { return alpha / rank; }

    public Set<LoraTarget> targets() { return targets; }

    public boolean adapts(LoraTarget t) { return targets.contains(t); }

    public Precision precision() { return a[0][firstTarget().ordinal()].precision(); }

    /** {@code A [rank, in]} of one projection (a live parameter). */
    public Var a(int layer, LoraTarget t) { return require(a, layer, t); }

    /** {@code B [out, rank]} of one projection (a live parameter). */
    public Var b(int layer, LoraTarget t) { return require(b, layer, t); }

    private Var require(Var[][] m, int layer, LoraTarget t) {
        Var v = m[layer][t.ordinal()];
        if (v == null) {
            throw new IllegalArgumentException(t.label() + " is not a target of this adapter (targets " + labels() + ")");
        }
        return v;
    }

    /** Target labels in enum order, e.g. {@code [q, v]}. */
    public List<String> labels() {
        return targets.stream().map(LoraTarget::label).toList();
    }

    /** Every A and B, block by block, for an optimiser. */
    public List<Var> parameters() {
        List<Var> out = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            for (LoraTarget t : targets) {
                out.add(a[l][t.ordinal()]);
                out.add(b[l][t.ordinal()]);
            }
        }
        return out;
    }

    /**
     * Trainable path: {@code y + s · (x Aᵀ) Bᵀ} for {@code x [T, in]} and the base output
     * {@code y [T, out]}; {@code y} itself when the projection is not targeted.
     */
    public Var apply(Tape tape, int layer, LoraTarget t, Var x, Var y) {
        Var ma = a[layer][t.ordinal()];
        if (ma == null) {
            return y;
        }
        if (ma.precision() != tape.precision()) {
            throw new IllegalArgumentException("the adapter is " + ma.precision() + " but the tape is " + tape.precision());
        }
        Var low = tape.linear(x, ma);                                     // [T, rank]
        return tape.add(y, tape.scale(tape.linear(low, b[layer][t.ordinal()]), scale()));
    }

    /**
     * Inference path, one token: {@code y[0..out) += s · B (A x)} for {@code x[0..in)};
     * nothing when the projection is not targeted. {@code scratch} holds at least rank values.
     */
    public void addTo(int layer, LoraTarget t, float[] x, float[] y, float[] scratch) {
        Var ma = a[layer][t.ordinal()];
        if (ma == null) {
            return;
        }
        Storage sa = ma.data(), sb = b[layer][t.ordinal()].data();
        int in = ma.dim(1), out = b[layer][t.ordinal()].dim(0);
        for (int r = 0; r < rank; r++) {
            scratch[r] = (float) sa.dot(r * in, x, 0, in);
        }
        double s = scale();
        for (int o = 0; o < out; o++) {
            y[o] += (float) (s * sb.dot(o * rank, scratch, 0, rank));
        }
    }
}
