package io.jsteer.tensor.optim;

/**
 * The learning rate for optimiser step {@code step}, counted from 0 (the number of steps
 * already taken), following the Hugging Face schedulers: during a warm-up of W steps the rate
 * is {@code peak · step / W} (so step 0 runs at 0 when W > 0), then it holds or decays.
 */
@FunctionalInterface
public interface LearningRateSchedule {

    double at(int step);

    /** The same rate at every step. */
    static LearningRateSchedule constant(double lr) {
        return new Constant(lr, 0);
    }

    /** Linear warm-up to {@code peak} over {@code warmupSteps}, then constant. */
    static LearningRateSchedule constant(double peak, int warmupSteps) {
        return new Constant(peak, warmupSteps);
    }

    /** Warm-up, then linear decay from {@code peak} to 0 at {@code totalSteps}. */
    static LearningRateSchedule linear(double peak, int warmupSteps, int totalSteps) {
        return new Linear(peak, warmupSteps, totalSteps);
    }

    /** Warm-up, then half a cosine from {@code peak} down to 0 at {@code totalSteps}. */
    static LearningRateSchedule cosine(double peak, int warmupSteps, int totalSteps) {
        return new Cosine(peak, warmupSteps, totalSteps, 0);
    }

    /** Warm-up, then half a cosine from {@code peak} down to {@code minLr} at {@code totalSteps}. */
    static LearningRateSchedule cosine(double peak, int warmupSteps, int totalSteps, double minLr) {
        return new Cosine(peak, warmupSteps, totalSteps, minLr);
    }

    /** Fraction of the peak during warm-up: step / warmup (1 once it is over). */
    private static double warmup(int step, int warmupSteps) {
        return step < warmupSteps ? (double) step / warmupSteps : 1;
    }

    /** How far the decay has gone after warm-up, in [0, 1]. */
    private static double progress(int step, int warmupSteps, int totalSteps) {
        int span = Math.max(1, totalSteps - warmupSteps);
        return Math.min(1, Math.max(0, (double) (step - warmupSteps) / span));
    }

    record Constant(double peak, int warmupSteps) implements LearningRateSchedule {
        @Override
        public double at(int step) {
            return peak * warmup(step, warmupSteps);
        }
    }

    record Linear(double peak, int warmupSteps, int totalSteps) implements LearningRateSchedule {
        @Override
        public double at(int step) {
            if (step < warmupSteps) {
                return peak * warmup(step, warmupSteps);
            }
            return peak * (1 - progress(step, warmupSteps, totalSteps));
        }
    }

    record Cosine(double peak, int warmupSteps, int totalSteps, double minLr) implements LearningRateSchedule {
        @Override
        public double at(int step) {
            if (step < warmupSteps) {
                return peak * warmup(step, warmupSteps);
            }
            double p = progress(step, warmupSteps, totalSteps);
            return minLr + (peak - minLr) * 0.5 * (1 + Math.cos(Math.PI * p));
        }
    }
}
