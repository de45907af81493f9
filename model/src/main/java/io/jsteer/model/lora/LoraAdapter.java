package io.jsteer.model.lora;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.LlamaWeights;
import io.jsteer.tensor.FloatTensor;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Storage;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A LoRA adapter set: for every adapted block and every targeted projection {@code y = W x} a
 * low-rank side path {@code y += s · B (A x)} with {@code A [rank, in]}, {@code B [out, rank]} and
 * {@code s = alpha / rank}. The base weights are untouched. A and B are trainable {@link Var}s;
 * the inference path ({@code CpuEngine.setAdapter}) reads their current values, so it sees the
 * adapter as trained so far without any copy. The adapted blocks ({@link LoraSpec#layers}) may
 * be a subset; other blocks have no matrices and run the base model unchanged.
 *
 * <p>{@link #initialize} follows PEFT: A ~ U(−1/√in, 1/√in) (kaiming-uniform with a = √5), B = 0,
 * so a new adapter leaves the model unchanged and the first gradients reach B.
 */
public final class LoraAdapter {

    private final int layers;
    private final LoraSpec spec;
    /** [layer][target.ordinal()], null where the block or the target is not adapted. */
    private final Var[][] a, b;

    private LoraAdapter(int layers, LoraSpec spec, Var[][] a, Var[][] b) {
        this.layers = layers;
        this.spec = spec;
        this.a = a;
        this.b = b;
    }

    /**
     * A new adapter for the blocks of {@code spec} (every block when it lists none): A ~ U(±1/√in),
     * B = 0, drawn block by block in ascending order.
     */
    public static LoraAdapter initialize(LlamaConfig c, LoraSpec spec, long seed, Precision precision) {
        checkLayers(c, spec);
        SplittableRandom random = new SplittableRandom(seed);
        int n = LoraTarget.values().length;
        Var[][] a = new Var[c.nLayers()][n], b = new Var[c.nLayers()][n];
        for (int l : spec.adaptedLayers(c.nLayers())) {
            for (LoraTarget t : spec.targets()) {
                int in = t.inFeatures(c), out = t.outFeatures(c);
                double bound = 1 / Math.sqrt(in);
                double[] values = new double[spec.rank() * in];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (2 * random.nextDouble() - 1) * bound;
                }
                a[l][t.ordinal()] = Var.param(precision, values, spec.rank(), in).named("blk." + l + "." + t.label() + ".lora_a");
                b[l][t.ordinal()] = Var.zerosParam(precision, out, spec.rank()).named("blk." + l + "." + t.label() + ".lora_b");
            }
        }
        return new LoraAdapter(c.nLayers(), spec, a, b);
    }

    /**
     * A new adapter on every block of {@code c}, no dropout.
     *
     * @param targets the projections to adapt (e.g. {@code EnumSet.allOf(LoraTarget.class)})
     */
    public static LoraAdapter initialize(LlamaConfig c, int rank, double alpha, Set<LoraTarget> targets, long seed,
                                         Precision precision) {
        return initialize(c, LoraSpec.of(rank, alpha, targets), seed, precision);
    }

    /** A float32 adapter of {@link #initialize(LlamaConfig, int, double, Set, long, Precision)}. */
    public static LoraAdapter initialize(LlamaConfig c, int rank, double alpha, Set<LoraTarget> targets, long seed) {
        return initialize(c, rank, alpha, targets, seed, Precision.F32);
    }

    /**
     * An adapter from given matrices (e.g. read from a file), checked against {@code c}.
     *
     * @param a per layer, per target ordinal: {@code [rank, in]}, or null when the block or target is not adapted
     * @param b per layer, per target ordinal: {@code [out, rank]}, or null likewise
     */
    public static LoraAdapter of(LlamaConfig c, LoraSpec spec, Var[][] a, Var[][] b) {
        LoraAdapter adapter = new LoraAdapter(a.length, spec, a, b);
        adapter.validate(c);
        return adapter;
    }

    /** {@link #of(LlamaConfig, LoraSpec, Var[][], Var[][])} on every block, no dropout. */
    public static LoraAdapter of(LlamaConfig c, int rank, double alpha, Set<LoraTarget> targets, Var[][] a, Var[][] b) {
        return of(c, LoraSpec.of(rank, alpha, targets), a, b);
    }

    /** The same matrices (shared, not copied) with another dropout probability, e.g. to train a loaded adapter further. */
    public LoraAdapter withDropout(double p) {
        return new LoraAdapter(layers, spec.withDropout(p), a, b);
    }

    private static void checkLayers(LlamaConfig c, LoraSpec spec) {
        if (spec.layers() != null && spec.layers().getLast() >= c.nLayers()) {
            throw new IllegalArgumentException("LoRA layers " + spec.layers() + ": block " + spec.layers().getLast()
                    + " does not exist, the model has " + c.nLayers() + " blocks (0.." + (c.nLayers() - 1) + ")");
        }
    }

    /** Checks the block count and every matrix's shape against the model, naming the first mismatch. */
    public void validate(LlamaConfig c) {
        if (layers != c.nLayers() || a.length != b.length) {
            throw new IllegalArgumentException("the adapter has " + layers + " blocks, the model has " + c.nLayers());
        }
        checkLayers(c, spec);
        Precision first = null;
        for (int l = 0; l < layers; l++) {
            if (a[l].length != LoraTarget.values().length || b[l].length != LoraTarget.values().length) {
                throw new IllegalArgumentException("block " + l + ": one slot per LoRA target expected");
            }
            for (LoraTarget t : LoraTarget.values()) {
                Var ma = a[l][t.ordinal()], mb = b[l][t.ordinal()];
                String name = "blk." + l + "." + t.label();
                if (!spec.targets().contains(t) || !spec.adapts(l)) {
                    if (ma != null || mb != null) {
                        throw new IllegalArgumentException(name + " has matrices but " + (spec.adapts(l)
                                ? t.label() + " is not a target" : "block " + l + " is not in the adapted layers " + spec.layers()));
                    }
                    continue;
                }
                if (ma == null || mb == null) {
                    throw new IllegalArgumentException(name + ".lora_" + (ma == null ? "a" : "b") + " is missing");
                }
                shape(name + ".lora_a", ma, spec.rank(), t.inFeatures(c));
                shape(name + ".lora_b", mb, t.outFeatures(c), spec.rank());
                if (first == null) {
                    first = ma.precision();
                }
                if (ma.precision() != mb.precision() || ma.precision() != first) {
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

    /** Blocks of the model this adapter was made for. */
    public int layers() { return layers; }

    public LoraSpec spec() { return spec; }

    public int rank() { return spec.rank(); }

    public double alpha() { return spec.alpha(); }

    /** {@code alpha / rank}. */
    public double scale() { return spec.alpha() / spec.rank(); }

    /** PEFT's lora_dropout: used by training passes only. */
    public double dropout() { return spec.dropout(); }

    public Set<LoraTarget> targets() { return spec.targets(); }

    public boolean adapts(LoraTarget t) { return spec.targets().contains(t); }

    /** Whether block {@code layer} has matrices. */
    public boolean adaptsLayer(int layer) { return spec.adapts(layer); }

    /** The blocks with matrices, ascending. */
    public List<Integer> adaptedLayers() { return spec.adaptedLayers(layers); }

    /** PEFT's layers_to_transform: the adapted blocks, or null when every block is adapted. */
    public List<Integer> layersToTransform() { return spec.layers(); }

    public Precision precision() {
        int l = adaptedLayers().getFirst();
        return a[l][spec.targets().iterator().next().ordinal()].precision();
    }

    /** {@code A [rank, in]} of one projection (a live parameter). */
    public Var a(int layer, LoraTarget t) { return require(a, layer, t); }

    /** {@code B [out, rank]} of one projection (a live parameter). */
    public Var b(int layer, LoraTarget t) { return require(b, layer, t); }

    private Var require(Var[][] m, int layer, LoraTarget t) {
        if (layer < 0 || layer >= layers || !spec.adapts(layer)) {
            throw new IllegalArgumentException("block " + layer + " is not adapted (adapted blocks " + adaptedLayers() + ")");
        }
        Var v = m[layer][t.ordinal()];
        if (v == null) {
            throw new IllegalArgumentException(t.label() + " is not a target of this adapter (targets " + labels() + ")");
        }
        return v;
    }

    /** Target labels in enum order, e.g. {@code [q, v]}. */
    public List<String> labels() {
        return spec.targets().stream().map(LoraTarget::label).toList();
    }

    /** Every A and B of the adapted blocks, block by block, for an optimiser. */
    public List<Var> parameters() {
        List<Var> out = new ArrayList<>();
        for (int l : adaptedLayers()) {
            for (LoraTarget t : spec.targets()) {
                out.add(a[l][t.ordinal()]);
                out.add(b[l][t.ordinal()]);
            }
        }
        return out;
    }

    /**
     * Trainable path without dropout (an evaluation): {@code y + s · (x Aᵀ) Bᵀ} for
     * {@code x [T, in]} and the base output {@code y [T, out]}; {@code y} itself when the block or
     * projection is not adapted.
     */
    public Var apply(Tape tape, int layer, LoraTarget t, Var x, Var y) {
        return apply(tape, layer, t, x, y, null);
    }

    /**
     * Trainable path of a training pass: {@code y + s · (dropout(x) Aᵀ) Bᵀ}, the side path's input
     * dropped out with {@link #dropout()} under a mask drawn from {@link #maskSeed} of
     * {@code dropoutSeed}, this block and target (null: no dropout). The frozen output y was
     * computed from x itself, as in PEFT.
     */
    public Var apply(Tape tape, int layer, LoraTarget t, Var x, Var y, Long dropoutSeed) {
        Var ma = a[layer][t.ordinal()];
        if (ma == null) {
            return y;
        }
        if (ma.precision() != tape.precision()) {
            throw new IllegalArgumentException("the adapter is " + ma.precision() + " but the tape is " + tape.precision());
        }
        Var in = dropoutSeed == null ? x : tape.dropout(x, spec.dropout(), maskSeed(dropoutSeed, layer, t)); // [T, in]
        Var low = tape.linear(in, ma);                                                                      // [T, rank]
        return tape.add(y, tape.scale(tape.linear(low, b[layer][t.ordinal()]), scale()));                   // [T, out]
    }

    /**
     * The seed of the dropout mask of one block and target in a pass seeded {@code passSeed}: every
     * projection gets its own mask (PEFT has one dropout module per adapted layer), and the same
     * pass seed gives the same masks, e.g. when a checkpointed block is recomputed.
     */
    public static long maskSeed(long passSeed, int layer, LoraTarget t) {
        long slot = (long) layer * LoraTarget.values().length + t.ordinal() + 1;
        // SplittableRandom mixes its seed (murmur3 finalizer) before the first output, so nearby slots decorrelate
        return new SplittableRandom(passSeed ^ (slot * 0x9E3779B97F4A7C15L)).nextLong();
    }

    /**
     * The base weights with this adapter folded in, {@code W' = W + s·B·A} for every targeted
     * projection of the adapted blocks, as new float32 tensors (dequantized from the base dtype);
     * all other tensors are shared with {@code w}. An engine on the result needs no adapter.
     */
    public LlamaWeights mergeInto(LlamaConfig c, LlamaWeights w) {
        validate(c);
        FloatTensor[][] merged = {w.wq().clone(), w.wk().clone(), w.wv().clone(), w.wo().clone(),
            w.w1().clone(), w.w3().clone(), w.w2().clone()}; // in LoraTarget order: q k v o gate up down
        for (int l : adaptedLayers()) {
            for (LoraTarget t : spec.targets()) {
                FloatTensor base = merged[t.ordinal()][l];
                int in = t.inFeatures(c), out = t.outFeatures(c);
                float[] values = base.toFloatArray(); // [out, in]
                Storage sa = a[l][t.ordinal()].data(), sb = b[l][t.ordinal()].data();
                for (int o = 0; o < out; o++) {
                    for (int r = 0; r < rank(); r++) {
                        double coef = scale() * sb.get(o * rank() + r);
                        for (int i = 0; i < in; i++) {
                            values[o * in + i] += (float) (coef * sa.get(r * in + i));
                        }
                    }
                }
                merged[t.ordinal()][l] = FloatTensor.of(values);
            }
        }
        return w.withProjections(merged[0], merged[1], merged[2], merged[3], merged[4], merged[6], merged[5]);
    }

    /**
     * Inference path, one token: {@code y[0..out) += s · B (A x)} for {@code x[0..in)};
     * nothing when the block or projection is not adapted. Never dropout: this is inference. {@code scratch} holds at least rank values.
     */
    public void addTo(int layer, LoraTarget t, float[] x, float[] y, float[] scratch) {
        Var ma = a[layer][t.ordinal()];
        if (ma == null) {
            return;
        }
        Storage sa = ma.data(), sb = b[layer][t.ordinal()].data();
        int in = ma.dim(1), out = b[layer][t.ordinal()].dim(0);
        int rank = rank();
        for (int r = 0; r < rank; r++) {
            scratch[r] = (float) sa.dot(r * in, x, 0, in);
        }
        double s = scale();
        for (int o = 0; o < out; o++) {
            y[o] += (float) (s * sb.dot(o * rank, scratch, 0, rank));
        }
    }
}
