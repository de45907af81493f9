package io.jsteer.model.train;

import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraTarget;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.Precision;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Not a test: times one KTS-sized training step on stories260K: a batch of 16 × 128 tokens, LoRA
 * (r = 8, all projections) plus steering at three blocks, KL to the plain model (its forward
 * without gradients included), forward + backward. Run with the test classpath:
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
            // KTS's demo setting: LoRA r = 8, alpha = 16 on every projection, a steering vector on blocks 1-3
            LoraAdapter adapter = LoraAdapter.initialize(m.config(), 8, 16, EnumSet.allOf(LoraTarget.class), 1);
            float[] v = new float[m.config().dim()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) r.nextGaussian();
            }
            InterventionSet steer = InterventionSet.of(AddVector.of(Site.parse("resid_post:1"), v, 1, Positions.ALL),
                    AddVector.of(Site.parse("resid_post:2"), v, 1, Positions.ALL),
                    AddVector.of(Site.parse("resid_post:3"), v, 1, Positions.ALL));
            ForwardOptions trained = ForwardOptions.NONE.withAdapter(adapter).withHooks(steer.toTapeHooks(m.config()));
            SequenceLoss kl = Losses.klToReference(model, i -> trained, i -> ForwardOptions.NONE, Losses.KlDirection.TRAINED_TO_REFERENCE);
            BatchLoss loss = new BatchLoss(Precision.F32, par);
            var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            for (int step = 0; step < 8; step++) {
                long t0 = System.nanoTime(), c0 = os.getProcessCpuTime();
                loss.backward(batch, kl);
                // CPU time as well: on a shared machine the wall time says more about the neighbours
                System.out.printf("step %d: %.3f s wall, %.3f s CPU (16 x 128 tokens, LoRA r=8 on all projections"
                                + " + steering, KL to the plain model, %d threads)%n",
                        step, (System.nanoTime() - t0) / 1e9, (os.getProcessCpuTime() - c0) / 1e9, threads);
            }
        }
    }
}
