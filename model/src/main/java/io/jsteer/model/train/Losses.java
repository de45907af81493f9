package io.jsteer.model.train;

import io.jsteer.tensor.autograd.NoGrad;
import io.jsteer.tensor.autograd.Tape;
import io.jsteer.tensor.autograd.Var;
import java.util.function.IntFunction;

/** Ready-made {@link SequenceLoss}es over a {@link TrainableLlama}. */
public final class Losses {

    private Losses() {}

    /** Which way round a KL divergence between the trained and the reference model is taken. */
    public enum KlDirection {
        /** {@code KL(q_trained ‖ p_reference)}: mode-seeking; what the KTS code computes. */
        TRAINED_TO_REFERENCE,
        /** {@code KL(p_reference ‖ q_trained)}: mass-covering, the usual distillation choice. */
        REFERENCE_TO_TRAINED
    }

    /**
     * Next-token cross-entropy: row t predicts token t+1, counted where both are real tokens.
     *
     * @param options forward options per sequence index
     */
    public static SequenceLoss nextTokenCrossEntropy(TrainableLlama model, IntFunction<ForwardOptions> options) {
        return new SequenceLoss() {
            @Override
            public LossTerm loss(Tape tape, int index, int[] tokens, boolean[] real) {
                int[] targets = targets(tokens, real);
                Var logits = model.logits(tape, tokens, options.apply(index));
                return new LossTerm(tape.crossEntropy(logits, targets), count(tokens, real));
            }

            @Override
            public int count(int[] tokens, boolean[] real) {
                int n = 0;
                for (int t : targets(tokens, real)) {
                    n += t >= 0 ? 1 : 0;
                }
                return n;
            }
        };
    }

    /** Targets of next-token prediction: tokens[t+1] where tokens t and t+1 are real, else -1. */
    static int[] targets(int[] tokens, boolean[] real) {
        int[] targets = new int[tokens.length];
        for (int t = 0; t < tokens.length; t++) {
            targets[t] = t + 1 < tokens.length && real[t] && real[t + 1] ? tokens[t + 1] : -1;
        }
        return targets;
    }

    /**
     * Per-token KL divergence between the next-token distributions of the model run with
     * {@code trained} options and with {@code reference} options (computed without gradients),
     * averaged over the real tokens. KTS uses it with the adapter and steering in {@code trained}
     * and neither in {@code reference}.
     */
    public static SequenceLoss klToReference(TrainableLlama model, IntFunction<ForwardOptions> trained,
                                             IntFunction<ForwardOptions> reference, KlDirection direction) {
        return (tape, index, tokens, real) -> {
            Var ref;
            try (NoGrad _ = tape.noGrad()) {
                ref = tape.logSoftmax(model.logits(tape, tokens, reference.apply(index)));
            }
            Var q = tape.logSoftmax(model.logits(tape, tokens, trained.apply(index)));
            Var kl = direction == KlDirection.TRAINED_TO_REFERENCE ? tape.klDivergence(q, ref, real)
                    : tape.klDivergence(ref, q, real);
            int n = 0;
            for (boolean r : real) {
                n += r ? 1 : 0;
            }
            return new LossTerm(kl, n);
        };
    }
}
