package io.jsteer.tensor.autograd;

import io.jsteer.tensor.FloatTensor;

/**
 * Row lookup {@code out[t] = table[ids[t]]}, giving {@code [T, dim]}. From a frozen stored
 * table the result is a constant; from a graph table {@code [V, dim]} the gradient is
 * scattered back (added, so repeated ids sum).
 */
final class Embedding implements Node {

    private final Var table, out;
    private final int[] ids;

    private Embedding(Var table, Var out, int[] ids) {
        this.table = table;
        this.out = out;
        this.ids = ids;
    }

    static Var apply(Tape tape, Var table, int[] ids) {
        int dim = table.cols(), vocab = table.rows();
        Storage y = tape.precision().allocate(ids.length * dim);
        for (int t = 0; t < ids.length; t++) {
            checkId(ids[t], vocab);
            y.axpy(t * dim, 1, table.data(), ids[t] * dim, dim);
        }
        Var out = tape.result(new int[] {ids.length, dim}, y, table);
        if (out.requiresGrad()) {
            tape.record(new Embedding(table, out, ids.clone()));
        }
        return out;
    }

    static Var frozen(Tape tape, FloatTensor table, int dim, int[] ids) {
        long vocab = table.size() / dim;
        Storage y = tape.precision().allocate(ids.length * dim);
        float[] row = new float[dim];
        for (int t = 0; t < ids.length; t++) {
            checkId(ids[t], vocab);
            table.copyTo((long) ids[t] * dim, row, 0, dim);
            y.axpy(t * dim, 1, row, 0, dim);
        }
        return tape.result(new int[] {ids.length, dim}, y);
    }

    private static void checkId(int id, long vocab) {
        if (id < 0 || id >= vocab) {
            throw new IndexOutOfBoundsException("token id " + id + " outside vocabulary of " + vocab);
        }
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        int dim = table.cols();
        Storage gt = table.gradForAccumulation();
        for (int t = 0; t < ids.length; t++) {
            gt.axpy(ids[t] * dim, 1, out.grad(), t * dim, dim);
        }
    }
}
