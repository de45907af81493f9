package io.jsteer.model.intervene;

import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;

/** Brings an intervention's parameter onto a tape of possibly another precision. */
final class TapeParams {

    private TapeParams() {}

    /**
     * {@code v} itself when the precisions agree; a constant copy of its values when they do not
     * and {@code v} is not trained; an error for a trained parameter of the wrong precision (its
     * gradient would be lost).
     */
    static Var onTape(Tape tape, Var v, String name) {
        if (v.precision() == tape.precision()) {
            return v;
        }
        if (v.requiresGrad()) {
            throw new IllegalArgumentException("trainable " + name + " is " + v.precision() + " but the tape is "
                    + tape.precision() + "; make the parameter in the tape's precision");
        }
        return tape.constant(v.toDoubleArray(), v.shape());
    }

    /** A constant column {@code [T, 1]}: 1 for the rows the positions include, else 0. */
    static Var rowMask(Tape tape, int rows, int promptLength, Positions positions) {
        double[] m = new double[rows];
        for (int t = 0; t < rows; t++) {
            m[t] = positions.includes(t < promptLength) ? 1 : 0;
        }
        return tape.constant(m, rows, 1);
    }

    /** How many of the rows the positions include. */
    static int includedRows(int rows, int promptLength, Positions positions) {
        int n = 0;
        for (int t = 0; t < rows; t++) {
            n += positions.includes(t < promptLength) ? 1 : 0;
        }
        return n;
    }
}
