package io.jsteer.steering.mat;

import io.jsteer.tensor.autograd.NoGrad;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import io.jsteer.tensor.optim.Adam;
import io.jsteer.tensor.optim.LearningRateSchedule;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import io.jsteer.weights.ProgressBars;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Trains MAT-Steer on cached features (spec §3): the paper code's initialisation, the balanced
 * sampler, the four-term loss and one Adam step per batch, in float32 on a tape. Deterministic
 * for a given seed.
 */
public final class MatTrainer {

    /** Below this kernel value at the median distance the MMD term has practically no gradient. */
    static final double FLAT_KERNEL = 1e-3;

    /**
     * @param parameters      the trained module
     * @param medianDistance  median pairwise feature distance, measured before training
     * @param sigma           the σ used
     * @param kernelAtMedian  exp(−median²/(2σ²)); ≈ 0 means the MMD is flat (spec §6)
     * @param k               rows per attribute and polarity in a batch
     * @param stepsPerEpoch   ⌈n_min/k⌉
     * @param before          the loss on the evaluation draws before training
     * @param after           the same after training
     * @param epochs          the mean of each term over every epoch's steps, in order
     */
    public record Result(MatParameters parameters, double medianDistance, double sigma, double kernelAtMedian, int k,
                         int stepsPerEpoch, LossReport before, LossReport after, List<LossReport> epochs) {

        public boolean kernelIsFlat() { return kernelAtMedian < FLAT_KERNEL; }
    }

    /** Seed offset of the fixed draws on which the loss is reported before and after. */
    private static final long EVAL_SEED_OFFSET = 0x5eedL;
    private static final int EVAL_DRAWS = 8;

    private final TrainConfig config;
    private final PrintStream log;
    private final boolean progressBar;

    /** @param log where to write the pre-training diagnostics (null: nowhere) */
    public MatTrainer(TrainConfig config, PrintStream log, boolean progressBar) {
        this.config = config;
        this.log = log;
        this.progressBar = progressBar;
    }

    public Result train(List<AttributeFeatures> attributes) {
        int d = checkDims(attributes);
        List<String> names = attributes.stream().map(AttributeFeatures::name).toList();
        double median = Bandwidth.medianPairwiseDistance(attributes, config.seed());
        double sigma = config.bandwidth().sigma(median);
        double kernelAtMedian = Math.exp(-median * median / (2 * sigma * sigma));
        if (log != null) {
            log.printf(Locale.ROOT, "mat: median pairwise feature distance %.4g (squared %.4g); sigma %.4g (%s); "
                    + "kernel at the median %.3g%n", median, median * median, sigma, config.bandwidth(), kernelAtMedian);
            if (kernelAtMedian < FLAT_KERNEL) {
                log.printf(Locale.ROOT, "mat: warning: with sigma %.4g nearly all kernel values are 0, so the MMD term is flat"
                        + " and gives no gradient (spec §6); consider --sigma median%n", sigma);
            }
        }

        MatParameters init = MatParameters.initial(names, d, config.seed());
        if (config.thetaInit() == TrainConfig.ThetaInit.CAA) {
            for (int t = 0; t < names.size(); t++) {
                init.theta()[t] = attributes.get(t).meanDifference();
            }
        }
        Var theta = Var.param(Precision.F32, flatten(init.theta()), names.size(), d);
        Var gateW = Var.param(Precision.F32, flatten(init.gateWeight()), names.size(), d);
        Var gateB = Var.param(Precision.F32, init.gateBias(), names.size());
        MatLoss.Params params = new MatLoss.Params(theta, gateW, gateB);
        holdNorm(theta, d);
        LossReport before = evaluate(params, attributes, sigma);

        BalancedSampler sampler = new BalancedSampler(attributes, config.batchSize(), config.seed() + 1);
        Adam adam = new Adam(List.of(theta, gateW, gateB), LearningRateSchedule.constant(config.learningRate()));
        Tape tape = new Tape(Precision.F32);
        List<LossReport> history = new ArrayList<>();
        int steps = sampler.stepsPerEpoch();
        try (ProgressBar bar = progressBar ? bar((long) steps * config.epochs()) : null) {
            for (int epoch = 0; epoch < config.epochs(); epoch++) {
                LossReport sum = new LossReport(0, 0, 0, 0, 0);
                for (int s = 0; s < steps; s++) {
                    MatLoss.Batch batch = batch(tape, attributes, sampler.next());
                    MatLoss.Terms terms = MatLoss.compute(tape, params, batch, config.weights(), sigma, config.normPreserve());
                    LossReport r = LossReport.of(terms);
                    if (!Double.isFinite(r.total())) {
                        throw new IllegalStateException("MAT-Steer training diverged at epoch " + (epoch + 1)
                                + " (loss " + r.total() + "); lower --lr");
                    }
                    adam.zeroGrad();
                    tape.backward(terms.total());
                    adam.step();
                    holdNorm(theta, d);
                    sum = sum.plus(r);
                    if (bar != null) {
                        bar.setExtraMessage(String.format(Locale.ROOT, " mmd %.4f pos %.4f sparse %.4f ortho %.2g",
                                r.mmd(), r.pos(), r.sparse(), r.ortho()));
                        bar.step();
                    }
                }
                history.add(sum.times(1.0 / steps));
            }
        }
        LossReport after = evaluate(params, attributes, sigma);
        MatParameters trained = new MatParameters(names, unflatten(theta.toFloatArray(), d),
                unflatten(gateW.toFloatArray(), d), gateB.toFloatArray());
        return new Result(trained, median, sigma, kernelAtMedian, sampler.k(), steps, before, after, List.copyOf(history));
    }

    /** Rescales every row θ_t to the configured norm (no-op when θ is free). */
    private void holdNorm(Var theta, int d) {
        if (config.thetaNorm() == 0) {
            return;
        }
        var data = theta.data();
        for (int row = 0; row * d < theta.size(); row++) {
            double norm = Math.sqrt(data.dot(row * d, data, row * d, d));
            double scale = config.thetaNorm() / Math.max(norm, 1e-12);
            for (int j = row * d; j < (row + 1) * d; j++) {
                data.set(j, data.get(j) * scale);
            }
        }
    }

    /** The loss terms of {@code p} averaged over fixed seeded draws of these features (no gradient). */
    public LossReport evaluate(MatParameters p, List<AttributeFeatures> attributes, double sigma) {
        int d = checkDims(attributes);
        int t = p.attributeCount();
        MatLoss.Params params = new MatLoss.Params(
                Var.constant(Precision.F32, flatten(p.theta()), t, d),
                Var.constant(Precision.F32, flatten(p.gateWeight()), t, d),
                Var.constant(Precision.F32, p.gateBias(), t));
        return evaluate(params, attributes, sigma);
    }

    private LossReport evaluate(MatLoss.Params params, List<AttributeFeatures> attributes, double sigma) {
        BalancedSampler sampler = new BalancedSampler(attributes, config.batchSize(), config.seed() + EVAL_SEED_OFFSET);
        Tape tape = new Tape(Precision.F32);
        LossReport sum = new LossReport(0, 0, 0, 0, 0);
        try (NoGrad _ = tape.noGrad()) {
            for (int i = 0; i < EVAL_DRAWS; i++) {
                sum = sum.plus(LossReport.of(MatLoss.compute(tape, params, batch(tape, attributes, sampler.next()),
                        config.weights(), sigma, config.normPreserve())));
            }
        }
        return sum.times(1.0 / EVAL_DRAWS);
    }

    /** Gathers the drawn rows into the batch tensors, attribute by attribute. */
    static MatLoss.Batch batch(Tape tape, List<AttributeFeatures> attributes, BalancedSampler.Draw draw) {
        int t = attributes.size(), d = attributes.getFirst().dim(), k = draw.positives()[0].length;
        float[] pos = new float[t * k * d], neg = new float[t * k * d];
        Var[] targets = new Var[t];
        for (int a = 0; a < t; a++) {
            AttributeFeatures f = attributes.get(a);
            float[] y = new float[k * d];
            for (int i = 0; i < k; i++) {
                System.arraycopy(f.positives()[draw.positives()[a][i]], 0, pos, (a * k + i) * d, d);
                System.arraycopy(f.negatives()[draw.negatives()[a][i]], 0, neg, (a * k + i) * d, d);
                System.arraycopy(f.targets()[draw.mmdTargets()[a][i]], 0, y, i * d, d);
            }
            targets[a] = tape.constant(y, k, d);
        }
        return new MatLoss.Batch(tape.constant(pos, t * k, d), tape.constant(neg, t * k, d), targets);
    }

    private static int checkDims(List<AttributeFeatures> attributes) {
        if (attributes.isEmpty()) {
            throw new IllegalArgumentException("MAT-Steer training needs at least one attribute");
        }
        int d = attributes.getFirst().dim();
        for (AttributeFeatures a : attributes) {
            if (a.dim() != d) {
                throw new IllegalArgumentException("attribute " + a.name() + " has " + a.dim() + "-wide features, "
                        + attributes.getFirst().name() + " has " + d);
            }
        }
        return d;
    }

    private static ProgressBar bar(long steps) {
        return ProgressBars.build(new ProgressBarBuilder().setTaskName("mat train").setInitialMax(steps));
    }

    static float[] flatten(float[][] rows) {
        int d = rows[0].length;
        float[] out = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, i * d, d);
        }
        return out;
    }

    static float[][] unflatten(float[] flat, int d) {
        float[][] out = new float[flat.length / d][d];
        for (int i = 0; i < out.length; i++) {
            System.arraycopy(flat, i * d, out[i], 0, d);
        }
        return out;
    }
}
