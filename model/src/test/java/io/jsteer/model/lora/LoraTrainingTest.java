package io.jsteer.model.lora;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.LoadedModel;
import io.jsteer.model.TestModels;
import io.jsteer.model.TinyModels;
import io.jsteer.model.train.BatchLoss;
import io.jsteer.model.train.ForwardOptions;
import io.jsteer.model.train.Losses;
import io.jsteer.model.train.SequenceBatch;
import io.jsteer.model.train.SequenceLoss;
import io.jsteer.model.train.TrainableLlama;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.optim.Adam;
import io.jsteer.tensor.optim.LearningRateSchedule;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A few Adam steps on a LoRA adapter of stories260K lower the loss of a toy objective. */
class LoraTrainingTest {

    @Test
    void adamStepsOnTheAdapterLowerTheCrossEntropyOfTwoFixedSequences() {
        try (LoadedModel m = TestModels.storiesBin(); Parallel par = new Parallel(2)) {
            TrainableLlama model = TrainableLlama.of(m);
            // random tokens: far from what the model expects, so there is much to learn
            SequenceBatch batch = SequenceBatch.padded(List.of(TinyModels.tokens(m.config(), 24, 1),
                    TinyModels.tokens(m.config(), 16, 2)), 24, 0);
            LoraAdapter adapter = LoraAdapter.initialize(m.config(), 4, 8, EnumSet.allOf(LoraTarget.class), 7);
            SequenceLoss ce = Losses.nextTokenCrossEntropy(model, i -> ForwardOptions.NONE.withAdapter(adapter));
            BatchLoss loss = new BatchLoss(Precision.F32, par);
            double before = loss.evaluate(batch, ce);
            Adam adam = new Adam(adapter.parameters(), LearningRateSchedule.constant(1e-2));
            for (int step = 0; step < 10; step++) {
                adam.zeroGrad();
                loss.backward(batch, ce);
                adam.step();
            }
            double after = loss.evaluate(batch, ce);
            // (18.0 → 5.5 when written)
            assertTrue(after < before / 2, "cross-entropy " + before + " → " + after);
        }
    }
}
