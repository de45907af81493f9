package io.jsteer.tornado;

import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;

/**
 * A steering edit that the tornado engine runs as kernels on the device, inside the token's
 * execution plan (no round trip to the host). {@link HostSteering} has the CPU twin of each, as
 * hooks for {@link io.jsteer.model.CpuEngine}. Every edit applies to every position, prompt and
 * generated tokens alike. Arrays are copied on construction.
 */
public sealed interface DeviceEdit {

    /** Where the edit acts. */
    Site site();

    /** Checks the edit's sizes against the model's width. */
    void check(int dim, int nLayers);

    /** x += strength · vector (activation addition, llama.cpp control vectors). */
    record AddVector(Site site, float[] vector, float strength) implements DeviceEdit {
        public AddVector {
            vector = vector.clone();
        }

        @Override
        public void check(int dim, int nLayers) {
            checkSite(site, nLayers);
            checkWidth("add-vector at " + site, vector.length, dim);
        }
    }

    /**
     * x -= strength · (x · d̂) d̂ with d̂ the unit direction (strength 1 removes the direction;
     * refusal-direction ablation).
     */
    record Ablation(Site site, float[] direction, float strength) implements DeviceEdit {
        public Ablation {
            double ss = 0;
            for (float v : direction) {
                ss += (double) v * v;
            }
            if (!(ss > 0) || Double.isInfinite(ss)) {
                throw new IllegalArgumentException("ablation at " + site + ": the direction must be finite and non-zero");
            }
            float inv = (float) (1.0 / Math.sqrt(ss));
            float[] unit = new float[direction.length];
            for (int i = 0; i < unit.length; i++) {
                unit[i] = direction[i] * inv;
            }
            direction = unit;
        }

        @Override
        public void check(int dim, int nLayers) {
            checkSite(site, nLayers);
            checkWidth("ablation at " + site, direction.length, dim);
        }
    }

    /**
     * MAT-Steer (mat-steer.md §1): gates g_t = sigmoid(w_t · a + b_t) from the unedited a,
     * a' = a + Σ_t g_t θ_t, then a' rescaled to ‖a‖ (skipped when ‖a'‖ ≤ 1e-8).
     *
     * @param theta       [attributes][dim] steering vectors
     * @param gateWeights [attributes][dim]
     * @param gateBias    [attributes]
     */
    record MatSteer(Site site, float[][] theta, float[][] gateWeights, float[] gateBias) implements DeviceEdit {
        public MatSteer {
            theta = deepCopy(theta);
            gateWeights = deepCopy(gateWeights);
            gateBias = gateBias.clone();
            if (theta.length == 0 || theta.length != gateWeights.length || theta.length != gateBias.length) {
                throw new IllegalArgumentException("MAT-Steer at " + site + ": theta, gate weights and gate biases must have the same"
                        + " number of attributes (> 0), got " + theta.length + ", " + gateWeights.length + ", " + gateBias.length);
            }
        }

        public int attributes() { return theta.length; }

        @Override
        public void check(int dim, int nLayers) {
            checkSite(site, nLayers);
            for (int t = 0; t < theta.length; t++) {
                checkWidth("MAT-Steer theta[" + t + "] at " + site, theta[t].length, dim);
                checkWidth("MAT-Steer gate weights[" + t + "] at " + site, gateWeights[t].length, dim);
            }
        }
    }

    /**
     * A LoRA side path on the attention output projection of {@code layer}: attn_out +=
     * scale · B (A · attn_heads). Its site is {@code attn_out:layer} (where the sum lands).
     *
     * @param a [rank][dim] down-projection
     * @param b [dim][rank] up-projection
     */
    record LoraOutputProjection(int layer, float[][] a, float[][] b, float scale) implements DeviceEdit {
        public LoraOutputProjection {
            a = deepCopy(a);
            b = deepCopy(b);
            if (a.length == 0) {
                throw new IllegalArgumentException("LoRA at layer " + layer + ": rank must be at least 1");
            }
        }

        public int rank() { return a.length; }

        @Override
        public Site site() { return new Site(SiteKind.ATTN_OUT, layer); }

        @Override
        public void check(int dim, int nLayers) {
            checkSite(site(), nLayers);
            for (int r = 0; r < a.length; r++) {
                checkWidth("LoRA A[" + r + "] at layer " + layer, a[r].length, dim);
            }
            checkWidth("LoRA B rows at layer " + layer, b.length, dim);
            for (int i = 0; i < b.length; i++) {
                if (b[i].length != a.length) {
                    throw new IllegalArgumentException("LoRA B[" + i + "] at layer " + layer + " has " + b[i].length
                            + " columns, the rank is " + a.length);
                }
            }
        }
    }

    private static void checkSite(Site site, int nLayers) {
        if (site.layer() >= nLayers) {
            throw new IllegalArgumentException("steering site " + site + " is past the model's last block " + (nLayers - 1));
        }
    }

    private static void checkWidth(String what, int got, int dim) {
        if (got != dim) {
            throw new IllegalArgumentException(what + " has " + got + " values, the model's width is " + dim);
        }
    }

    private static float[][] deepCopy(float[][] m) {
        float[][] c = new float[m.length][];
        for (int i = 0; i < m.length; i++) {
            c[i] = m[i].clone();
        }
        return c;
    }

    /** Row-major flattening of [rows][cols]. */
    static float[] flatten(float[][] m) {
        int cols = m.length == 0 ? 0 : m[0].length;
        float[] f = new float[m.length * cols];
        for (int i = 0; i < m.length; i++) {
            System.arraycopy(m[i], 0, f, i * cols, cols);
        }
        return f;
    }
}
