package io.jsteer.steering.kts;

import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.steering.kts.data.DemoCorpus;
import io.jsteer.tensor.Parallel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Not a test: peak heap and seconds per step of the KTS loop on any model (e.g. a
 * {@code jsteer synth --shape llama2-110m} file) with random-token benign sequences, every step
 * steered, LoRA on all projections. Run with the test classpath:
 * {@code java -Xmx3g -cp ... io.jsteer.steering.kts.KtsMemoryProbe MODEL TOKENIZER THREADS SEQ_LEN BATCH STEPS [RECOMPUTE [RANK ALPHA BLOCKS]]}
 * (TOKENIZER: - for the model's own; RECOMPUTE: true or false, default false; RANK/ALPHA default 8/16; BLOCKS, the steered blocks, default 1-3).
 * CPU time over wall time is printed too: with all cores busy in backward it approaches THREADS.
 */
public final class KtsMemoryProbe {

    private KtsMemoryProbe() {}

    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[2]), len = Integer.parseInt(args[3]), batch = Integer.parseInt(args[4]);
        int steps = Integer.parseInt(args[5]);
        boolean recompute = args.length > 6 && Boolean.parseBoolean(args[6]);
        int rank = args.length > 7 ? Integer.parseInt(args[7]) : 8;
        double alpha = args.length > 8 ? Double.parseDouble(args[8]) : 16;
        String blocks = args.length > 9 ? args[9] : "1-3";
        try (LoadedModel m = ModelLoader.load(Path.of(args[0]), args[1].equals("-") ? null : Path.of(args[1])); Parallel par = new Parallel(threads)) {
            SplittableRandom r = new SplittableRandom(1);
            List<int[]> benign = new ArrayList<>();
            for (int i = 0; i < 2 * batch; i++) {
                int[] seq = r.ints(len, 3, m.config().vocabSize()).toArray();
                seq[0] = m.tokenizer().bos();
                benign.add(seq);
            }
            KtsTrainConfig d = KtsTrainConfig.demo();
            d = new KtsTrainConfig(rank, alpha, d.learningRate(), d.weightDecay(), d.steps(), d.batchSize(), d.gradAccumulation(),
                    d.clipNorm(), d.steerProbability(), d.cMax(), d.steerBlocks(), d.refreshEvery(), d.pairsPerConcept(), d.forwardKl(),
                    d.checkpointEvery(), d.seed(), d.normaliseVectors(), d.loraDropout(), d.loraLayers(), d.recompute());
            KtsTrainConfig cfg = d.withSteps(steps).withBatch(batch, 1).withSchedule(1000, 0)
                    .withSteering(1.0, io.jsteer.model.intervene.LayerSelection.parse("BLOCKS", blocks).resolve(m.config().nLayers()))
                    .withCMax(1).withRecompute(recompute);
            long t0 = System.nanoTime();
            KtsTrainer t = new KtsTrainer(m.config(), m.weights(), cfg, benign,
                    DemoCorpus.trainingPool(2, 1).subList(0, 2).stream()
                            .map(c -> io.jsteer.steering.kts.data.RenderedConcept.plain(c, m.tokenizer())).toList(), par);
            double setup = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            long cpu0 = processCpuNanos();
            t.train(steps, s -> System.err.printf("step %d loss %.5f %.1f s%n", s.step(), s.loss(), s.seconds()), null);
            double wall = (System.nanoTime() - t0) / 1e9;
            double perStep = wall / steps;
            System.out.printf("CPU time / wall time during the steps: %.2f (threads %d)%n", (processCpuNanos() - cpu0) / 1e9 / wall, threads);
            System.out.printf("model %s: %d LoRA parameters (r %d, alpha %.0f), batch %d x %d tokens, recompute %s, %.1f s setup (pool vectors), "
                            + "%.2f s/step, peak heap %d MiB (max heap %d MiB)%n", m.name(),
                    t.graph().parameters().stream().mapToInt(v -> v.size()).sum(), rank, alpha, batch, len, recompute, setup, perStep,
                    t.peakHeapBytes() >> 20, Runtime.getRuntime().maxMemory() >> 20);
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
