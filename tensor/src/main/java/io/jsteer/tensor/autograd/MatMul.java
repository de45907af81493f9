package io.jsteer.tensor.autograd;

/**
 * Product of two graph matrices: {@code a[M,K] · b[K,N]}, or with {@code transposeB}
 * {@code a[M,K] · b[N,K]ᵀ} (the layout of a weight stored {@code [out,in]}, so a trainable
 * linear layer is {@code matmul(x, w, true)}). Every loop runs over whole rows through
 * {@link Storage#dot}/{@link Storage#axpy}, which keeps float32 on the vector kernels.
 */
final class MatMul implements Node {

    /** Multiply-adds per task below which splitting costs more than it saves. */
    private static final int MIN_WORK_PER_TASK = 1 << 15;
    /** Rows of the output handled together so that a row of b is reused while in L1. */
    private static final int ROW_BLOCK = 8;

    private final Tape tape;
    private final Var a, b, out;
    private final boolean transposeB;
    private final int m, k, n;

    private MatMul(Tape tape, Var a, Var b, Var out, boolean transposeB, int m, int k, int n) {
        this.tape = tape;
        this.a = a;
        this.b = b;
        this.out = out;
        this.transposeB = transposeB;
        this.m = m;
        this.k = k;
        this.n = n;
    }

    static Var apply(Tape tape, Var a, Var b, boolean transposeB) {
        if (a.rank() != 2 || b.rank() != 2) {
            throw new IllegalArgumentException("matmul needs two matrices, got " + a + " and " + b);
        }
        int m = a.dim(0), k = a.dim(1);
        int bk = transposeB ? b.dim(1) : b.dim(0);
        int n = transposeB ? b.dim(0) : b.dim(1);
        if (bk != k) {
            throw new IllegalArgumentException("matmul" + (transposeB ? "ᵀ" : "") + " shapes do not match: " + a + ", " + b);
        }
        Storage c = tape.precision().allocate(m * n);
        if (transposeB) {
            nt(tape, a.data(), b.data(), c, m, k, n);
        } else {
            nn(tape, a.data(), b.data(), c, m, k, n);
        }
        Var out = tape.result(new int[] {m, n}, c, a, b);
        if (out.requiresGrad()) {
            tape.record(new MatMul(tape, a, b, out, transposeB, m, k, n));
        }
        return out;
    }

    @Override
    public Var output() { return out; }

    @Override
    public void backward() {
        Storage g = out.grad();
        if (a.requiresGrad()) {
            // dA[M,K] = dC · B (transposed case) or dC · Bᵀ
            if (transposeB) {
                nn(tape, g, b.data(), a.gradForAccumulation(), m, n, k);
            } else {
                nt(tape, g, b.data(), a.gradForAccumulation(), m, n, k);
            }
        }
        if (b.requiresGrad()) {
            // C = A·Bᵀ: dB[N,K] = dCᵀ · A ; C = A·B: dB[K,N] = Aᵀ · dC
            if (transposeB) {
                tn(tape, g, a.data(), b.gradForAccumulation(), m, n, k);
            } else {
                tn(tape, a.data(), g, b.gradForAccumulation(), m, k, n);
            }
        }
    }

    private static int minRows(int workPerRow) {
        return Math.max(1, MIN_WORK_PER_TASK / Math.max(1, workPerRow));
    }

    /** c[M,N] += a[M,K] · b[K,N]. */
    static void nn(Tape tape, Storage a, Storage b, Storage c, int m, int k, int n) {
        tape.parallelFor(m, minRows(k * n), (start, end) -> {
            // a few rows of c at a time, so each row of b is reused from L1 before moving on
            for (int i0 = start; i0 < end; i0 += ROW_BLOCK) {
                int i1 = Math.min(end, i0 + ROW_BLOCK);
                for (int p = 0; p < k; p++) {
                    for (int i = i0; i < i1; i++) {
                        double aip = a.get(i * k + p);
                        if (aip != 0) {
                            c.axpy(i * n, aip, b, p * n, n);
                        }
                    }
                }
            }
        });
    }

    /** c[M,N] += a[M,K] · b[N,K]ᵀ. */
    static void nt(Tape tape, Storage a, Storage b, Storage c, int m, int k, int n) {
        tape.parallelFor(m, minRows(k * n), (start, end) -> {
            for (int i0 = start; i0 < end; i0 += ROW_BLOCK) {
                int i1 = Math.min(end, i0 + ROW_BLOCK);
                for (int j = 0; j < n; j++) {
                    for (int i = i0; i < i1; i++) {
                        c.add(i * n + j, a.dot(i * k, b, j * k, k));
                    }
                }
            }
        });
    }

    /** c[K,N] += a[M,K]ᵀ · b[M,N]; split over the rows of c so no two tasks write the same row. */
    static void tn(Tape tape, Storage a, Storage b, Storage c, int m, int k, int n) {
        tape.parallelFor(k, minRows(m * n), (start, end) -> {
            for (int i = 0; i < m; i++) {
                for (int p = start; p < end; p++) {
                    double aip = a.get(i * k + p);
                    if (aip != 0) {
                        c.axpy(p * n, aip, b, i * n, n);
                    }
                }
            }
        });
    }
}
