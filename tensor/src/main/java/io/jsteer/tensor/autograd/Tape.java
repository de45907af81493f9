package io.jsteer.tensor.autograd;

import io.jsteer.tensor.FloatTensor;
import io.jsteer.tensor.Parallel;

import java.util.ArrayList;
import java.util.List;

/**
 * Records ops in the order they run and replays their backward passes in reverse. Every op
 * is a method here; its forward and backward live side by side in one small package-private
 * class. One tape serves one forward/backward (a training step): {@link #backward} drops all
 * recorded ops afterwards so the intermediate tensors can be collected, and the tape can be
 * reused for the next step.
 *
 * <p>An op's result needs a gradient when any input does and the tape is not inside a
 * {@link #noGrad()} scope; only such ops are recorded. All tensors of a tape have the tape's
 * {@link Precision}. A tape is used by one thread; ops may split their work over the
 * {@link Parallel} given at construction.
 *
 * <pre>{@code
 * Var w = Var.param(Precision.F32, init, 4, 3);          // [out=4, in=3]
 * Tape tape = new Tape(Precision.F32);
 * Var x = tape.constant(inputs, 8, 3);                    // [T=8, in=3]
 * Var loss = tape.mean(tape.square(tape.sub(tape.linear(x, w), target)));
 * tape.backward(loss);                                    // w.grad() now holds dloss/dw
 * }</pre>
 */
public final class Tape {

    private final Precision precision;
    private final Parallel parallel;
    private final List<Node> nodes = new ArrayList<>();
    private int noGradDepth;

    /** A single-threaded tape. */
    public Tape(Precision precision) {
        this(precision, null);
    }

    /** A tape whose large ops (matmuls, attention) split their work over {@code parallel} (null: serial). */
    public Tape(Precision precision, Parallel parallel) {
        this.precision = precision;
        this.parallel = parallel;
    }

    public Precision precision() { return precision; }

    /** Number of ops recorded and not yet consumed by a backward pass. */
    public int recordedOps() { return nodes.size(); }

    /** True while ops are being recorded (outside every {@link #noGrad()} scope). */
    public boolean isRecording() { return noGradDepth == 0; }

    /**
     * Opens a scope in which nothing is recorded and no result needs a gradient, e.g. for
     * a reference forward pass: {@code try (var _ = tape.noGrad()) { ... }}. Scopes nest.
     */
    public NoGrad noGrad() {
        noGradDepth++;
        return new NoGrad() {
            private boolean closed;

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    noGradDepth--;
                }
            }
        };
    }

    /** Backpropagates from a one-element {@code loss} (seed gradient 1). */
    public void backward(Var loss) {
        if (loss.size() != 1) {
            throw new IllegalArgumentException("backward(loss) needs a scalar, got " + loss
                    + "; use backward(output, seed)");
        }
        backward(loss, new double[] {1});
    }

    /**
     * Backpropagates {@code seed} (the gradient of some scalar with respect to {@code output})
     * through all recorded ops, accumulating into every gradient that needs one, then forgets
     * the recorded ops.
     */
    public void backward(Var output, double[] seed) {
        if (!output.requiresGrad()) {
            throw new IllegalArgumentException(output + " does not depend on any parameter (or was made under noGrad)");
        }
        if (seed.length != output.size()) {
            throw new IllegalArgumentException("seed of " + seed.length + " values for " + output);
        }
        Storage g = output.gradForAccumulation();
        for (int i = 0; i < seed.length; i++) {
            g.add(i, seed[i]);
        }
        runBackward();
    }

    /** {@link #backward(Var, double[])} with the seed in a storage of this tape's precision (a checkpoint's output gradient). */
    void backward(Var output, Storage seed) {
        output.gradForAccumulation().axpy(0, 1, seed, 0, seed.size());
        runBackward();
    }

    private void runBackward() {
        try {
            for (int i = nodes.size() - 1; i >= 0; i--) {
                Node node = nodes.get(i);
                if (node.output().grad() != null) {
                    node.backward();
                }
            }
        } finally {
            nodes.clear();
        }
    }

    /** Forgets the recorded ops without a backward pass (e.g. after a failed step). */
    public void clear() {
        nodes.clear();
    }

    // ---- plumbing for the ops --------------------------------------------------------------

    /** A fresh tape with this one's precision and parallelism (a checkpoint's recording). */
    Tape inner() {
        return new Tape(precision, parallel);
    }

    /** A result tensor; it needs a gradient when recording and any input needs one. */
    Var result(int[] shape, Storage data, Var... inputs) {
        if (data.precision() != precision) {
            throw new IllegalStateException("op produced " + data.precision() + " on a " + precision + " tape");
        }
        boolean needsGrad = false;
        for (Var in : inputs) {
            if (in.precision() != precision) {
                throw new IllegalArgumentException(in + " used on a " + precision + " tape");
            }
            needsGrad |= in.requiresGrad();
        }
        return new Var(shape, data, needsGrad && isRecording());
    }

    void record(Node node) {
        nodes.add(node);
    }

    void parallelFor(int n, int minChunk, Parallel.RangeBody body) {
        if (parallel == null) {
            body.run(0, n);
        } else {
            parallel.forRange(n, minChunk, body);
        }
    }

    /** As {@link #parallelFor} in chunks the threads claim one by one ({@link Parallel#forRangeBalanced}): any sub-range must do. */
    void parallelForBalanced(int n, int minChunk, Parallel.RangeBody body) {
        if (parallel == null) {
            body.run(0, n);
        } else {
            parallel.forRangeBalanced(n, minChunk, body);
        }
    }

    // ---- leaves ----------------------------------------------------------------------------

    /** A constant of this tape's precision. */
    public Var constant(double[] values, int... shape) { return Var.constant(precision, values, shape); }

    /** A constant of this tape's precision. */
    public Var constant(float[] values, int... shape) { return Var.constant(precision, values, shape); }

    /** A constant copy of a (small) stored tensor, e.g. a norm weight; dequantized. */
    public Var constant(FloatTensor t, int... shape) { return Var.constant(precision, t.toFloatArray(), shape); }

    public Var scalar(double value) { return Var.scalar(precision, value); }

    // ---- linear algebra --------------------------------------------------------------------

    /** {@code a[M,K] · b[K,N]}. */
    public Var matmul(Var a, Var b) { return MatMul.apply(this, a, b, false); }

    /** {@code a[M,K] · b[N,K]ᵀ}: a linear layer with a graph weight stored {@code [out,in]}. */
    public Var linear(Var x, Var w) { return MatMul.apply(this, x, w, true); }

    /**
     * {@code x[..., in] · Wᵀ} with a frozen stored weight {@code W[out,in]} of any dtype
     * (no gradient to W; the weight is never copied whole).
     */
    public Var linear(Var x, FloatTensor w, int outFeatures) { return FrozenMatMul.apply(this, x, w, outFeatures); }

    // ---- recomputation ---------------------------------------------------------------------

    /** A function of one tensor built on the tape it is given, e.g. one transformer block. */
    @FunctionalInterface
    public interface Segment {
        Var apply(Tape tape, Var x);
    }

    /**
     * {@code segment(x)} without keeping its intermediate tensors: it runs on an inner tape that is
     * dropped at once, and runs again during {@link #backward} to backpropagate through it
     * (activation recomputation, "gradient checkpointing"). Gradients reach x and every trainable
     * Var the segment uses. The segment must compute the same function both times; see
     * {@code Checkpoint}. Outside recording (a no-grad scope) it simply runs {@code segment} here.
     */
    public Var checkpoint(Var x, Segment segment) { return Checkpoint.apply(this, x, segment); }

    /**
     * Inverted dropout of every element with probability p (kept ones scaled by {@code 1/(1−p)}),
     * the mask drawn from {@code seed}: one seed, one mask. p = 0 returns x itself.
     */
    public Var dropout(Var x, double p, long seed) { return Dropout.apply(this, x, p, seed); }

    // ---- elementwise -----------------------------------------------------------------------

    /** {@code a + b}; b may be the same shape, a scalar, a row {@code [cols]} or a column {@code [rows,1]}. */
    public Var add(Var a, Var b) { return Binary.apply(this, a, b, Binary.Kind.ADD); }

    /** {@code a − b}, broadcasting b like {@link #add}. */
    public Var sub(Var a, Var b) { return Binary.apply(this, a, b, Binary.Kind.SUB); }

    /** {@code a ⊙ b}, broadcasting b like {@link #add}. */
    public Var mul(Var a, Var b) { return Binary.apply(this, a, b, Binary.Kind.MUL); }

    /** {@code a / b}, broadcasting b like {@link #add}. */
    public Var div(Var a, Var b) { return Binary.apply(this, a, b, Binary.Kind.DIV); }

    /** {@code c · x} for a constant c. */
    public Var scale(Var x, double c) { return Affine.apply(this, x, c, 0); }

    /** {@code x + c} for a constant c. */
    public Var addScalar(Var x, double c) { return Affine.apply(this, x, 1, c); }

    public Var neg(Var x) { return Affine.apply(this, x, -1, 0); }

    public Var exp(Var x) { return Unary.apply(this, x, Unary.Kind.EXP); }

    public Var log(Var x) { return Unary.apply(this, x, Unary.Kind.LOG); }

    public Var square(Var x) { return Unary.apply(this, x, Unary.Kind.SQUARE); }

    public Var sqrt(Var x) { return Unary.apply(this, x, Unary.Kind.SQRT); }

    public Var abs(Var x) { return Unary.apply(this, x, Unary.Kind.ABS); }

    public Var sigmoid(Var x) { return Unary.apply(this, x, Unary.Kind.SIGMOID); }

    /** {@code x · sigmoid(x)}. */
    public Var silu(Var x) { return Unary.apply(this, x, Unary.Kind.SILU); }

    public Var tanh(Var x) { return Unary.apply(this, x, Unary.Kind.TANH); }

    public Var relu(Var x) { return Unary.apply(this, x, Unary.Kind.RELU); }

    /** {@code silu(gate) ⊙ up}. */
    public Var swiglu(Var gate, Var up) { return SwiGlu.apply(this, gate, up); }

    // ---- reductions ------------------------------------------------------------------------

    /** Sum of all values, a scalar. */
    public Var sum(Var x) { return Reduce.apply(this, x, false, false); }

    /** Mean of all values, a scalar. */
    public Var mean(Var x) { return Reduce.apply(this, x, true, false); }

    /** Sums along the last axis, shape {@code [..., 1]}. */
    public Var sumRows(Var x) { return Reduce.apply(this, x, false, true); }

    /** Means along the last axis, shape {@code [..., 1]}. */
    public Var meanRows(Var x) { return Reduce.apply(this, x, true, true); }

    /** Euclidean norm of every row, {@code [..., 1]}. */
    public Var rowNorm(Var x) { return RowNorm.apply(this, x); }

    /** Cosine similarity of matching rows of a and b, {@code [..., 1]}. */
    public Var cosineSimilarity(Var a, Var b) { return CosineSimilarity.apply(this, a, b); }

    // ---- transformer pieces ----------------------------------------------------------------

    /** RMSNorm of every row with weight {@code w[cols]} (null: no weight). */
    public Var rmsNorm(Var x, Var w, double eps) { return RmsNorm.apply(this, x, w, eps); }

    /** RoPE of {@code x[T, heads*hs]} with row t at position {@code startPos + t}. */
    public Var rope(Var x, RopeFrequencies freqs, int startPos) {
        int[] positions = new int[x.rows()];
        for (int t = 0; t < positions.length; t++) {
            positions[t] = startPos + t;
        }
        return Rope.apply(this, x, freqs, positions);
    }

    /** RoPE of {@code x[T, heads*hs]} with row t at {@code positions[t]}. */
    public Var rope(Var x, RopeFrequencies freqs, int[] positions) { return Rope.apply(this, x, freqs, positions.clone()); }

    /**
     * Causal self-attention, scale {@code 1/sqrt(headSize)}: q {@code [T, heads*hs]}, k and v
     * {@code [T, kvHeads*hs]} → {@code [T, heads*hs]}.
     */
    public Var attention(Var q, Var k, Var v, int heads, int kvHeads, int headSize) {
        return Attention.apply(this, q, k, v, heads, kvHeads, headSize, 0);
    }

    /** {@link #attention} where row t sees only the last {@code window} rows up to itself (0: all). */
    public Var attention(Var q, Var k, Var v, int heads, int kvHeads, int headSize, int window) {
        return Attention.apply(this, q, k, v, heads, kvHeads, headSize, window);
    }

    public Var softmax(Var x) { return Softmax.apply(this, x, false); }

    public Var logSoftmax(Var x) { return Softmax.apply(this, x, true); }

    /** Rows {@code table[ids[t]]} of a graph table {@code [V, dim]}; gradients scatter back. */
    public Var embedding(Var table, int[] ids) { return Embedding.apply(this, table, ids); }

    /** Rows of a frozen stored table {@code [V, dim]}: a constant {@code [T, dim]}. */
    public Var embedding(FloatTensor table, int dim, int[] ids) { return Embedding.frozen(this, table, dim, ids); }

    // ---- shapes ----------------------------------------------------------------------------

    /** The same values with another shape (a view); one dimension may be -1. */
    public Var reshape(Var x, int... shape) { return Reshape.apply(this, x, shape); }

    /** Joins along {@code axis} (negative counts from the end). */
    public Var concat(int axis, Var... parts) { return Concat.apply(this, axis, parts); }

    /** Indices {@code [start, end)} of {@code axis} (negative counts from the end). */
    public Var slice(Var x, int axis, int start, int end) { return Slice.apply(this, x, axis, start, end); }

    // ---- losses ----------------------------------------------------------------------------

    /** Mean cross-entropy of logits {@code [T,V]} against targets; a negative target is ignored. */
    public Var crossEntropy(Var logits, int[] targets) { return CrossEntropy.apply(this, logits, targets); }

    /** Mean over rows of {@code KL(P ‖ Q)} from log-probabilities {@code [T,V]}. */
    public Var klDivergence(Var logP, Var logQ) { return KlDivergence.apply(this, logP, logQ, null); }

    /** Mean over the rows where {@code rowMask} is true of {@code KL(P ‖ Q)}. */
    public Var klDivergence(Var logP, Var logQ, boolean[] rowMask) { return KlDivergence.apply(this, logP, logQ, rowMask); }

    /** {@code ‖x_i − y_j‖²} for rows of x {@code [N,D]} and y {@code [M,D]}, giving {@code [N,M]}. */
    public Var pairwiseSquaredDistances(Var x, Var y) { return PairwiseSqDist.apply(this, x, y); }

    /** Gaussian kernel matrix {@code exp(−‖x_i − y_j‖² / (2σ²))}, {@code [N,M]}. */
    public Var gaussianKernel(Var x, Var y, double sigma) {
        return exp(scale(pairwiseSquaredDistances(x, y), -1 / (2 * sigma * sigma)));
    }

    /**
     * Biased squared MMD with a Gaussian kernel: {@code mean k(x,x') + mean k(y,y') − 2 mean k(x,y)}
     * over all pairs (diagonals included), a scalar.
     */
    public Var mmdSquared(Var x, Var y, double sigma) {
        Var xx = mean(gaussianKernel(x, x, sigma));
        Var yy = mean(gaussianKernel(y, y, sigma));
        Var xy = mean(gaussianKernel(x, y, sigma));
        return sub(add(xx, yy), scale(xy, 2));
    }
}
