package io.jsteer.tensor.autograd;

import io.jsteer.tensor.Parallel;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Checks the backward passes of a graph. {@link #check} compares analytic float64 gradients
 * with central finite differences; {@link #compareFloatToDouble} runs the same graph in both
 * precisions and compares values and gradients. A graph with a tensor output is reduced to
 * the scalar {@code Σ r_i·out_i} with fixed random weights r, so every output element counts.
 * Errors are norm-wise relative: {@code ‖a − b‖₂ / max(‖a‖₂, ‖b‖₂)}.
 */
public final class GradCheck {

    /** Builds the graph under test on {@code tape} from parameters made from the inputs, in order. */
    @FunctionalInterface
    public interface Graph {
        Var build(Tape tape, List<Var> inputs);
    }

    /** One input's values and shape. */
    public record Input(double[] values, int[] shape) {
        public static Input of(double[] values, int... shape) {
            return new Input(values, shape);
        }
    }

    /** Error of the forward values (0 where not compared) and of each input's gradient. */
    public record Result(double forwardError, double[] gradientErrors) {
        public double maxGradientError() {
            double m = 0;
            for (double e : gradientErrors) {
                m = Math.max(m, e);
            }
            return m;
        }

        public double maxError() {
            return Math.max(forwardError, maxGradientError());
        }
    }

    private static final double STEP = 1e-6;
    private static final long SEED_OF_OUTPUT_WEIGHTS = 0x5eed;

    private GradCheck() {}

    /** Analytic float64 gradients against central differences with step 1e-6. */
    public static Result check(Graph graph, List<Input> inputs) {
        List<Var> params = params(Precision.F64, inputs);
        Tape tape = new Tape(Precision.F64);
        Var out = graph.build(tape, params);
        double[] weights = outputWeights(out.size());
        tape.backward(out, weights);

        double[] errors = new double[params.size()];
        for (int p = 0; p < params.size(); p++) {
            Var param = params.get(p);
            double[] analytic = param.gradToDoubleArray();
            double[] numeric = new double[param.size()];
            Storage values = param.data();
            for (int i = 0; i < numeric.length; i++) {
                double saved = values.get(i);
                values.set(i, saved + STEP);
                double up = weightedOutput(graph, params, weights);
                values.set(i, saved - STEP);
                double down = weightedOutput(graph, params, weights);
                values.set(i, saved);
                numeric[i] = (up - down) / (2 * STEP);
            }
            errors[p] = relativeError(analytic, numeric);
        }
        return new Result(0, errors);
    }

    /** The same graph in float32 (serially, or over {@code parallel}) against float64. */
    public static Result compareFloatToDouble(Graph graph, List<Input> inputs, Parallel parallel) {
        List<Var> p64 = params(Precision.F64, inputs);
        List<Var> p32 = params(Precision.F32, inputs);
        Tape t64 = new Tape(Precision.F64);
        Tape t32 = new Tape(Precision.F32, parallel);
        Var o64 = graph.build(t64, p64);
        Var o32 = graph.build(t32, p32);
        double[] weights = outputWeights(o64.size());
        t64.backward(o64, weights);
        t32.backward(o32, weights);
        double[] errors = new double[inputs.size()];
        for (int p = 0; p < errors.length; p++) {
            errors[p] = relativeError(p64.get(p).gradToDoubleArray(), p32.get(p).gradToDoubleArray());
        }
        return new Result(relativeError(o64.toDoubleArray(), o32.toDoubleArray()), errors);
    }

    /** {@code ‖a − b‖₂ / max(‖a‖₂, ‖b‖₂)}, 0 when both are zero. */
    public static double relativeError(double[] a, double[] b) {
        double diff = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            diff += (a[i] - b[i]) * (a[i] - b[i]);
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        double scale = Math.sqrt(Math.max(na, nb));
        return scale == 0 ? 0 : Math.sqrt(diff) / scale;
    }

    private static List<Var> params(Precision p, List<Input> inputs) {
        List<Var> params = new ArrayList<>();
        for (Input in : inputs) {
            params.add(Var.param(p, in.values(), in.shape()));
        }
        return params;
    }

    private static double[] outputWeights(int n) {
        if (n == 1) {
            return new double[] {1};
        }
        Random rng = new Random(SEED_OF_OUTPUT_WEIGHTS);
        double[] w = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = rng.nextDouble() * 2 - 1;
        }
        return w;
    }

    private static double weightedOutput(Graph graph, List<Var> params, double[] weights) {
        Tape tape = new Tape(Precision.F64);
        try (NoGrad _ = tape.noGrad()) {
            Var out = graph.build(tape, params);
            double s = 0;
            for (int i = 0; i < weights.length; i++) {
                s += weights[i] * out.get(i);
            }
            return s;
        }
    }
}
