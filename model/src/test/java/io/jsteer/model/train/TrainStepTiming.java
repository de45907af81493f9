package io.jsteer.model.train;

import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.model.intervene.TapeHooks;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.Precision;
import io.jsteer.tensor.autograd.Var;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Not a test: times one KTS-sized training step (KL to the plain model over a batch of 16 × 128
 * tokens, forward + backward) on stories260K. Run with the test classpath:
 * {@code java -cp ... io.jsteer.model.train.TrainStepTiming ../shared/models/stories260K.bin ../shared/models/tok512.bin 2}.
 */
public final class TrainStepTiming {

    private TrainStepTiming() {}

    public static void main(String[] args) {
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        try (LoadedModel m = ModelLoader.load(Path.of(args[0]), Path.of(args[1])); Parallel par = new Parallel(threads)) {
            TrainableLlama model = TrainableLlama.of(m);
            SplittableRandom r = new SplittableRandom(1);
            List<int[]> seqs = new ArrayList<>();
            for (int b = 0; b < 16; b++) {
                seqs.add(r.ints(128, 3, 512).toArray());
            }
            SequenceBatch batch = SequenceBatch.padded(seqs, 128, 0);
            Var v = Var.zerosParam(Precision.F32, m.config().dim());
            TapeHooks hooks = new TapeHooks(m.config().nLayers()).add(new Site(SiteKind.RESID_PRE, 0), (t, s, x, p) -> t.add(x, v));
            ForwardOptions trained = ForwardOptions.NONE.withHooks(hooks);
            SequenceLoss kl = Losses.klToReference(model, i -> trained, i -> ForwardOptions.NONE, Losses.KlDirection.TRAINED_TO_REFERENCE);
            BatchLoss loss = new BatchLoss(Precision.F32, par);
            for (int step = 0; step < 8; step++) {
                long t0 = System.nanoTime();
                loss.backward(batch, kl);
                System.out.printf("step %d: %.3f s (16 x 128 tokens, KL with reference forward, %d threads)%n",
                        step, (System.nanoTime() - t0) / 1e9, threads);
            }
        }
    }
}
