package io.jsteer.tensor.autograd;

/**
 * Rotary position embedding of {@code x[T, heads*headSize]}: row t is at position
 * {@code positions[t]}, and in every head each pair of dimensions (chosen by the
 * {@link RopeLayout}) is rotated by {@code position * freq[pair]}. A rotation is orthogonal,
 * so the backward pass rotates the gradient by the opposite angle.
 */
final class Rope implements Node {

    private final Var x, out;
    private final RopeFrequencies f;
    /** cos and sin per [t][pair], shared by every head. */
    private final double[] cos, sin;

    private Rope(Var x, Var out, RopeFrequencies f, double[] cos, double[] sin) {
        this.x = x;
        this.out = out;
        this.f = f;
        this.cos = cos;
        this.sin = sin;
    }

    static Var apply(Tape tape, Var x, RopeFrequencies f, int[] positions) {
        int rows = x.rows(), cols = x.cols(), hs = f.headSize(), half = hs / 2;
        if (cols % hs != 0 || positions.length != rows) {
            throw new IllegalArgumentException("rope: " + x + " with head size " + hs + " and "
                    + positions.length + " positions");
        }
        double[] cos = new double[rows * half], sin = new double[rows * half];
        for (int t = 0; t < rows; t++) {
            for (int i = 0; i < half; i++) {
                double angle = positions[t] * f.freq(i);
                cos[t * half + i] = Math.cos(angle);
                sin[t * half + i] = Math.sin(angle);
            }
        }
        Storage y = tape.precision().allocate(x.size());
        rotate(x.data(), y, rows, cols, f, cos, sin, 1);
        Var out = tape.result(x.shape(), y, x);
        if (out.requiresGrad()) {
            tape.record(new Rope(x, out, f, cos, sin));
        }
        return out;
    }

    /** dst += R(direction·angle) src, pairwise in every head. */
    private static void rotate(Storage src, Storage dst, int rows, int cols, RopeFrequencies f,
                               double[] cos, double[] sin, int direction) {
        int hs = f.headSize(), half = hs / 2;
        boolean neox = f.layout() == RopeLayout.NEOX;
        for (int t = 0; t < rows; t++) {
            for (int head = 0; head < cols; head += hs) {
                int base = t * cols + head;
                for (int i = 0; i < half; i++) {
                    int i0 = base + (neox ? i : 2 * i);
                    int i1 = base + (neox ? i + half : 2 * i + 1);
                    double c = cos[t * half + i], s = direction * sin[t * half + i];
                    double v0 = src.get(i0), v1 = src.get(i1);
                    dst.add(i0, v0 * c - v1 * s);
                    dst.add(i1, v0 * s + v1 * c);
                }
            }
        }
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        rotate(out.grad(), x.gradForAccumulation(), x.rows(), x.cols(), f, cos, sin, -1);
    }
}
