package io.jsteer.tensor.autograd;

/**
 * How the second operand of a binary elementwise op lines up with the first, {@code a}
 * viewed as {@code [rows, cols]}. The gradient of a broadcast operand is the sum of the
 * output gradient over the positions that reused it.
 */
enum Broadcast {
    /** Same number of values: element i with element i. */
    SAME,
    /** One value for everything. */
    SCALAR,
    /** A row vector {@code [cols]} (or {@code [1, cols]}) repeated for every row. */
    ROW,
    /** A column {@code [rows, 1]}: one value per row. */
    COLUMN;

    static Broadcast of(Var a, Var b) {
        int rows = a.rows(), cols = a.cols();
        if (b.sameShape(a)) {
            return SAME;
        }
        if (b.size() == 1) {
            return SCALAR;
        }
        if (b.cols() == 1 && b.size() == rows && b.rank() >= 2) {
            return COLUMN;
        }
        if (b.size() == cols && b.cols() == cols) {
            return ROW;
        }
        if (b.size() == a.size()) {
            return SAME;
        }
        throw new IllegalArgumentException("cannot broadcast " + b + " over " + a);
    }

    /** Index into b of the value paired with element i of a. */
    int index(int i, int cols) {
        return switch (this) {
            case SAME -> i;
            case SCALAR -> 0;
            case ROW -> i % cols;
            case COLUMN -> i / cols;
        };
    }
}
