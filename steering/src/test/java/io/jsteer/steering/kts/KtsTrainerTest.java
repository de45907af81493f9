package io.jsteer.steering.kts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.CpuEngine;
import io.jsteer.model.LoadedModel;
import io.jsteer.model.lora.LoraFiles;
import io.jsteer.steering.kts.data.BenignCorpus;
import io.jsteer.steering.kts.data.RenderedConcept;
import io.jsteer.steering.kts.data.DemoCorpus;
import io.jsteer.tensor.Parallel;
import io.jsteer.tensor.autograd.Var;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** A short seeded KL stage on stories260K: it must lower the steered benign KL, and resume exactly. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KtsTrainerTest {

    private LoadedModel model;
    private List<int[]> benignTrain, benignEval;
    private List<RenderedConcept> pool;
    private KtsTrainConfig cfg;

    @BeforeAll
    void setUp() {
        model = SharedModels.stories();
        try (Parallel par = new Parallel(1); CpuEngine engine = model.newCpuEngine(128, par)) {
            List<int[]> all = BenignCorpus.generate(engine, model.tokenizer(), 20, 40, 16, 11, n -> { });
            benignTrain = all.subList(0, 16);
            benignEval = all.subList(16, 20);
        }
        pool = DemoCorpus.trainingPool(4, 2).subList(0, 6).stream().map(c -> RenderedConcept.plain(c, model.tokenizer())).toList();
        cfg = KtsTrainConfig.demo().withSteps(24).withBatch(4, 1).withSchedule(8, 0)
                .withSteering(1.0, List.of(1, 2, 3)).withRate(1e-2, 19);
    }

    @Test
    void shortRunLowersTheSteeredBenignKlAndKeepsUnsteeredParity() throws Exception {
        var trainer0 = new KtsTrainer(model.config(), model.weights(), cfg.withCMax(1), benignTrain, pool);
        // c_max from the spec's rule: steering the original model costs ~0.75 nat/token
        float[][] probeVector = trainer0.poolVectors()[0];
        double cMax = BenignKl.calibrate(trainer0.graph(), benignTrain.subList(0, 4), probeVector, 0.75);
        var trainer = new KtsTrainer(model.config(), model.weights(), cfg.withCMax(cMax), benignTrain, pool);
        BlockSteering steer = new BlockSteering(trainer.poolVectors()[0], cMax);
        double before = BenignKl.measure(trainer.graph(), benignEval, steer, true).klPerToken();
        long t0 = System.nanoTime();
        trainer.train(cfg.steps(), s -> { }, null);
        double secondsPerStep = (System.nanoTime() - t0) / 1e9 / cfg.steps();
        double after = BenignKl.measure(trainer.graph(), benignEval, steer, true).klPerToken();
        double parity = BenignKl.measure(trainer.graph(), benignEval, null, true).klPerToken();
        System.err.printf("KTS test: c_max %.3f, steered benign KL %.4f -> %.4f, unsteered parity %.5f, %.3f s/step, peak heap %d MiB%n",
                cMax, before, after, parity, secondsPerStep, trainer.peakHeapBytes() >> 20);
        assertTrue(before > 0.2, "steering at c_max must visibly change the original model, KL " + before);
        assertTrue(after < before, "training must lower the steered benign KL: " + before + " -> " + after);
        assertTrue(parity < after, "the unsteered adapted model must stay closer to the original than the steered one");
        List<Double> losses = trainer.lossHistory();
        assertEquals(cfg.steps(), losses.size());
    }

    @Test
    void resumedRunEqualsUninterruptedRun(@TempDir Path dir) throws Exception {
        KtsTrainConfig c = cfg.withSteps(6).withSchedule(4, 3).withCMax(2.0);
        var straight = new KtsTrainer(model.config(), model.weights(), c, benignTrain, pool);
        straight.train(6, s -> { }, null);

        var checkpoints = new KtsCheckpoint(dir.resolve("ckpt"));
        var first = new KtsTrainer(model.config(), model.weights(), c, benignTrain, pool);
        first.train(3, s -> { }, checkpoints); // interrupted after step 3 (checkpointed there)
        assertTrue(checkpoints.exists());
        var resumed = new KtsTrainer(model.config(), model.weights(), c, benignTrain, pool);
        checkpoints.restore(resumed);
        assertEquals(3, resumed.step());
        resumed.train(6, s -> { }, checkpoints);

        assertEquals(straight.lossHistory(), resumed.lossHistory());
        List<Var> a = straight.graph().parameters(), b = resumed.graph().parameters();
        for (int k = 0; k < a.size(); k++) {
            assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), "parameter " + k);
        }
        assertTrue(KtsGraphTest.maxAbsDiff(a.get(1).toFloatArray(), new float[a.get(1).size()]) > 0,
                "B must have moved away from zero");
        // a checkpoint written before LoRA dropout, layer selection and recomputation existed still resumes
        Path state = checkpoints.latest().resolve("state.json");
        var json = (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(state.toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) json.get("config")).remove(List.of("loraDropout", "loraLayers", "recompute"));
        java.nio.file.Files.writeString(state, json.toString());
        var old = new KtsTrainer(model.config(), model.weights(), c, benignTrain, pool);
        checkpoints.restore(old);
        assertEquals(6, old.step());
        // a checkpoint made with other settings is refused
        var other = new KtsTrainer(model.config(), model.weights(), c.withCMax(3.0), benignTrain, pool);
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> checkpoints.restore(other));
        assertTrue(e.getMessage().contains("other settings"), e.getMessage());
    }

    @Test
    void resumedRunWithLoraDropoutAndRecomputationEqualsUninterruptedRun(@TempDir Path dir) throws Exception {
        KtsTrainConfig c = cfg.withSteps(4).withSchedule(4, 2).withCMax(2.0).withLora(0.2, List.of(1, 2, 4)).withRecompute(true);
        var straight = new KtsTrainer(model.config(), model.weights(), c, benignTrain, pool);
        assertEquals(2 * 7 * 3, straight.graph().parameters().size(), "A and B of 7 projections in blocks 1, 2 and 4 only");
        straight.train(4, s -> { }, null);

        var checkpoints = new KtsCheckpoint(dir.resolve("ckpt"));
        var first = new KtsTrainer(model.config(), model.weights(), c, benignTrain, pool);
        first.train(2, s -> { }, checkpoints);
        var resumed = new KtsTrainer(model.config(), model.weights(), c, benignTrain, pool);
        checkpoints.restore(resumed);
        assertEquals(0.2, LoraFiles.metadata(checkpoints.latest().resolve(KtsCheckpoint.ADAPTER_FILE)).dropout(),
                "the checkpoint's adapter records lora_dropout");
        resumed.train(4, s -> { }, checkpoints);
        assertEquals(straight.lossHistory(), resumed.lossHistory());
        List<Var> a = straight.graph().parameters(), b = resumed.graph().parameters();
        for (int k = 0; k < a.size(); k++) {
            assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), "parameter " + k);
        }

        // dropout changes the trajectory; recomputation does not (beyond float rounding); a checkpoint
        // may be resumed with recomputation switched off
        var noDropout = new KtsTrainer(model.config(), model.weights(), c.withLora(0, List.of(1, 2, 4)),
                benignTrain, pool);
        noDropout.train(4, s -> { }, null);
        var kept = new KtsTrainer(model.config(), model.weights(), c.withRecompute(false), benignTrain, pool);
        kept.train(4, s -> { }, null);
        double dropoutEffect = 0, recomputeEffect = 0;
        for (int k = 0; k < 4; k++) {
            dropoutEffect = Math.max(dropoutEffect, Math.abs(noDropout.lossHistory().get(k) - straight.lossHistory().get(k)));
            recomputeEffect = Math.max(recomputeEffect, Math.abs(kept.lossHistory().get(k) - straight.lossHistory().get(k)));
        }
        assertTrue(dropoutEffect > 1e-4, "dropout 0.2 changes the losses: " + dropoutEffect);
        assertTrue(recomputeEffect < 1e-5 * (1 + Math.abs(straight.lossHistory().get(3))), "recomputation: " + recomputeEffect);
        var switched = new KtsTrainer(model.config(), model.weights(), c.withRecompute(false), benignTrain, pool);
        checkpoints.restore(switched);
        assertEquals(4, switched.step());
    }

    @Test
    void emptyPoolWithSteeringIsRefused() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new KtsTrainer(model.config(), model.weights(), cfg, benignTrain, List.of()));
        assertTrue(e.getMessage().contains("pool"));
        Set<Integer> bad = Set.of(7);
        var e2 = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new KtsTrainer(model.config(), model.weights(),
                        cfg.withSteering(0.5, List.copyOf(bad)), benignTrain, pool));
        assertTrue(e2.getMessage().contains("block 7"), e2.getMessage());
    }
}
