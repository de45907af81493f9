package io.jsteer.tensor.autograd;

/**
 * Mean over rows of {@code −log softmax(logits[t])[targets[t]]}, logits {@code [T,V]}; a
 * negative target marks a row to ignore (padding), and the mean is over the other rows.
 * Fused with its softmax: the gradient is {@code (softmax − onehot) / count}.
 */
final class CrossEntropy implements Node {

    private final Var logits, out;
    private final int[] targets;
    private final int count;
    /** softmax of the counted rows (zeros for ignored ones), [T,V]. */
    private final double[] probs;

    private CrossEntropy(Var logits, Var out, int[] targets, int count, double[] probs) {
        this.logits = logits;
        this.out = out;
        this.targets = targets;
        this.count = count;
        this.probs = probs;
    }

    static Var apply(Tape tape, Var logits, int[] targets) {
        int rows = logits.rows(), v = logits.cols();
        if (targets.length != rows) {
            throw new IllegalArgumentException(targets.length + " targets for " + rows + " rows of " + logits);
        }
        Storage xs = logits.data();
        double[] probs = new double[rows * v];
        double total = 0;
        int count = 0;
        for (int r = 0; r < rows; r++) {
            int target = targets[r];
            if (target < 0) {
                continue;
            }
            if (target >= v) {
                throw new IndexOutOfBoundsException("target " + target + " outside " + v + " classes");
            }
            double lse = Softmax.logSumExp(xs, r * v, v);
            total += lse - xs.get(r * v + target);
            for (int c = 0; c < v; c++) {
                probs[r * v + c] = Math.exp(xs.get(r * v + c) - lse);
            }
            count++;
        }
        Storage y = tape.precision().allocate(1);
        y.set(0, count == 0 ? 0 : total / count);
        Var out = tape.result(new int[0], y, logits);
        if (out.requiresGrad() && count > 0) {
            tape.record(new CrossEntropy(logits, out, targets.clone(), count, probs));
        }
        return out;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        int rows = logits.rows(), v = logits.cols();
        double g = out.grad().get(0) / count;
        Storage gx = logits.gradForAccumulation();
        for (int r = 0; r < rows; r++) {
            if (targets[r] < 0) {
                continue;
            }
            for (int c = 0; c < v; c++) {
                gx.add(r * v + c, g * (probs[r * v + c] - (c == targets[r] ? 1 : 0)));
            }
        }
    }
}
